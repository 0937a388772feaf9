/* SPDX-License-Identifier: GPL-3.0-or-later */
/* rules.c: the rule file (INI) validated into a struct rules; identity,
 * relay and site-rule matching; default paths.
 *
 * The file is opened once, checked on that descriptor and read whole
 * (conffile.c), then parsed once, here, by one bounded pass over the text
 * (at most CAP_RULE_FILE_BYTES, lines of at most RULE_LINE_MAX bytes) that
 * records the line of every section and key, rejects duplicates, unknown
 * names and anything iniparser would misread, and puts each value into an
 * iniparser dictionary under the names iniparser_load() would use
 * ("section:key", lower case, the value cut and unquoted as iniparser 4.1
 * does). iniparser 4.1 (Debian 12) parses only a file named by a path
 * (iniparser_load(const char *) is its only loader): letting it reopen the
 * file by path, or through /proc/self/fd/N, would be a second open and a
 * second parse of what may by then be different bytes, without line
 * numbers; its dictionary (dictionary_set, dictionary_get, the entries'
 * slots) is public. dictionary_set() still searches every slot for the key
 * it adds, so loading costs grow with the square of the number of keys.
 * The values are then validated ourselves, because iniparser alone is too
 * forgiving for a file that decides where mail goes: it lower-cases names
 * (so [Rule X] merges with [rule x]), lets a repeated key win silently,
 * cuts unquoted values at ';' or '#', joins a line ending in '\' with the
 * next, fails on lines over 1024 bytes without saying which key, reads
 * "12abc" as 12 and "on" as "not a boolean". A load is all or nothing: the
 * new rules are built aside and only replace the caller's on success.
 *
 * A site rule's regex is the one value not compiled at load: compiling is
 * most of what a rule costs, and most mail has no use for most rules. It is
 * compiled when a message first has the rule's field (rules_match_site),
 * or by configtest, and its line is kept for the message then. Its shape
 * is checked at load, by one bounded pass without compiling (repeats of
 * repeats, counts, nesting, size once repeats are copied out,
 * back-references: regex_shape_check), so that compiling and matching it
 * cost memory and time in proportion to its length.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#ifdef HAVE_INIPARSER_INIPARSER_H
# include <iniparser/iniparser.h>
#else
# include <iniparser.h>
#endif

#include "caps.h"
#include "conffile.h"
#include "rules.h"
#include "store.h"

/* iniparser 4.1 reads lines with fgets into 1024 bytes and fails on longer
 * ones; we stop a little earlier so the limit is ours and named in messages
 * (caps.h). */
#define RULE_LINE_MAX CAP_RULE_LINE_BYTES
#define DEFAULT_TTL_SECONDS (30L * 86400)
#define MIN_TTL_SECONDS 3600L
#define MAX_TTL_SECONDS (3650L * 86400)
#define DEFAULT_LOCK_WAIT_MS 5000L
#define MAX_LOCK_WAIT_MS 60000L
#define DEFAULT_IDENT "backscatter-filter"
#define MAX_IDENT_BYTES 64
#define MAX_HEADER_NAME_BYTES 76
#define MAX_RULE_NAME_BYTES 64
#define MAX_KEYS_PER_SECTION 16

static char default_ident[] = DEFAULT_IDENT;

/* ---------- the vocabulary of the file ---------- */

enum section_type {
  SECTION_STORE, SECTION_IDENTITY, SECTION_ACTIONS, SECTION_EXIT, SECTION_LOG,
  SECTION_CLASSIFY, SECTION_RULE
};

static const char *const store_keys[] = {
  "path", "ttl", "lock_wait", "namespace", "timeout", "password", NULL
};
static const char *const identity_keys[] = {
  "addresses", "domains", "relays", NULL
};
static const char *const actions_keys[] = {
  "clean", "genuine", "backscatter", "unknown",
  "dsn", "ndr", "autoreply", "challenge", "virus", "mdn", "arf", NULL
};
static const char *const exit_keys[] = {
  "deliver", "file", "drop", "tempfail", "on_error", NULL
};
static const char *const log_keys[] = {
  "syslog", "facility", "ident", "file", NULL
};
static const char *const classify_keys[] = { "signatures", NULL };
static const char *const rule_keys[] = {
  "header", "glob", "regex", "verdict", "action", NULL
};

static const struct {
  const char *name;
  enum section_type type;
  const char *const *keys;
  const char *expected;
} section_table[] = {
  { "store", SECTION_STORE, store_keys,
    "path, ttl, lock_wait, namespace, timeout, password" },
  { "identity", SECTION_IDENTITY, identity_keys, "addresses, domains, relays" },
  { "actions", SECTION_ACTIONS, actions_keys,
    "clean, genuine, backscatter, unknown, dsn, ndr, autoreply, challenge, "
    "virus, mdn, arf" },
  { "exit", SECTION_EXIT, exit_keys, "deliver, file, drop, tempfail, on_error" },
  { "log", SECTION_LOG, log_keys, "syslog, facility, ident, file" },
  { "classify", SECTION_CLASSIFY, classify_keys, "signatures" },
  { "rule", SECTION_RULE, rule_keys, "header, glob, regex, verdict, action" },
};
#define SECTION_TABLE_COUNT (sizeof section_table / sizeof section_table[0])
#define MAX_SECTIONS (SECTION_TABLE_COUNT - 1 + CAP_SITE_RULES)

static const struct {
  const char *name;
  int facility;
} facility_table[] = {
  { "mail", LOG_MAIL }, { "user", LOG_USER },
  { "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
  { "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
  { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
  { "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

/* ---------- what the reading saw ---------- */

struct seen_key {
  const char *name;         /* from the key table: known keys only */
  unsigned line;
  int slot;                 /* its entry in the dictionary, or -1 (ini_slot) */
};

struct seen_section {
  size_t table_index;
  char *ini_name;           /* lower case, exactly as iniparser stores it */
  char *written;            /* as written between the brackets, trimmed */
  const char *rule_name;    /* inside `written`, for [rule NAME] */
  unsigned name_hash;       /* equal for sections that are the same */
  unsigned line;
  struct seen_key keys[MAX_KEYS_PER_SECTION];
  size_t key_count;
};

struct prepass {
  struct seen_section *sections;  /* MAX_SECTIONS slots */
  size_t count;
  size_t rule_count;
  dictionary *ini;                /* the values, as iniparser would hold them */
};

/* ---------- messages ---------- */

static int config_error(struct failure *failure, const char *file,
                        unsigned line, const char *section, const char *key,
                        const char *format, ...)
  __attribute__((format(printf, 6, 7)));

/* "FILE:LINE: [section] key: what is wrong (expected ...)"; the parts that
 * are not known are left out. */
static int
config_error(struct failure *failure, const char *file, unsigned line,
             const char *section, const char *key, const char *format, ...)
{
  char where[256], what[400];
  va_list args;
  int used = line ? snprintf(where, sizeof where, "%s:%u:", file, line)
                  : snprintf(where, sizeof where, "%s:", file);
  if (used > 0 && (size_t) used < sizeof where && section)
    used += snprintf(where + used, sizeof where - used, " [%s]", section);
  if (used > 0 && (size_t) used < sizeof where && key)
    used += snprintf(where + used, sizeof where - used, " %s", key);
  if (used > 0 && (size_t) used < sizeof where && (section || key))
    snprintf(where + used, sizeof where - used, ":");
  va_start(args, format);
  vsnprintf(what, sizeof what, format, args);
  va_end(args);
  return failure_set(failure, FAILURE_CONFIG, "%s %s", where, what);
}

/* ---------- small string helpers ---------- */

static int
is_blank(int c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v'
         || c == '\f';
}

static void
lower_ascii(char *text)
{
  for (; *text; text++)
    if (*text >= 'A' && *text <= 'Z')
      *text = (char) (*text - 'A' + 'a');
}

/* A malloc'ed copy of text[0..length) with blanks trimmed at both ends. */
static char *
copy_trimmed(const char *text, size_t length)
{
  while (length && is_blank((unsigned char) *text))
    text++, length--;
  while (length && is_blank((unsigned char) text[length - 1]))
    length--;
  return strndup(text, length);
}

static char *
join_path(const char *first, const char *second)
{
  char *path;
  if (asprintf(&path, "%s/%s", first, second) < 0)
    return NULL;
  return path;
}

/* ---------- defaults and freeing ---------- */

void
rules_init_defaults(struct rules *rules)
{
  memset(rules, 0, sizeof *rules);
  rules->ttl = DEFAULT_TTL_SECONDS;
  rules->lock_wait_ms = DEFAULT_LOCK_WAIT_MS;
  rules->verdict_action[VERDICT_CLEAN] = ACTION_DELIVER;
  rules->verdict_action[VERDICT_GENUINE] = ACTION_DELIVER;
  rules->verdict_action[VERDICT_BACKSCATTER] = ACTION_FILE;
  rules->verdict_action[VERDICT_UNKNOWN] = ACTION_DELIVER;
  rules->exit_code[ACTION_DELIVER] = 0;
  rules->exit_code[ACTION_FILE] = 2;
  rules->exit_code[ACTION_DROP] = 1;
  rules->tempfail_code = 75;
  rules->on_error_tempfail = 0;
  rules->log_syslog = 1;
  rules->log_facility = LOG_MAIL;
  /* Defaults allocate nothing, yet readers want a string: point at a
   * static copy that rules_free() knows not to free. */
  rules->log_ident = default_ident;
}

static void
string_list_free(struct string_list *list)
{
  for (size_t i = 0; i < list->count; i++)
    free(list->items[i]);
  free(list->items);
  list->items = NULL;
  list->count = 0;
}

static void
site_rule_free(struct site_rule *rule)
{
  free(rule->name);
  free(rule->header);
  free(rule->pattern);
  free(rule->literal);
}

void
rules_free(struct rules *rules)
{
  free(rules->source);
  free(rules->store_path);
  free(rules->store_namespace);
  if (rules->store_password) {
    explicit_bzero(rules->store_password, strlen(rules->store_password));
    free(rules->store_password);
  }
  string_list_free(&rules->addresses);
  string_list_free(&rules->domains);
  string_list_free(&rules->relays);
  if (rules->log_ident != default_ident)
    free(rules->log_ident);
  free(rules->log_file);
  free(rules->signatures_file);
  for (size_t i = 0; i < rules->site_rule_count; i++) {
    site_rule_free(&rules->site_rules[i]);
    if (rules->site_regexes
        && rules->site_regexes[i].state == REGEX_COMPILED)
      regfree(&rules->site_regexes[i].compiled);
  }
  free(rules->site_rules);
  free(rules->site_regexes);
  rules_init_defaults(rules);
}

/* ---------- the one reading ---------- */

static void
prepass_free(struct prepass *seen)
{
  if (seen->sections)
    for (size_t i = 0; i < seen->count; i++) {
      free(seen->sections[i].ini_name);
      free(seen->sections[i].written);
    }
  free(seen->sections);
  seen->sections = NULL;
  seen->count = 0;
  if (seen->ini)
    iniparser_freedict(seen->ini);
  seen->ini = NULL;
}

static const char *
section_label(const struct seen_section *section)
{
  return section ? section->written : NULL;
}

/* Rule names become part of an iniparser section name: ':' would break its
 * section enumeration, and brackets, ';' and '#' would confuse readers. */
static int
rule_name_ok(const char *name)
{
  size_t length = strlen(name);
  if (length == 0 || length > MAX_RULE_NAME_BYTES)
    return 0;
  for (const char *p = name; *p; p++) {
    unsigned char c = (unsigned char) *p;
    if (c < 0x20 || c > 0x7e || c == '\t' || strchr(":[];#", c))
      return 0;
  }
  return 1;
}

/* Sections that are the same section (prepass_section) hash alike: its
 * type, and for a rule its name without regard to case. Comparing hashes
 * first keeps a file of many rules from costing a string comparison per
 * pair. */
static unsigned
section_name_hash(size_t table_index, const char *rule_name)
{
  unsigned hash = 2166136261u ^ (unsigned) table_index;
  for (const char *p = rule_name; p && *p; p++) {
    unsigned char c = (unsigned char) *p;
    hash = (hash ^ (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c)) * 16777619u;
  }
  return hash;
}

static int
prepass_section(struct prepass *seen, const char *file, unsigned line,
                const char *inner, size_t inner_length, struct failure *failure)
{
  struct seen_section *section;
  char *written = copy_trimmed(inner, inner_length);
  char *ini_name, *rest;
  size_t index, type_length;

  if (!written)
    return failure_set(failure, FAILURE_MEMORY, "%s: out of memory", file);
  if (!*written) {
    free(written);
    return config_error(failure, file, line, NULL, NULL,
                        "empty section name (expected [store], [identity], "
                        "[actions], [exit], [log] or [rule NAME])");
  }
  type_length = strcspn(written, " \t");
  for (index = 0; index < SECTION_TABLE_COUNT; index++)
    if (strlen(section_table[index].name) == type_length
        && strncasecmp(written, section_table[index].name, type_length) == 0)
      break;
  rest = written + type_length;
  while (*rest == ' ' || *rest == '\t')
    rest++;
  if (index == SECTION_TABLE_COUNT
      || (section_table[index].type == SECTION_RULE) != (*rest != '\0')) {
    config_error(failure, file, line, written, NULL,
                 "unknown section (expected [store], [identity], [actions], "
                 "[exit], [log] or [rule NAME])");
    free(written);
    return -1;
  }
  if (section_table[index].type == SECTION_RULE && !rule_name_ok(rest)) {
    config_error(failure, file, line, written, NULL,
                 "bad rule name (expected 1 to %d printable ASCII characters "
                 "other than : [ ] ; #)", MAX_RULE_NAME_BYTES);
    free(written);
    return -1;
  }
  ini_name = strdup(written);
  if (!ini_name) {
    free(written);
    return failure_set(failure, FAILURE_MEMORY, "%s: out of memory", file);
  }
  lower_ascii(ini_name);

  unsigned name_hash = section_name_hash(index, section_table[index].type
                                                == SECTION_RULE ? rest : NULL);
  for (size_t i = 0; i < seen->count; i++) {
    const struct seen_section *other = &seen->sections[i];
    if (other->name_hash != name_hash)
      continue;
    int same = strcmp(other->ini_name, ini_name) == 0;
    if (!same && other->rule_name && section_table[index].type == SECTION_RULE)
      same = strcasecmp(other->rule_name, rest) == 0;
    if (same) {
      config_error(failure, file, line, written, NULL,
                   "section repeated: [%s] was first given at line %u "
                   "(names are not case-sensitive; expected each section "
                   "once)", other->written, other->line);
      free(written);
      free(ini_name);
      return -1;
    }
  }
  if (section_table[index].type == SECTION_RULE
      && seen->rule_count >= CAP_SITE_RULES) {
    config_error(failure, file, line, written, NULL,
                 "too many rules (expected at most %d)", CAP_SITE_RULES);
    free(written);
    free(ini_name);
    return -1;
  }
  /* Fixed sections are unique and rules capped, so the slots suffice. */
  section = &seen->sections[seen->count++];
  memset(section, 0, sizeof *section);
  section->table_index = index;
  section->ini_name = ini_name;
  section->written = written;
  section->rule_name = section_table[index].type == SECTION_RULE ? rest : NULL;
  section->name_hash = name_hash;
  section->line = line;
  if (section->rule_name)
    seen->rule_count++;
  /* As iniparser_load() does: a section is an entry without a value. */
  if (dictionary_set(seen->ini, ini_name, NULL) != 0)
    return failure_set(failure, FAILURE_MEMORY, "%s: out of memory", file);
  return 0;
}

/* The value part of "key = value" as iniparser 4.1 reads it, into `out`
 * (at least length + 1 bytes); prepass_value() has checked the quotes.
 * Quoted: what is between the quotes, kept as it is. Unquoted: up to the
 * first ';' or '#', blanks trimmed. */
static void
ini_value(const char *value, size_t length, char *out)
{
  size_t start = 0, end;
  while (start < length && is_blank((unsigned char) value[start]))
    start++;
  if (start < length && (value[start] == '"' || value[start] == '\'')) {
    const char *close = memchr(value + start + 1, value[start],
                               length - start - 1);
    start++;
    end = close ? (size_t) (close - value) : length;
  } else {
    end = start;
    while (end < length && value[end] != ';' && value[end] != '#')
      end++;
    while (end > start && is_blank((unsigned char) value[end - 1]))
      end--;
  }
  memcpy(out, value + start, end - start);
  out[end - start] = '\0';
}

/* Check the value part of "key = value" the way iniparser would read it. */
static int
prepass_value(const char *value, size_t length, const char **problem)
{
  size_t i = 0;
  char quote;
  while (i < length && is_blank((unsigned char) value[i]))
    i++;
  if (i == length || (value[i] != '"' && value[i] != '\''))
    return 0;
  quote = value[i++];
  while (i < length && value[i] != quote)
    i++;
  if (i == length) {
    *problem = "unterminated quote (expected a closing quote on the same line)";
    return -1;
  }
  for (i++; i < length && is_blank((unsigned char) value[i]); i++)
    continue;
  if (i < length && value[i] != ';' && value[i] != '#') {
    *problem = "text after the closing quote (expected only a ; or # "
               "comment; a quoted value cannot contain its own quote: use "
               "the other kind of quote)";
    return -1;
  }
  return 0;
}

/* `slot` if the dictionary's entry there is `name`, else -1. A key's value
 * is read back from the slot dictionary_set() put it in (a dictionary that
 * is only added to fills its slots in order: iniparser 4.1's
 * dictionary_set), because dictionary_get() searches every slot, which
 * made loading a file of many rules quadratic; checked here and again when
 * read, and looked up by name when it is not so. */
static int
ini_slot(const dictionary *ini, int slot, const char *name)
{
  if (slot >= 0 && slot < ini->size && ini->key[slot]
      && strcmp(ini->key[slot], name) == 0)
    return slot;
  return -1;
}

/* "section:key", the name iniparser gives a key, into `out` (cut to fit,
 * as snprintf would; a section name is at most a line). Not snprintf: it
 * is called twice per key and was a fifth of loading a file of rules. */
static void
ini_entry_name(char *out, size_t size, const char *section, const char *key)
{
  size_t section_length = strlen(section), key_length = strlen(key);
  if (section_length > size - 1)
    section_length = size - 1;
  memcpy(out, section, section_length);
  out += section_length;
  size -= section_length;
  if (size > 1) {
    *out++ = ':';
    size--;
  }
  if (key_length > size - 1)
    key_length = size - 1;
  memcpy(out, key, key_length);
  out[key_length] = '\0';
}

static int
prepass_key(struct prepass *seen, const char *file, unsigned line,
            const char *text, size_t length, struct failure *failure)
{
  const char *equals = memchr(text, '=', length);
  struct seen_section *section =
    seen->count ? &seen->sections[seen->count - 1] : NULL;
  const char *const *keys;
  const char *problem = NULL;
  char *key;
  size_t k;

  if (!equals)
    return config_error(failure, file, line, section_label(section), NULL,
                        "syntax error (expected [section], key = value, "
                        "or a comment starting with # or ;)");
  key = copy_trimmed(text, (size_t) (equals - text));
  if (!key)
    return failure_set(failure, FAILURE_MEMORY, "%s: out of memory", file);
  if (!*key) {
    free(key);
    return config_error(failure, file, line, section_label(section), NULL,
                        "line has no key before '=' (expected key = value)");
  }
  if (!section) {
    config_error(failure, file, line, NULL, key,
                 "key before the first section (expected a [section] line "
                 "first)");
    free(key);
    return -1;
  }
  keys = section_table[section->table_index].keys;
  for (k = 0; keys[k]; k++)
    if (strcasecmp(keys[k], key) == 0)
      break;
  if (!keys[k]) {
    config_error(failure, file, line, section->written, key,
                 "unknown key (expected one of: %s)",
                 section_table[section->table_index].expected);
    free(key);
    return -1;
  }
  free(key);
  for (size_t i = 0; i < section->key_count; i++)
    if (section->keys[i].name == keys[k])
      return config_error(failure, file, line, section->written, keys[k],
                          "key repeated: first given at line %u (expected "
                          "each key once per section)", section->keys[i].line);
  if (prepass_value(equals + 1, length - (size_t) (equals + 1 - text),
                    &problem) < 0)
    return config_error(failure, file, line, section->written, keys[k],
                        "%s", problem);
  char entry[RULE_LINE_MAX + 32], value[RULE_LINE_MAX + 1];
  int slot = seen->ini->n;   /* where a new entry goes (ini_slot) */
  ini_entry_name(entry, sizeof entry, section->ini_name, keys[k]);
  ini_value(equals + 1, length - (size_t) (equals + 1 - text), value);
  if (dictionary_set(seen->ini, entry, value) != 0)
    return failure_set(failure, FAILURE_MEMORY, "%s: out of memory", file);
  /* Known keys are unique, so a section never holds more than its table. */
  section->keys[section->key_count].name = keys[k];
  section->keys[section->key_count].line = line;
  section->keys[section->key_count].slot = ini_slot(seen->ini, slot, entry);
  section->key_count++;
  return 0;
}

static int
prepass_run(struct prepass *seen, const char *file, const char *text,
            size_t length, struct failure *failure)
{
  size_t start = 0;
  unsigned line = 0;

  /* Not zeroed (80 KB for the capped number of rules): a slot is cleared
   * when prepass_section() takes it, and only taken slots are read. */
  seen->sections = malloc(MAX_SECTIONS * sizeof *seen->sections);
  seen->ini = dictionary_new(0);
  if (!seen->sections || !seen->ini)
    return failure_set(failure, FAILURE_MEMORY, "%s: out of memory", file);
  if (memchr(text, '\0', length))
    return config_error(failure, file, 0, NULL, NULL,
                        "contains a NUL byte (expected a text file)");
  while (start < length) {
    const char *end = memchr(text + start, '\n', length - start);
    size_t raw = end ? (size_t) (end - text) - start : length - start;
    const char *p = text + start;
    size_t n = raw;

    line++;
    start += raw + 1;
    if (raw > RULE_LINE_MAX)
      return config_error(failure, file, line, NULL, NULL,
                          "line too long: %zu bytes (expected at most %d)",
                          raw, RULE_LINE_MAX);
    while (n && is_blank((unsigned char) *p))
      p++, n--;
    while (n && is_blank((unsigned char) p[n - 1]))
      n--;
    if (n && p[n - 1] == '\\')
      return config_error(failure, file, line,
                          section_label(seen->count
                                        ? &seen->sections[seen->count - 1]
                                        : NULL), NULL,
                          "line ends with a backslash (iniparser would join "
                          "the next line to it; expected no line "
                          "continuation)");
    if (n == 0 || *p == '#' || *p == ';')
      continue;
    if (*p == '[' && p[n - 1] == ']') {
      if (prepass_section(seen, file, line, p + 1, n - 2, failure) < 0)
        return -1;
    } else if (prepass_key(seen, file, line, p, n, failure) < 0) {
      return -1;
    }
  }
  return 0;
}

/* ---------- values ---------- */

struct value_at {
  const char *file;
  unsigned line;
  const char *section;
  const char *key;
  const char *text;
};

static int value_error(struct failure *failure, const struct value_at *at,
                       const char *format, ...)
  __attribute__((format(printf, 3, 4)));

static int
value_error(struct failure *failure, const struct value_at *at,
            const char *format, ...)
{
  char what[400];
  va_list args;
  va_start(args, format);
  vsnprintf(what, sizeof what, format, args);
  va_end(args);
  return config_error(failure, at->file, at->line, at->section, at->key, "%s",
                      what);
}

/* Decimal digits (no sign, no base prefix: "010" is ten) and a unit. */
static int
split_number(const char *text, long long *number, char *unit, size_t unit_size)
{
  size_t digits = 0, unit_length;
  long long value = 0;
  while (text[digits] >= '0' && text[digits] <= '9') {
    if (digits >= 12)
      return -1;
    value = value * 10 + (text[digits] - '0');
    digits++;
  }
  unit_length = strlen(text + digits);
  if (digits == 0 || unit_length >= unit_size)
    return -1;
  memcpy(unit, text + digits, unit_length + 1);
  lower_ascii(unit);
  *number = value;
  return 0;
}

static int
parse_ttl(const struct value_at *at, time_t *ttl, struct failure *failure)
{
  long long number, seconds;
  char unit[4];
  static const char expected[] = "expected a duration such as 30d, 12h, 90m, "
                                 "3600s or plain seconds, from 1h to 3650d";
  if (split_number(at->text, &number, unit, sizeof unit) < 0)
    return value_error(failure, at, "'%s' is not a duration (%s)", at->text,
                       expected);
  if (!*unit || strcmp(unit, "s") == 0)
    seconds = number;
  else if (strcmp(unit, "m") == 0)
    seconds = number * 60;
  else if (strcmp(unit, "h") == 0)
    seconds = number * 3600;
  else if (strcmp(unit, "d") == 0)
    seconds = number * 86400;
  else
    return value_error(failure, at, "unknown unit in '%s' (%s)", at->text,
                       expected);
  if (seconds < MIN_TTL_SECONDS || seconds > MAX_TTL_SECONDS)
    return value_error(failure, at, "'%s' is out of range (%s)", at->text,
                       expected);
  *ttl = (time_t) seconds;
  return 0;
}

static int
parse_lock_wait(const struct value_at *at, long *wait_ms,
                struct failure *failure)
{
  long long number, ms;
  char unit[4];
  static const char expected[] = "expected a wait such as 5s, 500ms or plain "
                                 "seconds, from 0 to 60s";
  if (split_number(at->text, &number, unit, sizeof unit) < 0)
    return value_error(failure, at, "'%s' is not a duration (%s)", at->text,
                       expected);
  if (!*unit || strcmp(unit, "s") == 0)
    ms = number * 1000;
  else if (strcmp(unit, "ms") == 0)
    ms = number;
  else
    return value_error(failure, at, "unknown unit in '%s' (%s)", at->text,
                       expected);
  if (ms > MAX_LOCK_WAIT_MS)
    return value_error(failure, at, "'%s' is out of range (%s)", at->text,
                       expected);
  *wait_ms = (long) ms;
  return 0;
}

static int
parse_exit_code(const struct value_at *at, int *code, struct failure *failure)
{
  long long number;
  char unit[2];
  if (split_number(at->text, &number, unit, sizeof unit) < 0 || *unit
      || number > 255)
    return value_error(failure, at, "'%s' is not an exit code (expected a "
                       "decimal number from 0 to 255)", at->text);
  *code = (int) number;
  return 0;
}

static int
parse_boolean(const struct value_at *at, int *flag, struct failure *failure)
{
  static const char *const yes[] = { "yes", "true", "on", "1" };
  static const char *const no[] = { "no", "false", "off", "0" };
  for (size_t i = 0; i < 4; i++) {
    if (strcasecmp(at->text, yes[i]) == 0)
      return *flag = 1, 0;
    if (strcasecmp(at->text, no[i]) == 0)
      return *flag = 0, 0;
  }
  return value_error(failure, at, "'%s' is not a yes/no value (expected yes, "
                     "no, true, false, on, off, 1 or 0)", at->text);
}

static int
parse_action_value(const struct value_at *at, enum action *action,
                   struct failure *failure)
{
  if (action_parse(at->text, action) < 0)
    return value_error(failure, at, "unknown action '%s' (expected deliver, "
                       "file or drop)", at->text);
  return 0;
}

enum list_type { LIST_ADDRESSES, LIST_DOMAINS, LIST_RELAYS };

/* Host or domain characters; ':' only for IPv6 relays. */
static int
host_text_ok(const char *text, int allow_colon)
{
  if (!*text || *text == '.' || text[strlen(text) - 1] == '.')
    return 0;
  for (const char *p = text; *p; p++)
    if (!(isalnum((unsigned char) *p) || *p == '-' || *p == '.' || *p == '_'
          || (allow_colon && *p == ':')))
      return 0;
  return 1;
}

/* Normalise one list item in place (lower case, no <> or [] around it) and
 * say whether it is acceptable for its list. */
static const char *
list_item_check(char *item, enum list_type type)
{
  size_t length = strlen(item);
  char *at;
  lower_ascii(item);
  switch (type) {
  case LIST_ADDRESSES:
    if (length >= 2 && item[0] == '<' && item[length - 1] == '>') {
      memmove(item, item + 1, length - 2);
      item[length - 2] = '\0';
    }
    at = strrchr(item, '@');
    if (!at || at == item || strchr(item, '@') != at || !host_text_ok(at + 1, 0)
        || strpbrk(item, "<>\"()[]\\"))
      return "expected local@domain";
    return NULL;
  case LIST_DOMAINS:
    return host_text_ok(item, 0) ? NULL
           : "expected a domain name such as example.org";
  case LIST_RELAYS:
    if (length >= 2 && item[0] == '[' && item[length - 1] == ']') {
      memmove(item, item + 1, length - 2);
      item[length - 2] = '\0';
    }
    if (strncmp(item, "ipv6:", 5) == 0)
      memmove(item, item + 5, strlen(item + 5) + 1);
    return host_text_ok(item[0] == '.' ? item + 1 : item, 1) ? NULL
           : "expected a host name, .domain or IP address";
  }
  return "unknown list";
}

static int
parse_list(const struct value_at *at, enum list_type type,
           struct string_list *list, struct failure *failure)
{
  const char *p = at->text;
  struct string_list fresh = { NULL, 0 };
  /* Not zeroed: an item is set before the count covers it. */
  fresh.items = malloc(CAP_IDENTITY_ITEMS * sizeof *fresh.items);
  if (!fresh.items)
    return failure_set(failure, FAILURE_MEMORY, "%s: out of memory", at->file);
  for (;;) {
    size_t length;
    const char *problem;
    char *item;
    p += strspn(p, " \t,");
    if (!*p)
      break;
    length = strcspn(p, " \t,");
    if (fresh.count == CAP_IDENTITY_ITEMS) {
      string_list_free(&fresh);
      return value_error(failure, at, "too many entries (expected at most "
                         "%d)", CAP_IDENTITY_ITEMS);
    }
    if (length >= CAP_ADDRESS_BYTES) {
      string_list_free(&fresh);
      return value_error(failure, at, "entry too long (expected at most %d "
                         "bytes)", CAP_ADDRESS_BYTES - 1);
    }
    item = strndup(p, length);
    if (!item) {
      string_list_free(&fresh);
      return failure_set(failure, FAILURE_MEMORY, "%s: out of memory",
                         at->file);
    }
    fresh.items[fresh.count++] = item;
    problem = list_item_check(item, type);
    if (problem) {
      int result = value_error(failure, at, "bad entry '%.*s' (%s; entries "
                               "are separated by spaces or commas)",
                               (int) length, p, problem);
      string_list_free(&fresh);
      return result;
    }
    p += length;
  }
  string_list_free(list);
  *list = fresh;
  return 0;
}

static int
parse_facility(const struct value_at *at, int *facility,
               struct failure *failure)
{
  for (size_t i = 0; i < sizeof facility_table / sizeof facility_table[0]; i++)
    if (strcasecmp(at->text, facility_table[i].name) == 0)
      return *facility = facility_table[i].facility, 0;
  return value_error(failure, at, "unknown facility '%s' (expected mail, user "
                     "or local0 to local7)", at->text);
}

static int
replace_string(char **slot, const char *text, const struct value_at *at,
               struct failure *failure)
{
  char *copy = strdup(text);
  if (!copy)
    return failure_set(failure, FAILURE_MEMORY, "%s: out of memory", at->file);
  if (*slot != default_ident)
    free(*slot);
  *slot = copy;
  return 0;
}

static int
apply_store(struct rules *fresh, const struct value_at *at,
            struct failure *failure)
{
  if (strcmp(at->key, "path") == 0) {
    if (store_path_is_redis(at->text)) {
      /* Checked now, so that a typo is a configuration error at load time;
       * the parser's messages never echo a password. */
      struct redis_address address;
      struct failure why = { 0 };
      int parsed = store_parse_redis_url(at->text, &address, &why);
      explicit_bzero(&address, sizeof address);
      if (parsed != 0)
        return value_error(failure, at, "%s", why.message);
    } else if (at->text[0] != '/' && strncmp(at->text, "~/", 2) != 0)
      return value_error(failure, at, "'%s' is not an absolute path "
                         "(expected /path, ~/path or a redis:// URL)",
                         at->text);
    return replace_string(&fresh->store_path, at->text, at, failure);
  }
  if (strcmp(at->key, "ttl") == 0)
    return parse_ttl(at, &fresh->ttl, failure);
  if (strcmp(at->key, "namespace") == 0) {
    if (!store_namespace_valid(at->text))
      return value_error(failure, at, "'%s' is not a namespace (1 to %d of "
                         "A-Z a-z 0-9 . _ : -)", at->text,
                         STORE_NAMESPACE_MAX_BYTES);
    return replace_string(&fresh->store_namespace, at->text, at, failure);
  }
  if (strcmp(at->key, "timeout") == 0) {
    if (parse_lock_wait(at, &fresh->store_timeout_ms, failure) < 0)
      return -1;
    if (fresh->store_timeout_ms == 0)
      return value_error(failure, at, "a timeout of 0 would never reach the "
                         "store (expected 1ms to 60s)");
    return 0;
  }
  if (strcmp(at->key, "password") == 0) {
    size_t length = strnlen(at->text, STORE_CREDENTIAL_MAX_BYTES + 1);
    bool visible = length > 0 && length <= STORE_CREDENTIAL_MAX_BYTES;
    for (size_t i = 0; visible && i < length; i++)
      visible = (unsigned char) at->text[i] > 0x20
                && (unsigned char) at->text[i] < 0x7f;
    if (!visible)   /* never echo it */
      return value_error(failure, at, "the password must be 1 to %d visible "
                         "ASCII characters", STORE_CREDENTIAL_MAX_BYTES);
    if (fresh->store_password) {
      explicit_bzero(fresh->store_password, strlen(fresh->store_password));
      free(fresh->store_password);
      fresh->store_password = NULL;
    }
    return replace_string(&fresh->store_password, at->text, at, failure);
  }
  return parse_lock_wait(at, &fresh->lock_wait_ms, failure);
}

static int
apply_identity(struct rules *fresh, const struct value_at *at,
               struct failure *failure)
{
  if (strcmp(at->key, "addresses") == 0)
    return parse_list(at, LIST_ADDRESSES, &fresh->addresses, failure);
  if (strcmp(at->key, "domains") == 0)
    return parse_list(at, LIST_DOMAINS, &fresh->domains, failure);
  return parse_list(at, LIST_RELAYS, &fresh->relays, failure);
}

static int
apply_actions(struct rules *fresh, const struct value_at *at,
              struct failure *failure)
{
  enum verdict verdict;
  enum notice_kind kind;
  enum action action;
  if (parse_action_value(at, &action, failure) < 0)
    return -1;
  if (verdict_parse(at->key, &verdict) == 0) {
    fresh->verdict_action[verdict] = action;
  } else if (kind_parse(at->key, &kind) == 0) {
    fresh->kind_action_set[kind] = 1;
    fresh->kind_action[kind] = action;
  }
  return 0;
}

static int
apply_exit(struct rules *fresh, const struct value_at *at,
           struct failure *failure)
{
  enum action action;
  if (strcmp(at->key, "on_error") == 0) {
    if (strcasecmp(at->text, "deliver") == 0)
      fresh->on_error_tempfail = 0;
    else if (strcasecmp(at->text, "tempfail") == 0)
      fresh->on_error_tempfail = 1;
    else
      return value_error(failure, at, "'%s' is not an error policy "
                         "(expected deliver or tempfail)", at->text);
    return 0;
  }
  if (strcmp(at->key, "tempfail") == 0)
    return parse_exit_code(at, &fresh->tempfail_code, failure);
  if (action_parse(at->key, &action) < 0)
    return value_error(failure, at, "internal: unexpected key");
  return parse_exit_code(at, &fresh->exit_code[action], failure);
}

static int
apply_log(struct rules *fresh, const struct value_at *at,
          struct failure *failure)
{
  if (strcmp(at->key, "syslog") == 0)
    return parse_boolean(at, &fresh->log_syslog, failure);
  if (strcmp(at->key, "facility") == 0)
    return parse_facility(at, &fresh->log_facility, failure);
  if (strcmp(at->key, "file") == 0) {
    /* Kept as written: "~/" is expanded by the caller, which has HOME. */
    if (at->text[0] != '/' && strncmp(at->text, "~/", 2) != 0)
      return value_error(failure, at, "'%s' is not an absolute path "
                         "(expected /path or ~/path)", at->text);
    return replace_string(&fresh->log_file, at->text, at, failure);
  }
  if (strlen(at->text) > MAX_IDENT_BYTES)
    return value_error(failure, at, "ident too long (expected at most %d "
                       "characters)", MAX_IDENT_BYTES);
  for (const char *p = at->text; *p; p++)
    if (!isgraph((unsigned char) *p))
      return value_error(failure, at, "'%s' is not a log ident (expected "
                         "printable characters without spaces)", at->text);
  return replace_string(&fresh->log_ident, at->text, at, failure);
}

static int
apply_classify(struct rules *fresh, const struct value_at *at,
               struct failure *failure)
{
  /* Kept as written: "~/" is expanded by the caller, which has HOME. */
  if (at->text[0] != '/' && strncmp(at->text, "~/", 2) != 0)
    return value_error(failure, at, "'%s' is not an absolute path "
                       "(expected /path or ~/path)", at->text);
  return replace_string(&fresh->signatures_file, at->text, at, failure);
}

/* ---------- site rules ---------- */

/* Past the bracket expression that starts at pattern[i] == '[', or 0 when
 * it does not close. A ']' first (after an optional '^') is a member;
 * "[:", "[." and "[=" open a class, collating symbol or equivalence class
 * that ends at ":]", ".]" or "=]". */
static size_t
skip_bracket(const char *pattern, size_t i)
{
  i++;
  if (pattern[i] == '^')
    i++;
  if (pattern[i] == ']')
    i++;
  for (; pattern[i]; i++) {
    if (pattern[i] == ']')
      return i + 1;
    if (pattern[i] == '[' && strchr(":.=", pattern[i + 1]) && pattern[i + 1]) {
      char close = pattern[i + 1];
      const char *end = pattern + i + 2;
      while (*end && !(end[0] == close && end[1] == ']'))
        end++;
      if (!*end)
        return 0;
      i = (size_t) (end - pattern) + 1;
    }
  }
  return 0;
}

/* Past the group that starts at pattern[i] == '(' (nested groups, bracket
 * expressions and escapes inside skipped), or 0 when it does not close. */
static size_t
skip_group(const char *pattern, size_t i)
{
  int depth = 0;
  while (pattern[i]) {
    char c = pattern[i];
    if (c == '\\') {
      if (!pattern[i + 1])
        return 0;
      i += 2;
    } else if (c == '[') {
      i = skip_bracket(pattern, i);
      if (i == 0)
        return 0;
    } else {
      i++;
      if (c == '(')
        depth++;
      else if (c == ')' && --depth == 0)
        return i;
    }
  }
  return 0;
}

/* Escaped characters that POSIX extended syntax (and glibc's) reads as the
 * character itself. Letters and digits are not here: glibc gives \w, \b,
 * \1 ... meanings of their own; nor are < > ` ', its anchors. */
static const char escaped_literals[] = ".[](){}*+?|^$\\/-@:,;=!#%&~\"_ ";

/* Text that every match of the POSIX extended regex `pattern` contains,
 * lower case (matching ignores case): its longest run of fixed text, or
 * when the pattern has branches ('|' outside groups and brackets), the
 * longest run of each branch, separated by '\n' (a match contains one of
 * them; a header value never holds a '\n'); NULL when that is not certain.
 * Conservative: only runs outside groups and brackets, of printable ASCII
 * (case folding of other bytes is the locale's), none if a branch has no
 * run, and none for anything this reading does not follow (the regex may
 * be bad: its compilation says so). A character followed by '*', '?' or
 * '{' may be absent, so it ends the run without joining it; one followed by
 * '+' joins it and ends it. */
static char *
regex_literal(const char *pattern)
{
  /* A branch's runs are written one after another into `runs`; its best
   * is runs[best_start .. best_start + best_length). Each branch's best
   * then goes into `all`, which they fit: a run is no longer than its
   * branch, and a '\n' takes the place of a '|'. */
  size_t length = strlen(pattern), used = 0;
  char *runs = malloc(length + 1), *all = malloc(length + 1), *write = runs;
  size_t best_start = 0, best_length = 0, run_length = 0, i = 0;
  int last_literal = 0;     /* the previous atom is the run's last character */
  int last_atom = 0;        /* there is a previous atom a quantifier may take */
  int certain = runs && all;

  while (certain) {
    char c = pattern[i], text = 0;
    int literal = 0, atom = 1;
    if (c == '|' || c == '\0') {       /* the end of a branch */
      if (run_length > best_length) {
        best_length = run_length;
        best_start = (size_t) (write - runs) - run_length;
      }
      if (best_length == 0) {
        certain = 0;
        break;
      }
      if (used)
        all[used++] = '\n';
      memcpy(all + used, runs + best_start, best_length);
      used += best_length;
      if (c == '\0')
        break;
      i++;
      write = runs;
      best_start = best_length = run_length = 0;
      last_literal = last_atom = 0;
      continue;
    }
    if (c == ')') {
      certain = 0;
      break;
    }
    if (c == '*' || c == '?' || c == '+' || c == '{') {
      if (!last_atom) {         /* a quantifier of nothing, or of a quantifier */
        certain = 0;
        break;
      }
      if (last_literal && c != '+') {
        write--;
        run_length--;
      }
      if (c == '{') {
        const char *close = strchr(pattern + i, '}');
        if (!close) {
          certain = 0;
          break;
        }
        i = (size_t) (close - pattern);
      }
      i++;
      atom = 0;
    } else if (c == '\\') {
      char next = pattern[i + 1];
      if (next == '\0') {
        certain = 0;
        break;
      }
      if (strchr(escaped_literals, next)) {
        literal = 1;
        text = next;
      }
      i += 2;
    } else if (c == '(' || c == '[') {
      i = c == '(' ? skip_group(pattern, i) : skip_bracket(pattern, i);
      if (i == 0) {
        certain = 0;
        break;
      }
    } else {
      i++;
      if (c == '^' || c == '$')
        atom = 0;               /* anchors take no quantifier here */
      else if (c != '.' && c != '}' && c >= 0x20 && c < 0x7f) {
        literal = 1;
        text = c;
      }
    }
    if (literal) {
      *write++ = (char) (text >= 'A' && text <= 'Z' ? text - 'A' + 'a' : text);
      run_length++;
    } else {
      if (run_length > best_length) {
        best_length = run_length;
        best_start = (size_t) (write - runs) - run_length;
      }
      run_length = 0;
    }
    last_literal = literal;
    last_atom = atom;
  }
  free(runs);
  if (!certain) {
    free(all);
    return NULL;
  }
  all[used] = '\0';
  return all;
}

/* Does `value` contain one of `literals` (lower case, separated by '\n'),
 * ignoring ASCII case? */
static int
contains_literal(const char *value, const char *literals)
{
  for (const char *literal = literals; *literal; ) {
    size_t length = strcspn(literal, "\n");
    for (const char *at = value; *at; at++) {
      size_t i = 0;
      while (i < length) {
        char c = at[i];
        if (c >= 'A' && c <= 'Z')
          c = (char) (c - 'A' + 'a');
        if (c != literal[i])
          break;
        i++;
      }
      if (i == length)
        return 1;
    }
    literal += length;
    if (*literal == '\n')
      literal++;
  }
  return 0;
}

/* ---------- a regex's shape, checked at load ---------- */

/* glibc's regcomp copies a repeated part once per count ({n,m}: m copies,
 * {n,}: n + 1, +: 2, * and ?: 1) and copies again for each repeat around
 * it, then computes epsilon closures whose total grows as the square of
 * the result; its regexec is exponential on back-references. Measured on
 * glibc 2.36 (one regcomp with REG_EXTENDED | REG_ICASE | REG_NOSUB in a
 * child, peak RSS): "^.*" followed by 5 '+' takes 11.6 s of CPU, by 6 or
 * more it does not finish in 20 s, by 24 it fills a 1.5 GB address space
 * limit in 1.5 s (the fuzz case, by 120, took over 2 GB); 20 groups
 * "((((a)+)+)+)..." take 830 MB; "(a?){255}" 32 times over (288 bytes)
 * takes 514 MB. Within the caps (caps.h), the worst we found are a plain
 * pattern that fills its line (".?" 490 times, then "$": 12 MB at peak,
 * 2 MB kept compiled, 0.3 s for a regexec on a 1023-byte value, the most
 * decision.c looks at), and 8 optional anchors "(\b|)(\B|)..." then
 * "(.?){45}" (18 MB, 0.19 s to compile); the repeated ones near
 * CAP_REGEX_ELEMENTS, such as "(.?){255}(.?){80}$", stay below them (6 MB,
 * 1 MB, 0.27 s).
 *
 * regex_shape_check reads the pattern as glibc reads POSIX extended syntax
 * (REG_EXTENDED: a ')' without '(' is a character, a repeat after nothing
 * or after an anchor is an error, a repeat after a repeat is accepted) and
 * over-counts where it is unsure (a '{' that opens no valid interval, or a
 * '[' that closes nowhere, is counted as a character and reading goes on).
 * It refuses: a repeat applied to a repeat ("a++", "a*{2}": undefined in
 * POSIX, and the shape of the fuzz case that made regcomp take gigabytes);
 * a repeat without bound of what can match nothing ("(a*)*", "(a|)+"; an
 * epsilon cycle: glibc's calc_eclosure_iter does not keep the closures it
 * finds incomplete inside one, and computes them again along every path:
 * "x", "(||||)" 14 times, "*": 86 bytes, over 20 s; the second fuzz case,
 * "(a|||...|b){2,}"); a count over CAP_REGEX_REPEAT; nested counts whose
 * product is over CAP_REGEX_REPEAT_PRODUCT; groups more than
 * CAP_REGEX_DEPTH deep; more than CAP_REGEX_ANCHORS anchors, and from two
 * anchors on, elements times anchors over CAP_REGEX_ELEMENTS (glibc copies
 * what an anchor reaches without reading a character, per anchor and per
 * combination: "(\b|\B|^|$|a)" 60 times takes 1 GB; "x", "(\b|\B|^|$)" 4
 * times, "(.?){255}(.?){60}": 305 MB; "x(\b|)(\B|)(^|)($|)(.?){255}(.?){60}"
 * 32 MB, 30 MB kept compiled); more than
 * CAP_REGEX_ELEMENTS elements once repeats are copied out; a
 * back-reference \1 to \9. What is left to regcomp is syntax alone. One
 * pass, no allocation, no recursion (the open groups are an array of
 * CAP_REGEX_DEPTH + 1). */

struct shape_group {
  size_t elements;          /* of the group so far, its branches together */
  size_t anchors;           /* anchors in it so far, copies counted */
  size_t product;           /* largest product of nested counts inside */
  int branch_nullable;      /* the items of this branch before the last
                               one can all match nothing */
  int nullable;             /* an earlier branch can match nothing */
};

/* The interval at pattern[i] == '{': 1 with *low, *high (SIZE_MAX: no upper
 * bound) and *end (past the '}'), or 0 when glibc would not read one there
 * (it then fails to compile the pattern). A count is read up to
 * CAP_REGEX_REPEAT + 1 and no further. */
static int
read_interval(const char *pattern, size_t i, size_t *low, size_t *high,
              size_t *end)
{
  size_t j = i + 1, number;
  int digits = 0;
  for (number = 0; pattern[j] >= '0' && pattern[j] <= '9'; j++, digits = 1)
    if (number <= CAP_REGEX_REPEAT)
      number = number * 10 + (size_t) (pattern[j] - '0');
  *low = number;
  *high = number;
  if (pattern[j] == ',') {
    j++;
    *high = SIZE_MAX;
    if (pattern[j] >= '0' && pattern[j] <= '9') {
      for (number = 0; pattern[j] >= '0' && pattern[j] <= '9'; j++)
        if (number <= CAP_REGEX_REPEAT)
          number = number * 10 + (size_t) (pattern[j] - '0');
      *high = number;
    }
    digits = 1;             /* "{,}" and "{,m}" are glibc's {0,} and {0,m} */
  }
  if (!digits || pattern[j] != '}' || *low > *high)
    return 0;
  *end = j + 1;
  return 1;
}

/* 0 with *elements set (the count defined above, anchors not weighed), or
 * -1 with `why` saying what is refused and at which character (1-based). */
static int
regex_shape_check(const char *pattern, size_t *elements, char *why,
                  size_t why_size)
{
  struct shape_group groups[CAP_REGEX_DEPTH + 1];
  size_t depth = 0, i = 0, anchors, weighed;
  /* The last item read: nothing a repeat may take (the start, '(', '|',
   * an anchor), an atom or group, or a repeat; what it weighs (elements,
   * anchors, nested product) and whether it can match nothing. */
  enum { LAST_NONE, LAST_ATOM, LAST_REPEAT } last = LAST_NONE;
  size_t last_elements = 0, last_anchors = 0, last_product = 1;
  int last_nullable = 1;

  memset(&groups[0], 0, sizeof groups[0]);
  groups[0].product = 1;
  groups[0].branch_nullable = 1;
  while (pattern[i]) {
    struct shape_group *group = &groups[depth];
    size_t at = i + 1, low = 0, high = 0, end = 0;
    char c = pattern[i];
    int repeat = c == '*' || c == '+' || c == '?'
                 || (c == '{' && read_interval(pattern, i, &low, &high, &end));

    if (repeat) {
      size_t copies;
      if (last == LAST_REPEAT) {
        snprintf(why, why_size, "a repeat of a repeat ('%c' at character "
                 "%zu; undefined in POSIX, and glibc can take gigabytes on "
                 "it: expected one of * + ? {n,m} after an atom, or a group "
                 "around the inner one)", c, at);
        return -1;
      }
      if (c == '{') {
        size_t count = high == SIZE_MAX ? low : high;
        if (low > CAP_REGEX_REPEAT || (high != SIZE_MAX
                                       && high > CAP_REGEX_REPEAT)) {
          snprintf(why, why_size, "repeat count over %d ('%.*s' at character "
                   "%zu; expected at most %d)", CAP_REGEX_REPEAT,
                   (int) (end - i < 24 ? end - i : 24), pattern + i, at,
                   CAP_REGEX_REPEAT);
          return -1;
        }
        if (last == LAST_ATOM) {
          size_t product = (count ? count : 1) * last_product;
          if (product > CAP_REGEX_REPEAT_PRODUCT) {
            snprintf(why, why_size, "nested repeat counts multiply to %zu "
                     "('%.*s' at character %zu; expected at most %d)",
                     product, (int) (end - i < 24 ? end - i : 24),
                     pattern + i, at, CAP_REGEX_REPEAT_PRODUCT);
            return -1;
          }
          if (product > group->product)
            group->product = product;
        }
        copies = high == SIZE_MAX ? low + 1 : high;
        i = end;
      } else {
        low = c == '+';
        high = c == '?' ? 1 : SIZE_MAX;
        copies = c == '+' ? 2 : 1;
        i++;
      }
      if (last == LAST_NONE)    /* glibc refuses it: regcomp will say so */
        continue;
      if (high == SIZE_MAX && last_nullable) {
        snprintf(why, why_size, "a repeat without bound of what can match "
                 "nothing ('%.*s' at character %zu; glibc's regcomp can take "
                 "time exponential in the pattern on it: expected e.g. a* "
                 "for (a*)*, (a|b)* for (a?b?)* or (a|)+)",
                 (int) (c == '{' ? (end - (at - 1) < 24 ? end - (at - 1) : 24)
                                 : 1), pattern + at - 1, at);
        return -1;
      }
      /* Counts are capped, and so is what they multiply: no overflow. */
      if (copies == 0)
        copies = 1;
      group->elements += last_elements * copies + 1 - last_elements;
      group->anchors += last_anchors * copies - last_anchors;
      last_nullable = last_nullable || low == 0;
      last = LAST_REPEAT;
    } else if (c == '(') {
      if (depth == CAP_REGEX_DEPTH) {
        snprintf(why, why_size, "groups nested more than %d deep ('(' at "
                 "character %zu; expected at most %d)", CAP_REGEX_DEPTH, at,
                 CAP_REGEX_DEPTH);
        return -1;
      }
      /* The item before is complete: it is in the branch now. */
      group->branch_nullable = group->branch_nullable && last_nullable;
      depth++;
      memset(&groups[depth], 0, sizeof groups[depth]);
      groups[depth].product = 1;
      groups[depth].branch_nullable = 1;
      last = LAST_NONE;
      last_nullable = 1;
      i++;
      continue;
    } else if (c == ')' && depth > 0) {
      last_elements = group->elements + 1;
      last_anchors = group->anchors;
      last_product = group->product;
      last_nullable = group->nullable
                      || (group->branch_nullable && last_nullable);
      depth--;
      group = &groups[depth];
      group->elements += last_elements;
      group->anchors += last_anchors;
      if (last_product > group->product)
        group->product = last_product;
      last = LAST_ATOM;
      i++;
    } else if (c == '|') {
      group->nullable = group->nullable
                        || (group->branch_nullable && last_nullable);
      group->branch_nullable = 1;
      group->elements++;
      last = LAST_NONE;
      last_nullable = 1;
      i++;
    } else {
      /* An atom or an anchor: the item before is complete. */
      int anchor = c == '^' || c == '$'
                   || (c == '\\' && pattern[i + 1]
                       && strchr("bB<>`'", pattern[i + 1]));
      group->branch_nullable = group->branch_nullable && last_nullable;
      if (c == '\\') {
        if (pattern[i + 1] >= '1' && pattern[i + 1] <= '9') {
          snprintf(why, why_size, "back-reference '\\%c' at character %zu "
                   "(matching one can take time exponential in the header's "
                   "length: expected none in a site rule)", pattern[i + 1],
                   at);
          return -1;
        }
        i += pattern[i + 1] ? 2 : 1;
      } else if (c == '[') {
        size_t close = skip_bracket(pattern, i);
        i = close ? close : i + 1;
      } else {
        i++;
      }
      group->elements++;
      group->anchors += anchor ? 1 : 0;
      last_elements = 1;
      last_anchors = anchor ? 1 : 0;
      last_product = 1;
      last_nullable = anchor;
      /* glibc refuses a repeat of ^ or $ (and of \b ...: counted anyway) */
      last = c == '^' || c == '$' ? LAST_NONE : LAST_ATOM;
    }
    if (group->elements > CAP_REGEX_ELEMENTS)
      break;
  }
  *elements = 0;
  anchors = 0;
  for (size_t level = 0; level <= depth; level++) {
    *elements += groups[level].elements + (level ? 1 : 0);
    anchors += groups[level].anchors;
  }
  /* One anchor clones what it reaches (measured: no worse than none); more
   * multiply, so from two on they weigh. */
  weighed = *elements * (anchors > 1 ? anchors : 1);
  if (pattern[i] || weighed > CAP_REGEX_ELEMENTS) {
    char size[80];
    if (pattern[i])
      snprintf(size, sizeof size, "over %d elements by character %zu",
               CAP_REGEX_ELEMENTS, i);
    else if (anchors > 1)
      snprintf(size, sizeof size, "%zu elements, %zu with its %zu anchors",
               *elements, weighed, anchors);
    else
      snprintf(size, sizeof size, "%zu elements", *elements);
    snprintf(why, why_size, "too large once its repeats are copied out: %s "
             "(expected at most %d; each character, '.', [...], group, | and "
             "repeat counts once per copy a repeat makes, and all of them "
             "as many times as there are anchors, from two on)", size,
             CAP_REGEX_ELEMENTS);
    return -1;
  }
  if (anchors > CAP_REGEX_ANCHORS) {
    snprintf(why, why_size, "more than %d anchors (%zu of ^ $ \\b \\B \\< "
             "\\> \\` \\', each copy a repeat makes counted; expected at "
             "most %d)", CAP_REGEX_ANCHORS, anchors, CAP_REGEX_ANCHORS);
    return -1;
  }
  return 0;
}

struct rule_values {
  struct value_at header, glob, regex, verdict, action;
};

static int
header_name_ok(const char *name)
{
  size_t length = strlen(name);
  if (length == 0 || length > MAX_HEADER_NAME_BYTES)
    return 0;
  for (const char *p = name; *p; p++)
    if (*p < 33 || *p > 126 || *p == ':')
      return 0;
  return 1;
}

static int
build_site_rule(struct rules *fresh, const struct seen_section *section,
                const struct rule_values *values, struct failure *failure)
{
  const char *file = values->header.file;
  struct site_rule rule;
  memset(&rule, 0, sizeof rule);
  rule.match = MATCH_GLOB;

  if (!values->header.text)
    return config_error(failure, file, section->line, section->written, NULL,
                        "rule has no header key (expected header = "
                        "FIELD-NAME, e.g. header = List-Id)");
  if (!header_name_ok(values->header.text))
    return value_error(failure, &values->header, "'%s' is not a header field "
                       "name (expected e.g. List-Id, without ':')",
                       values->header.text);
  if (!values->glob.text == !values->regex.text)
    return config_error(failure, file,
                        values->regex.text ? values->regex.line
                                           : section->line,
                        section->written, NULL, "%s (expected exactly one of "
                        "glob or regex)", values->glob.text
                        ? "rule has both glob and regex"
                        : "rule has neither glob nor regex");
  if (!values->verdict.text && !values->action.text)
    return config_error(failure, file, section->line, section->written, NULL,
                        "rule has neither verdict nor action (expected at "
                        "least one of them)");
  if (values->glob.text && !*values->glob.text)
    return value_error(failure, &values->glob, "empty pattern (expected a "
                       "glob such as *@lists.example.org)");
  if (values->regex.text && !*values->regex.text)
    return value_error(failure, &values->regex, "empty pattern (expected a "
                       "POSIX extended regular expression)");
  if (values->verdict.text) {
    if (verdict_parse(values->verdict.text, &rule.verdict) < 0)
      return value_error(failure, &values->verdict, "unknown verdict '%s' "
                         "(expected clean, genuine, backscatter or unknown)",
                         values->verdict.text);
    rule.has_verdict = 1;
  }
  if (values->action.text) {
    if (parse_action_value(&values->action, &rule.action, failure) < 0)
      return -1;
    rule.has_action = 1;
  }
  /* A regex is compiled when a message first needs it (rules.h); its shape
   * is checked now, and what all of them weigh together. */
  if (values->regex.text) {
    char why[320];
    size_t elements;
    if (regex_shape_check(values->regex.text, &elements, why, sizeof why) < 0)
      return value_error(failure, &values->regex, "%s", why);
    if (fresh->regex_elements + elements > CAP_REGEX_FILE_ELEMENTS)
      return value_error(failure, &values->regex, "the site rules' regexes "
                         "are too large together: %zu elements with this "
                         "one (expected at most %d in all)",
                         fresh->regex_elements + elements,
                         CAP_REGEX_FILE_ELEMENTS);
    fresh->regex_elements += elements;
    rule.match = MATCH_REGEX;
  }
  rule.pattern_line = values->regex.text ? values->regex.line
                                         : values->glob.line;
  rule.header_first = fresh->site_rule_count;
  for (size_t i = 0; i < fresh->site_rule_count; i++)
    if (strcasecmp(fresh->site_rules[i].header, values->header.text) == 0) {
      rule.header_first = i;
      break;
    }
  rule.name = strdup(section->rule_name);
  rule.header = strdup(values->header.text);
  rule.pattern = strdup(values->regex.text ? values->regex.text
                                           : values->glob.text);
  /* Out of memory here only costs the shortcut. */
  if (values->regex.text)
    rule.literal = regex_literal(values->regex.text);
  if (!rule.name || !rule.header || !rule.pattern) {
    site_rule_free(&rule);
    return failure_set(failure, FAILURE_MEMORY, "%s: out of memory", file);
  }
  fresh->site_rules[fresh->site_rule_count++] = rule;
  return 0;
}

/* ---------- loading ---------- */

static int
apply_section(struct rules *fresh, dictionary *ini,
              const struct seen_section *section, const char *file,
              struct failure *failure)
{
  struct rule_values rule_values;
  enum section_type type = section_table[section->table_index].type;
  memset(&rule_values, 0, sizeof rule_values);

  for (size_t i = 0; i < section->key_count; i++) {
    char lookup[RULE_LINE_MAX + 32];
    struct value_at at = { file, section->keys[i].line, section->written,
                           section->keys[i].name, NULL };
    int result = 0;
    ini_entry_name(lookup, sizeof lookup, section->ini_name, at.key);
    int slot = ini_slot(ini, section->keys[i].slot, lookup);
    /* As iniparser_getstring() reads it, without its lower-casing copy:
     * the name is lower case already. */
    at.text = slot >= 0 ? ini->val[slot] : dictionary_get(ini, lookup, NULL);
    if (!at.text)
      return value_error(failure, &at, "internal: the value was not kept");
    if (!*at.text && type != SECTION_IDENTITY)
      return value_error(failure, &at, "empty value (expected a value or no "
                         "such line at all)");
    switch (type) {
    case SECTION_STORE: result = apply_store(fresh, &at, failure); break;
    case SECTION_IDENTITY: result = apply_identity(fresh, &at, failure); break;
    case SECTION_ACTIONS: result = apply_actions(fresh, &at, failure); break;
    case SECTION_EXIT: result = apply_exit(fresh, &at, failure); break;
    case SECTION_LOG: result = apply_log(fresh, &at, failure); break;
    case SECTION_CLASSIFY: result = apply_classify(fresh, &at, failure); break;
    case SECTION_RULE:
      if (strcmp(at.key, "header") == 0) rule_values.header = at;
      else if (strcmp(at.key, "glob") == 0) rule_values.glob = at;
      else if (strcmp(at.key, "regex") == 0) rule_values.regex = at;
      else if (strcmp(at.key, "verdict") == 0) rule_values.verdict = at;
      else rule_values.action = at;
      break;
    }
    if (result < 0)
      return -1;
  }
  if (type == SECTION_RULE) {
    rule_values.header.file = file;
    return build_site_rule(fresh, section, &rule_values, failure);
  }
  return 0;
}

/* Parse and validate `text` (already bounded by the caller) and on success
 * move the result into *rules. */
static int
load_text(struct rules *rules, const char *name, const char *text,
          size_t length, struct failure *failure)
{
  struct prepass seen = { NULL, 0, 0, NULL };
  struct rules fresh;
  int result = -1;

  rules_init_defaults(&fresh);
  if (prepass_run(&seen, name, text, length, failure) < 0)
    goto done;
  fresh.source = strdup(name);
  if (seen.rule_count) {
    fresh.site_rules = calloc(seen.rule_count, sizeof *fresh.site_rules);
    fresh.site_regexes = calloc(seen.rule_count, sizeof *fresh.site_regexes);
  }
  if (!fresh.source
      || (seen.rule_count && (!fresh.site_rules || !fresh.site_regexes))) {
    failure_set(failure, FAILURE_MEMORY, "%s: out of memory", name);
    goto done;
  }
  for (size_t i = 0; i < seen.count; i++)
    if (apply_section(&fresh, seen.ini, &seen.sections[i], name, failure) < 0)
      goto done;
  result = 0;

done:
  prepass_free(&seen);
  if (result == 0) {
    rules_free(rules);
    *rules = fresh;
  } else {
    rules_free(&fresh);
  }
  return result;
}

int
rules_load(struct rules *rules, const char *path, struct failure *failure)
{
  char *text = NULL;
  size_t length = 0;
  int result;
  if (!path)
    return failure_set(failure, FAILURE_CONFIG, "no rule file given");
  if (conffile_read(path, "rule file", &text, &length, failure) < 0)
    return -1;
  result = load_text(rules, path, text, length, failure);
  free(text);
  return result;
}

int
rules_load_buffer(struct rules *rules, const char *name, const char *text,
                  size_t length, struct failure *failure)
{
  if (!name)
    name = "(buffer)";
  if (!text && length)
    return failure_set(failure, FAILURE_CONFIG, "%s: no text", name);
  if (length > CAP_RULE_FILE_BYTES)
    return config_error(failure, name, 0, NULL, NULL, "too large: %zu bytes "
                        "(expected at most %lu)", length, CAP_RULE_FILE_BYTES);
  return load_text(rules, name, text ? text : "", length, failure);
}

/* ---------- paths ---------- */

static int
exists(const char *path)
{
  struct stat info;
  return stat(path, &info) == 0;
}

/* HOME, before a path is made from it: 1 usable, 0 absent (unset; or, when
 * `missing_ok`, not there at all), -1 refused. An empty or relative HOME
 * would make paths relative to the working directory; a HOME that is not
 * ours (root with a user's HOME: sudo -E, an MDA running as root) would
 * have us read another user's files and create root-owned ones in their
 * home, which breaks their own programs. */
static int
check_home(const struct context *context, int missing_ok,
           struct failure *failure)
{
  const char *home = context ? context->home : NULL;
  struct stat info;
  if (!home)
    return 0;
  if (!*home)
    return failure_set(failure, FAILURE_CONFIG, "HOME is empty: refusing it "
                       "(paths would be resolved against the working "
                       "directory; set HOME, or give -c and --store)");
  if (home[0] != '/')
    return failure_set(failure, FAILURE_CONFIG, "HOME '%s' is not an "
                       "absolute path: refusing it (paths would be resolved "
                       "against the working directory)", home);
  if (stat(home, &info) != 0) {
    if (errno == ENOENT && missing_ok)
      return 0;
    return failure_set(failure, FAILURE_CONFIG, "HOME %s: %s", home,
                       strerror(errno));
  }
  if (!S_ISDIR(info.st_mode))
    return failure_set(failure, FAILURE_CONFIG, "HOME %s is not a directory",
                       home);
  if (info.st_uid != geteuid())
    return failure_set(failure, FAILURE_CONFIG, "HOME %s is owned by uid %lu, "
                       "not by us (uid %lu): refusing to read or create our "
                       "files in another user's home (run as that user, or "
                       "give -c and --store)", home,
                       (unsigned long) info.st_uid, (unsigned long) geteuid());
  return 1;
}

/* An XDG base directory variable: 1 set (absolute), 0 unset (unset or
 * empty: the XDG rule is to use the default then), -1 refused (relative:
 * the XDG rule calls it invalid; we refuse it rather than resolve it
 * against the working directory or silently go elsewhere). */
static int
check_xdg(const char *name, const char *value, struct failure *failure)
{
  if (!value || !*value)
    return 0;
  if (value[0] != '/')
    return failure_set(failure, FAILURE_CONFIG, "%s '%s' is not an absolute "
                       "path: refusing it", name, value);
  return 1;
}

static int
joined(char **path, const char *first, const char *second,
       struct failure *failure)
{
  *path = join_path(first, second);
  if (!*path)
    return failure_set(failure, FAILURE_MEMORY, "out of memory");
  return 0;
}

int
rules_default_path(const struct context *context, char **path,
                   struct failure *failure)
{
  char *base = NULL;
  int state;
  *path = NULL;
  if (!context)
    return 0;
  state = check_xdg("XDG_CONFIG_HOME", context->xdg_config_home, failure);
  if (state < 0)
    return -1;
  if (state > 0) {
    if (joined(&base, context->xdg_config_home, "backscatter-filter/rules.ini",
               failure) < 0)
      return -1;
  } else {
    state = check_home(context, 1, failure);
    if (state < 0)
      return -1;
    if (state > 0 && joined(&base, context->home,
                            ".config/backscatter-filter/rules.ini",
                            failure) < 0)
      return -1;
  }
  if (base && exists(base)) {
    *path = base;
    return 0;
  }
  free(base);
  if (context->system_config && *context->system_config
      && exists(context->system_config)) {
    *path = strdup(context->system_config);
    if (!*path)
      return failure_set(failure, FAILURE_MEMORY, "out of memory");
  }
  return 0;
}

int
rules_expand_path(const char *written, const struct context *context,
                  char **path, struct failure *failure)
{
  *path = NULL;
  if (strncmp(written, "~/", 2) != 0) {
    *path = strdup(written);
    return *path ? 0 : failure_set(failure, FAILURE_MEMORY, "out of memory");
  }
  int state = check_home(context, 0, failure);
  if (state < 0)
    return -1;
  if (state == 0)
    return failure_set(failure, FAILURE_CONFIG, "%s: '~/' needs HOME, which "
                       "is not set", written);
  return joined(path, context->home, written + 2, failure);
}

int
rules_store_path(const struct rules *rules, const struct context *context,
                 char **path, struct failure *failure)
{
  int state;
  *path = NULL;
  if (rules && rules->store_path)
    return rules_expand_path(rules->store_path, context, path, failure);
  if (!context)
    return failure_set(failure, FAILURE_CONFIG, "no store path");
  state = check_xdg("XDG_STATE_HOME", context->xdg_state_home, failure);
  if (state < 0)
    return -1;
  if (state > 0)
    return joined(path, context->xdg_state_home, "backscatter-filter/sent.db",
                  failure);
  state = check_home(context, 0, failure);
  if (state < 0)
    return -1;
  if (state == 0)
    return failure_set(failure, FAILURE_CONFIG, "no store path: set HOME, "
                       "XDG_STATE_HOME, --store or [store] path");
  return joined(path, context->home,
                ".local/state/backscatter-filter/sent.db", failure);
}

/* ---------- matching ---------- */

/* The header value trimmed and unfolded (CR and LF removed), malloc'ed. */
static char *
header_value_for_matching(const char *value)
{
  size_t length = strlen(value);
  char *copy, *out;
  while (length && is_blank((unsigned char) *value))
    value++, length--;
  while (length && is_blank((unsigned char) value[length - 1]))
    length--;
  copy = malloc(length + 1);
  if (!copy)
    return NULL;
  out = copy;
  for (size_t i = 0; i < length; i++)
    if (value[i] != '\r' && value[i] != '\n')
      *out++ = value[i];
  *out = '\0';
  return copy;
}

/* Site rule `index`'s regex, compiled now if it is not yet: 0, or -1 (a
 * bad pattern, said as rules_load() says a bad value). */
static int
site_regex_ready(const struct rules *rules, size_t index,
                 struct failure *failure)
{
  const struct site_rule *rule = &rules->site_rules[index];
  struct site_regex *regex = &rules->site_regexes[index];
  char why[160], label[MAX_RULE_NAME_BYTES + 8];

  if (regex->state == REGEX_UNCOMPILED) {
    int code = regcomp(&regex->compiled, rule->pattern,
                       REG_EXTENDED | REG_ICASE | REG_NOSUB);
    if (code == REG_ESPACE)     /* no verdict on the pattern: try again */
      return failure_set(failure, FAILURE_MEMORY, "%s: [rule %s] regex: out "
                         "of memory", rules->source, rule->name);
    regex->state = code == 0 ? REGEX_COMPILED : REGEX_BAD;
    regex->error = code;
  }
  if (regex->state == REGEX_COMPILED)
    return 0;
  regerror(regex->error, &regex->compiled, why, sizeof why);
  snprintf(label, sizeof label, "rule %s", rule->name);
  return config_error(failure, rules->source ? rules->source : "(rules)",
                      rule->pattern_line, label, "regex", "bad regular "
                      "expression: %s (expected POSIX extended syntax; quote "
                      "it if it contains ; or #)", why);
}

int
rules_compile_site_rule(const struct rules *rules, size_t index,
                        struct failure *failure)
{
  if (!rules || index >= rules->site_rule_count
      || rules->site_rules[index].match != MATCH_REGEX)
    return 0;
  return site_regex_ready(rules, index, failure);
}

int
rules_match_site(const struct rules *rules, header_lookup_fn lookup,
                 void *cookie, const struct site_rule **matched,
                 struct failure *failure)
{
  /* The value of each field looked up, by the index of the first rule
   * testing it (site_rule.header_first), set before any later rule reads
   * it; NULL: absent. */
  char *values[CAP_SITE_RULES];
  size_t tried = 0;
  int result = 0;

  *matched = NULL;
  if (!rules || !lookup)
    return 0;
  for (; tried < rules->site_rule_count && result == 0; tried++) {
    const struct site_rule *rule = &rules->site_rules[tried];
    const char *value;
    if (rule->header_first == tried) {
      const char *raw = lookup(cookie, rule->header);
      /* Out of memory: the rule cannot apply; no verdict forced. */
      values[tried] = raw ? header_value_for_matching(raw) : NULL;
    }
    value = values[rule->header_first];
    if (!value)
      continue;
    /* A value without the regex's literal cannot match: not compiled for
     * it. Case is folded as regexec folds it only in a single-byte
     * locale (ours: the program never calls setlocale). */
    if (rule->literal && MB_CUR_MAX == 1
        && !contains_literal(value, rule->literal))
      continue;
    if (rule->match == MATCH_GLOB) {
      if (fnmatch(rule->pattern, value, FNM_CASEFOLD) == 0)
        result = 1;
    } else if (site_regex_ready(rules, tried, failure) < 0) {
      result = -1;
    } else if (regexec(&rules->site_regexes[tried].compiled, value, 0, NULL,
                       0) == 0) {
      result = 1;
    }
    if (result != 0)
      *matched = rule;
  }
  for (size_t i = 0; i < tried; i++)
    if (rules->site_rules[i].header_first == i)
      free(values[i]);
  return result;
}

/* Copy `text` into `out` trimmed, without one pair of `open`/`close` around
 * it, lower case. Returns 0, or -1 if it does not fit. */
static int
normalise(const char *text, char open, char close, char *out, size_t size)
{
  size_t length = strlen(text);
  while (length && is_blank((unsigned char) *text))
    text++, length--;
  while (length && is_blank((unsigned char) text[length - 1]))
    length--;
  if (length >= 2 && text[0] == open && text[length - 1] == close)
    text++, length -= 2;
  if (length == 0 || length >= size)
    return -1;
  memcpy(out, text, length);
  out[length] = '\0';
  lower_ascii(out);
  return 0;
}

/* Is `name` equal to `domain` or one of its subdomains? */
static int
in_domain(const char *name, const char *domain)
{
  size_t name_length = strlen(name), domain_length = strlen(domain);
  if (name_length == domain_length)
    return strcmp(name, domain) == 0;
  return name_length > domain_length
         && name[name_length - domain_length - 1] == '.'
         && strcmp(name + name_length - domain_length, domain) == 0;
}

int
rules_is_our_address(const struct rules *rules, const char *address)
{
  char normal[CAP_ADDRESS_BYTES];
  const char *at;
  if (!rules || !address
      || normalise(address, '<', '>', normal, sizeof normal) < 0)
    return 0;
  for (size_t i = 0; i < rules->addresses.count; i++)
    if (strcmp(rules->addresses.items[i], normal) == 0)
      return 1;
  at = strrchr(normal, '@');
  if (!at || !at[1])
    return 0;
  for (size_t i = 0; i < rules->domains.count; i++)
    if (in_domain(at + 1, rules->domains.items[i]))
      return 1;
  return 0;
}

int
rules_is_our_relay(const struct rules *rules, const char *host)
{
  char normal[CAP_ADDRESS_BYTES];
  const char *name = normal;
  size_t length;
  if (!rules || !host || normalise(host, '[', ']', normal, sizeof normal) < 0)
    return 0;
  if (strncmp(name, "ipv6:", 5) == 0)
    name += 5;
  length = strlen(name);
  if (length > 1 && name[length - 1] == '.')   /* absolute name "host." */
    normal[name - normal + length - 1] = '\0';
  for (size_t i = 0; i < rules->relays.count; i++) {
    const char *relay = rules->relays.items[i];
    if (relay[0] == '.' ? in_domain(name, relay + 1) && strcmp(name, relay + 1)
                        : strcmp(name, relay) == 0)
      return 1;
  }
  return 0;
}

enum action
rules_action_for(const struct rules *rules, enum verdict verdict,
                 enum notice_kind kind)
{
  if (!rules || (unsigned) verdict >= VERDICT_COUNT)
    return ACTION_DELIVER;
  if ((verdict == VERDICT_BACKSCATTER || verdict == VERDICT_UNKNOWN)
      && (unsigned) kind < KIND_COUNT && rules->kind_action_set[kind])
    return rules->kind_action[kind];
  return rules->verdict_action[verdict];
}
