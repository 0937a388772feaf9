/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-rules.c: table-driven tests of the rule file loader (rules.c):
 * defaults, a full valid file, every kind of error (with FILE:LINE and the
 * caller's rules left untouched), value syntax, site-rule matching (a
 * regex compiled only when a message first could match it, or by
 * configtest; a bad one reported with FILE:LINE then; the literal that
 * spares compiling, and that it never changes a match), identity
 * and relay tables, actions, default paths (in a temp dir, never $HOME), and
 * the shipped example rules/backscatter-filter.ini (found through
 * $BSF_SRCDIR, else relative to this source file). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "caps.h"
#include "configtest.h"
#include "rules.h"
#include "../tap.h"

#define NAME "t.ini"

static int
contains(const char *text, const char *part)
{
  return !part || (text && strstr(text, part) != NULL);
}

static int
load_text(struct rules *rules, const char *text, struct failure *failure)
{
  memset(failure, 0, sizeof *failure);
  return rules_load_buffer(rules, NAME, text, strlen(text), failure);
}

/* ---------- the Redis store's keys ---------- */

static void
test_redis_keys(void)
{
  struct rules rules;
  struct failure failure;
  rules_init_defaults(&rules);
  TAP_OK(rules.store_namespace == NULL && rules.store_timeout_ms == 0
         && rules.store_password == NULL, "defaults: no namespace, timeout "
         "or password (the store's defaults apply)");
  int result = load_text(&rules, "[store]\n"
                         "path = redis+unix:///run/redis/redis.sock?db=1\n"
                         "namespace = example.org\n"
                         "timeout = 250ms\n"
                         "password = \"s3c;r#et\"\n", &failure);
  TAP_INT(result, 0, "Redis keys load: %s", failure.message);
  TAP_STR(rules.store_path, "redis+unix:///run/redis/redis.sock?db=1",
          "Redis: the URL is the path");
  TAP_STR(rules.store_namespace, "example.org", "Redis: namespace");
  TAP_INT(rules.store_timeout_ms, 250, "Redis: timeout 250ms");
  TAP_STR(rules.store_password, "s3c;r#et", "Redis: a quoted password keeps ; and #");
  rules_free(&rules);

  /* A refused password never appears in the message. */
  rules_init_defaults(&rules);
  result = load_text(&rules, "[store]\npassword = \"Top Secret\"\n", &failure);
  TAP_INT(result, -1, "a password with a space is refused");
  TAP_OK(strstr(failure.message, "Top") == NULL, "... without echoing it: %s",
         failure.message);
  result = load_text(&rules, "[store]\npath = redis://u:TopSecret@host:99999\n",
                     &failure);
  TAP_INT(result, -1, "a URL with a bad port is refused");
  TAP_OK(strstr(failure.message, "TopSecret") == NULL,
         "... without echoing its password: %s", failure.message);
  rules_free(&rules);
}

/* ---------- defaults ---------- */

static void
test_defaults(void)
{
  struct rules rules;
  rules_init_defaults(&rules);
  TAP_OK(rules.source == NULL, "defaults: no source");
  TAP_OK(rules.store_path == NULL, "defaults: store path is the XDG default");
  TAP_INT(rules.ttl, 30L * 86400, "defaults: ttl 30d");
  TAP_INT(rules.lock_wait_ms, 5000, "defaults: lock_wait 5s");
  TAP_INT(rules.verdict_action[VERDICT_CLEAN], ACTION_DELIVER, "defaults: clean delivers");
  TAP_INT(rules.verdict_action[VERDICT_GENUINE], ACTION_DELIVER, "defaults: genuine delivers");
  TAP_INT(rules.verdict_action[VERDICT_BACKSCATTER], ACTION_FILE, "defaults: backscatter is filed");
  TAP_INT(rules.verdict_action[VERDICT_UNKNOWN], ACTION_DELIVER, "defaults: unknown delivers");
  TAP_INT(rules.exit_code[ACTION_DELIVER], 0, "defaults: exit deliver 0");
  TAP_INT(rules.exit_code[ACTION_DROP], 1, "defaults: exit drop 1");
  TAP_INT(rules.exit_code[ACTION_FILE], 2, "defaults: exit file 2");
  TAP_INT(rules.tempfail_code, 75, "defaults: exit tempfail 75");
  TAP_INT(rules.on_error_tempfail, 0, "defaults: on_error deliver");
  TAP_INT(rules.log_syslog, 1, "defaults: syslog yes");
  TAP_INT(rules.log_facility, LOG_MAIL, "defaults: facility mail");
  TAP_STR(rules.log_ident, "backscatter-filter", "defaults: ident");
  TAP_OK(rules.log_file == NULL, "defaults: no log file");
  TAP_INT(rules.site_rule_count, 0, "defaults: no site rules");
  TAP_INT(rules.addresses.count + rules.domains.count + rules.relays.count, 0,
          "defaults: empty identity");
  for (int k = 0; k < KIND_COUNT; k++)
    TAP_OK(!rules.kind_action_set[k], "defaults: no action for kind %s",
           kind_name((enum notice_kind) k));
  rules_free(&rules);
  TAP_STR(rules.log_ident, "backscatter-filter", "rules_free on defaults keeps the ident");
}

/* ---------- a full valid file ---------- */

static const char full_file[] =
  "# every key\n"
  "[Store]\n"
  "path = ~/mail/sent.db\n"
  "TTL = 14d\n"
  "lock_wait = 500ms\n"
  "\n"
  "[identity]\n"
  "addresses = Me@Example.ORG, <other@example.net>  third@example.com\n"
  "domains = example.org,example.info\n"
  "relays = smtp.example.org [192.0.2.1] .out.example.net [IPv6:2001:DB8::1]\n"
  "[actions]\n"
  "clean = deliver\n"
  "genuine = file\n"
  "backscatter = drop\n"
  "unknown = file\n"
  "dsn = file\n"
  "ndr = deliver\n"
  "autoreply = Drop\n"
  "challenge = drop\n"
  "virus = drop\n"
  "mdn = deliver\n"
  "arf = file\n"
  "[exit]\n"
  "deliver = 0\n"
  "file = 010\n"
  "drop = 99\n"
  "tempfail = 111\n"
  "on_error = tempfail\n"
  "[log]\n"
  "syslog = off\n"
  "facility = local3\n"
  "ident = bsf-test\n"
  "file = ~/log/bsf.log\n"
  "[rule Lists]\n"
  "header = List-Id\n"
  "glob = *<*.lists.example.org>   ; a comment\n"
  "verdict = clean\n"
  "[rule Daemon-From]\n"
  "header = From\n"
  "regex = \"^mailer-daemon@.*(;|#)\"  # quoted: it holds ; and #\n"
  "verdict = backscatter\n"
  "action = drop\n"
  "[rule single]\n"
  "header = X-Weird\n"
  "regex = 'say \"hi\"'\n"
  "action = deliver\n";

static void
test_full_file(struct rules *rules)
{
  struct failure failure;
  int result = load_text(rules, full_file, &failure);
  TAP_INT(result, 0, "full file loads");
  if (result != 0) {
    printf("#   %s\n", failure.message);
    return;
  }
  TAP_STR(rules->source, NAME, "full: source");
  TAP_STR(rules->store_path, "~/mail/sent.db", "full: store path kept unexpanded");
  TAP_INT(rules->ttl, 14L * 86400, "full: ttl 14d (key name case folded)");
  TAP_INT(rules->lock_wait_ms, 500, "full: lock_wait 500ms");
  TAP_INT(rules->addresses.count, 3, "full: three addresses");
  if (rules->addresses.count == 3) {
    TAP_STR(rules->addresses.items[0], "me@example.org", "full: address lower-cased");
    TAP_STR(rules->addresses.items[1], "other@example.net", "full: <> removed");
    TAP_STR(rules->addresses.items[2], "third@example.com", "full: third address");
  }
  TAP_INT(rules->domains.count, 2, "full: two domains (comma, no space)");
  TAP_INT(rules->relays.count, 4, "full: four relays");
  if (rules->relays.count == 4) {
    TAP_STR(rules->relays.items[1], "192.0.2.1", "full: [] removed from relay");
    TAP_STR(rules->relays.items[3], "2001:db8::1", "full: IPv6: removed from relay");
  }
  TAP_INT(rules->verdict_action[VERDICT_GENUINE], ACTION_FILE, "full: genuine = file");
  TAP_INT(rules->verdict_action[VERDICT_BACKSCATTER], ACTION_DROP, "full: backscatter = drop");
  TAP_INT(rules->verdict_action[VERDICT_UNKNOWN], ACTION_FILE, "full: unknown = file");
  TAP_OK(rules->kind_action_set[KIND_AUTOREPLY]
         && rules->kind_action[KIND_AUTOREPLY] == ACTION_DROP,
         "full: autoreply = Drop (case-insensitive value)");
  TAP_OK(rules->kind_action_set[KIND_NDR]
         && rules->kind_action[KIND_NDR] == ACTION_DELIVER, "full: ndr = deliver");
  TAP_OK(!rules->kind_action_set[KIND_NONE], "full: no action for kind none");
  TAP_INT(rules->exit_code[ACTION_FILE], 10, "full: exit 010 is decimal ten");
  TAP_INT(rules->exit_code[ACTION_DROP], 99, "full: exit drop 99");
  TAP_INT(rules->tempfail_code, 111, "full: tempfail 111");
  TAP_INT(rules->on_error_tempfail, 1, "full: on_error tempfail");
  TAP_INT(rules->log_syslog, 0, "full: syslog off");
  TAP_INT(rules->log_facility, LOG_LOCAL3, "full: facility local3");
  TAP_STR(rules->log_ident, "bsf-test", "full: ident");
  TAP_STR(rules->log_file, "~/log/bsf.log", "full: log file kept as written");
  TAP_INT(rules->site_rule_count, 3, "full: three site rules");
  if (rules->site_rule_count == 3) {
    const struct site_rule *r = rules->site_rules;
    TAP_STR(r[0].name, "Lists", "full: rule 1 name keeps its case");
    TAP_STR(r[0].header, "List-Id", "full: rule 1 header");
    TAP_INT(r[0].match, MATCH_GLOB, "full: rule 1 is a glob");
    TAP_STR(r[0].pattern, "*<*.lists.example.org>", "full: glob cut at ; comment");
    TAP_OK(r[0].has_verdict && r[0].verdict == VERDICT_CLEAN && !r[0].has_action,
           "full: rule 1 forces clean only");
    TAP_STR(r[1].name, "Daemon-From", "full: rule 2 name");
    TAP_INT(r[1].match, MATCH_REGEX, "full: rule 2 is a regex");
    TAP_STR(r[1].pattern, "^mailer-daemon@.*(;|#)", "full: quoted regex keeps ; and #");
    TAP_OK(r[1].has_verdict && r[1].has_action && r[1].action == ACTION_DROP,
           "full: rule 2 has verdict and action");
    TAP_STR(r[2].pattern, "say \"hi\"", "full: single quotes keep double quotes");
  }
}

/* ---------- errors ---------- */

static char long_line_file[1200];
/* A list must fit on one line (iniparser), so the items are short. */
static char many_items_file[CAP_IDENTITY_ITEMS * 2 + 64];
static char many_rules_file[(CAP_SITE_RULES + 1) * 64];

static void
build_big_files(void)
{
  size_t used;
  memset(long_line_file, 0, sizeof long_line_file);
  strcpy(long_line_file, "[store]\n# ");
  used = strlen(long_line_file);
  memset(long_line_file + used, 'x', 1100);
  strcpy(long_line_file + used + 1100, "\nttl = 1d\n");

  used = (size_t) sprintf(many_items_file, "[identity]\ndomains =");
  for (int i = 0; i <= CAP_IDENTITY_ITEMS; i++)
    used += (size_t) sprintf(many_items_file + used, "%sa", i ? "," : " ");
  strcpy(many_items_file + used, "\n");

  used = 0;
  for (int i = 0; i <= CAP_SITE_RULES; i++)
    used += (size_t) sprintf(many_rules_file + used,
                             "[rule r%d]\nheader = X\nglob = *\naction = file\n", i);
}

static const struct error_case {
  const char *what;
  const char *text;
  const char *want1, *want2, *want3;
} error_cases[] = {
  { "syntax error", "[store]\nttl = 1d\nlock_wait 5s\n",
    NAME ":3:", "syntax error", NULL },
  { "bad action", "[actions]\n\nbackscatter = bin\n",
    NAME ":3: [actions] backscatter:", "unknown action 'bin'", "expected deliver, file or drop" },
  { "bad ttl", "[store]\nttl = 12abc\n", NAME ":2: [store] ttl:", "expected", NULL },
  { "ttl zero", "[store]\nttl = 0\n", NAME ":2: [store] ttl:", "out of range", NULL },
  { "ttl under 1h", "[store]\nttl = 59m\n", NAME ":2:", "out of range", NULL },
  { "ttl over 3650d", "[store]\nttl = 3651d\n", NAME ":2:", "out of range", NULL },
  { "ttl unknown unit", "[store]\nttl = 2w\n", NAME ":2:", "unknown unit", NULL },
  { "ttl negative", "[store]\nttl = -5d\n", NAME ":2:", "not a duration", NULL },
  { "ttl huge number", "[store]\nttl = 99999999999999999999\n", NAME ":2:", "not a duration", NULL },
  { "empty ttl", "[store]\nttl =\n", NAME ":2: [store] ttl:", "empty value", NULL },
  { "lock_wait over 60s", "[store]\nlock_wait = 61s\n", NAME ":2: [store] lock_wait:", "out of range", NULL },
  { "lock_wait in minutes", "[store]\nlock_wait = 1m\n", NAME ":2:", "unknown unit", NULL },
  { "relative store path", "[store]\npath = sent.db\n", NAME ":2: [store] path:", "absolute", NULL },
  { "Redis URL with a bad port", "[store]\npath = redis://:pw@host:0\n",
    NAME ":2: [store] path:", "bad Redis URL", "port" },
  { "Redis over TLS", "[store]\npath = rediss://host\n", NAME ":2: [store] path:", "TLS", NULL },
  { "bad namespace", "[store]\nnamespace = a*b\n", NAME ":2: [store] namespace:",
    "not a namespace", NULL },
  { "timeout zero", "[store]\ntimeout = 0\n", NAME ":2: [store] timeout:", "never reach", NULL },
  { "timeout over 60s", "[store]\ntimeout = 61s\n", NAME ":2: [store] timeout:",
    "out of range", NULL },
  { "password with a space", "[store]\npassword = \"a b\"\n", NAME ":2: [store] password:",
    "visible ASCII", NULL },
  { "duplicate key", "[store]\nttl = 1d\n\nlock_wait = 1s\nTTL = 2d\n",
    NAME ":5: [store] ttl:", "line 2", "repeated" },
  { "unknown key", "[store]\nttl = 1d\nttll = 2d\n",
    NAME ":3: [store] ttll:", "unknown key", "path, ttl, lock_wait" },
  { "unknown section", "[store]\nttl = 1d\n[stor]\n", NAME ":3: [stor]:", "unknown section", NULL },
  { "rule without name", "[rule]\nheader = X\n", NAME ":1:", "unknown section", NULL },
  { "rule name with colon", "[rule a:b]\nheader = X\n", NAME ":1:", "bad rule name", NULL },
  { "empty section", "[ ]\n", NAME ":1:", "empty section", NULL },
  { "repeated section", "[store]\nttl = 1d\n[log]\n[Store]\n",
    NAME ":4: [Store]:", "line 1", "repeated" },
  { "rule name case merge", "[Rule X]\nheader = X\nglob = *\naction = file\n[rule x]\nheader = Y\n",
    NAME ":5: [rule x]:", "[Rule X] was first given at line 1", NULL },
  { "rule name spacing merge", "[rule X]\nheader = X\nglob = *\naction = file\n[rule   x]\n",
    NAME ":5:", "line 1", NULL },
  { "over-long line", long_line_file, NAME ":2:", "line too long", "at most 1000" },
  { "key before any section", "ttl = 1d\n[store]\n", NAME ":1: ttl:", "before the first section", NULL },
  { "line continuation", "[store]\n# a comment \\\nttl = 1d\n", NAME ":2:", "backslash", NULL },
  { "unterminated quote", "[rule a]\nheader = X\nregex = \"abc\naction = file\n",
    NAME ":3: [rule a] regex:", "unterminated quote", NULL },
  { "text after quote", "[rule a]\nheader = X\nregex = \"a\"b\"\naction = file\n",
    NAME ":3: [rule a] regex:", "after the closing quote", NULL },
  { "no key before =", "[store]\n= 1d\n", NAME ":2:", "no key", NULL },
  { "empty regex", "[rule e]\nheader = Subject\nregex = \"\"\naction = drop\n",
    NAME ":3: [rule e] regex:", "empty value", NULL },
  { "rule without header", "[rule h]\nglob = *\naction = drop\n",
    NAME ":1: [rule h]:", "no header", NULL },
  { "rule with glob and regex", "[rule gr]\nheader = X\nglob = *\nregex = .\naction = drop\n",
    NAME ":4: [rule gr]:", "both glob and regex", NULL },
  { "rule with no pattern", "[rule np]\nheader = X\naction = drop\n",
    NAME ":1: [rule np]:", "neither glob nor regex", NULL },
  { "rule without verdict or action", "[rule na]\nheader = X\nglob = *\n",
    NAME ":1: [rule na]:", "neither verdict nor action", NULL },
  { "rule bad verdict", "[rule v]\nheader = X\nglob = *\nverdict = spam\n",
    NAME ":4: [rule v] verdict:", "unknown verdict", NULL },
  { "rule header with colon", "[rule c]\nheader = List-Id:\nglob = *\naction = file\n",
    NAME ":2: [rule c] header:", "header field name", NULL },
  { "unknown rule key", "[rule k]\nheader = X\nmatch = *\n", NAME ":3: [rule k] match:", "unknown key", NULL },
  { "address without @", "[identity]\naddresses = me@example.org, me.example.org\n",
    NAME ":2: [identity] addresses:", "me.example.org", "local@domain" },
  { "domain with @", "[identity]\ndomains = @example.org\n", NAME ":2:", "domain name", NULL },
  { "too many identity items", many_items_file, NAME ":2: [identity] domains:", "too many", NULL },
  { "too many rules", many_rules_file, NAME ":1025:", "too many rules", NULL },
  { "exit code 256", "[exit]\nfile = 256\n", NAME ":2: [exit] file:", "0 to 255", NULL },
  { "exit code hex", "[exit]\nfile = 0x10\n", NAME ":2:", "not an exit code", NULL },
  { "exit code trailing junk", "[exit]\ndrop = 12abc\n", NAME ":2:", "not an exit code", NULL },
  { "bad on_error", "[exit]\non_error = bounce\n", NAME ":2: [exit] on_error:", "deliver or tempfail", NULL },
  { "syslog on is fine but maybe is not", "[log]\nsyslog = maybe\n", NAME ":2: [log] syslog:", "yes/no", NULL },
  { "bad facility", "[log]\nfacility = kern\n", NAME ":2: [log] facility:", "local0", NULL },
  { "relative log file", "[log]\nfile = bsf.log\n", NAME ":2: [log] file:", "absolute", NULL },
  { "ident with space", "[log]\nident = \"a b\"\n", NAME ":2: [log] ident:", "log ident", NULL },
  { "NUL byte", "[store]\nttl = 1d\n\0x", NAME ":", "NUL", NULL },
};

static void
test_errors(struct rules *rules)
{
  struct failure failure;
  size_t count = sizeof error_cases / sizeof error_cases[0];
  build_big_files();
  for (size_t i = 0; i < count; i++) {
    const struct error_case *c = &error_cases[i];
    size_t length = strlen(c->text);
    int result;
    if (strcmp(c->what, "NUL byte") == 0)
      length = sizeof "[store]\nttl = 1d\n\0x" - 1;
    memset(&failure, 0, sizeof failure);
    result = rules_load_buffer(rules, NAME, c->text, length, &failure);
    TAP_INT(result, -1, "error %s: load fails", c->what);
    TAP_INT(failure.class, FAILURE_CONFIG, "error %s: class config", c->what);
    TAP_OK(contains(failure.message, c->want1) && contains(failure.message, c->want2)
           && contains(failure.message, c->want3),
           "error %s: message has '%s' '%s' '%s'", c->what, c->want1,
           c->want2 ? c->want2 : "", c->want3 ? c->want3 : "");
    if (!contains(failure.message, c->want1) || !contains(failure.message, c->want2)
        || !contains(failure.message, c->want3))
      printf("#   message: %s\n", failure.message);
    /* The rules loaded by test_full_file must still be there. */
    TAP_OK(rules->source && strcmp(rules->source, NAME) == 0 && rules->ttl == 14L * 86400
           && rules->site_rule_count == 3 && rules->lock_wait_ms == 500
           && rules->log_facility == LOG_LOCAL3,
           "error %s: rules unchanged", c->what);
  }
}

static void
test_size_cap(struct rules *rules)
{
  size_t size = CAP_RULE_FILE_BYTES + 1;
  char *big = malloc(size);
  struct failure failure;
  if (!big) {
    TAP_OK(0, "size cap: malloc");
    return;
  }
  memset(big, '\n', size);
  memcpy(big, "[store]\n", 8);
  TAP_INT(rules_load_buffer(rules, NAME, big, size, &failure), -1,
          "size cap: a buffer over CAP_RULE_FILE_BYTES is refused");
  TAP_OK(contains(failure.message, "too large"), "size cap: message says too large");
  TAP_INT(rules_load_buffer(rules, NAME, big, size - 1, &failure), 0,
          "size cap: a buffer of exactly CAP_RULE_FILE_BYTES loads");
  free(big);
}

/* ---------- value syntax that must load ---------- */

static const struct duration_case {
  const char *text;
  long long ttl_seconds;     /* -1: invalid as ttl */
  long long wait_ms;         /* -1: invalid as lock_wait */
} duration_cases[] = {
  { "30d", 30LL * 86400, -1 },
  { "12h", 12LL * 3600, -1 },
  { "90m", 90LL * 60, -1 },
  { "3600s", 3600, -1 },
  { "7200", 7200, -1 },
  { "3650D", 3650LL * 86400, -1 },
  { "1h", 3600, -1 },
  { "5s", -1, 5000 },
  { "500ms", -1, 500 },
  { "0", -1, 0 },
  { "60", -1, 60000 },
  { "60000ms", -1, 60000 },
  { "60001ms", -1, -1 },
};

static void
test_durations(void)
{
  for (size_t i = 0; i < sizeof duration_cases / sizeof duration_cases[0]; i++) {
    const struct duration_case *c = &duration_cases[i];
    struct rules rules;
    struct failure failure;
    char text[128];
    int result;
    rules_init_defaults(&rules);
    snprintf(text, sizeof text, "[store]\nttl = %s\n", c->text);
    result = load_text(&rules, text, &failure);
    TAP_INT(result, c->ttl_seconds < 0 ? -1 : 0, "ttl '%s' %s", c->text,
            c->ttl_seconds < 0 ? "refused" : "accepted");
    if (result == 0)
      TAP_INT(rules.ttl, c->ttl_seconds, "ttl '%s' value", c->text);
    rules_free(&rules);
    snprintf(text, sizeof text, "[store]\nlock_wait = %s\n", c->text);
    result = load_text(&rules, text, &failure);
    TAP_INT(result, c->wait_ms < 0 ? -1 : 0, "lock_wait '%s' %s", c->text,
            c->wait_ms < 0 ? "refused" : "accepted");
    if (result == 0)
      TAP_INT(rules.lock_wait_ms, c->wait_ms, "lock_wait '%s' value", c->text);
    rules_free(&rules);
  }
}

static const struct boolean_case { const char *text; int want; } boolean_cases[] = {
  { "yes", 1 }, { "no", 0 }, { "TRUE", 1 }, { "false", 0 }, { "on", 1 },
  { "Off", 0 }, { "1", 1 }, { "0", 0 }, { "y", -1 }, { "nope", -1 }, { "2", -1 },
};

static void
test_booleans(void)
{
  for (size_t i = 0; i < sizeof boolean_cases / sizeof boolean_cases[0]; i++) {
    struct rules rules;
    struct failure failure;
    char text[64];
    int result;
    rules_init_defaults(&rules);
    rules.log_syslog = 7;
    snprintf(text, sizeof text, "[log]\nsyslog = %s\n", boolean_cases[i].text);
    result = load_text(&rules, text, &failure);
    if (boolean_cases[i].want < 0)
      TAP_OK(result == -1 && rules.log_syslog == 7, "syslog '%s' refused",
             boolean_cases[i].text);
    else
      TAP_OK(result == 0 && rules.log_syslog == boolean_cases[i].want,
             "syslog '%s' is %d", boolean_cases[i].text, boolean_cases[i].want);
    rules_free(&rules);
  }
}

/* ---------- rules_load on files ---------- */

static void
write_file(const char *path, const char *text)
{
  FILE *file = fopen(path, "w");
  if (!file)
    return;
  fputs(text, file);
  fclose(file);
}

static void
test_files(const char *dir)
{
  struct rules rules;
  struct failure failure;
  char path[512];
  rules_init_defaults(&rules);

  snprintf(path, sizeof path, "%s/missing.ini", dir);
  memset(&failure, 0, sizeof failure);
  TAP_INT(rules_load(&rules, path, &failure), -1, "missing file fails");
  TAP_INT(failure.class, FAILURE_CONFIG, "missing file: class config");
  TAP_OK(contains(failure.message, path) && contains(failure.message, strerror(ENOENT)),
         "missing file: message names the file and the reason");
  TAP_OK(rules.source == NULL && rules.ttl == 30L * 86400, "missing file: rules unchanged");

  TAP_INT(rules_load(&rules, dir, &failure), -1, "a directory is refused");
  TAP_OK(contains(failure.message, "regular file"), "directory: message says why");

  snprintf(path, sizeof path, "%s/good.ini", dir);
  write_file(path, "[store]\r\nttl = 2d\r\n[rule On-File]\r\nheader = X\r\nglob = a*\r\naction = drop\r\n");
  TAP_INT(rules_load(&rules, path, &failure), 0, "a CRLF file loads from disk");
  TAP_STR(rules.source, path, "file: source is the path");
  TAP_INT(rules.ttl, 2L * 86400, "file: ttl read");
  TAP_OK(rules.site_rule_count == 1 && strcmp(rules.site_rules[0].pattern, "a*") == 0,
         "file: CR not part of values");

  snprintf(path, sizeof path, "%s/bad.ini", dir);
  write_file(path, "[store]\nttl = 1d\n[actions]\nbackscatter = drop\nbackscatter = file\n");
  memset(&failure, 0, sizeof failure);
  TAP_INT(rules_load(&rules, path, &failure), -1, "a file with a duplicate key fails");
  {
    char want[600];
    snprintf(want, sizeof want, "%s:5: [actions] backscatter:", path);
    TAP_OK(contains(failure.message, want) && contains(failure.message, "line 4"),
           "file: message is FILE:LINE with both lines");
    if (!contains(failure.message, want))
      printf("#   message: %s\n", failure.message);
  }
  TAP_OK(rules.ttl == 2L * 86400 && rules.site_rule_count == 1,
         "file: earlier rules unchanged after the failure");
  rules_free(&rules);
  TAP_OK(rules.source == NULL && rules.site_rules == NULL && rules.site_rule_count == 0,
         "rules_free resets to defaults");
}

/* ---------- site rules ---------- */

struct field { const char *name, *value; };
struct header { struct field fields[4]; };

static int lookups;   /* calls of lookup_field */

static const char *
lookup_field(void *cookie, const char *name)
{
  const struct header *header = cookie;
  lookups++;
  for (size_t i = 0; i < 4 && header->fields[i].name; i++)
    if (strcasecmp(header->fields[i].name, name) == 0)
      return header->fields[i].value;
  return NULL;
}

static const struct match_case {
  const char *what;
  struct header header;
  const char *want;   /* rule name or NULL */
} match_cases[] = {
  { "list glob", { { { "List-Id", "Some list <talk.lists.example.org>" } } }, "Lists" },
  { "list glob, case and spaces", { { { "List-Id", "  X <TALK.Lists.Example.ORG>  \r\n" } } }, "Lists" },
  { "list glob, folded", { { { "List-Id", "Some\r\n list <a.lists.example.org>" } } }, "Lists" },
  { "list glob no match", { { { "List-Id", "<a.lists.example.com>" } } }, NULL },
  { "regex with ;", { { { "From", "MAILER-DAEMON@mx.example.net; x" } } }, "Daemon-From" },
  { "regex with #", { { { "From", "mailer-daemon@mx#1" } } }, "Daemon-From" },
  { "regex anchored", { { { "From", "x mailer-daemon@mx;" } } }, NULL },
  { "regex without ; or #", { { { "From", "mailer-daemon@mx.example.net" } } }, NULL },
  { "first match wins", { { { "From", "mailer-daemon@a;" }, { "List-Id", "<l.lists.example.org>" } } }, "Lists" },
  { "no such header", { { { "Subject", "hello" } } }, NULL },
  { "quoted regex", { { { "X-Weird", "they say \"HI\" there" } } }, "single" },
};

/* The name of the rule that matches `header`, or NULL (none, or trouble). */
static const char *
match_name(const struct rules *rules, const struct header *header)
{
  const struct site_rule *rule;
  struct failure failure = { 0 };
  int result = rules_match_site(rules, lookup_field, (void *) header, &rule,
                                &failure);
  if (result < 0)
    printf("#   trouble: %s\n", failure.message);
  return result > 0 ? rule->name : NULL;
}

static void
test_matching(const struct rules *rules)
{
  for (size_t i = 0; i < sizeof match_cases / sizeof match_cases[0]; i++) {
    const struct match_case *c = &match_cases[i];
    TAP_STR(match_name(rules, &c->header), c->want, "match: %s", c->what);
  }
  {
    struct rules none;
    struct header header = { { { "List-Id", "<a.lists.example.org>" } } };
    rules_init_defaults(&none);
    TAP_OK(match_name(&none, &header) == NULL, "match: no rules, no match");
  }
}

static void
test_rule_order(void)
{
  static const char text[] =
    "[rule Zeta]\nheader = A\nglob = *\naction = drop\n"
    "[rule alpha]\nheader = B\nglob = *\naction = file\n"
    "[store]\nttl = 2d\n"
    "[rule Mid Name]\nheader = C\nglob = *\nverdict = unknown\n";
  static const char *const want[] = { "Zeta", "alpha", "Mid Name" };
  struct rules rules;
  struct failure failure;
  rules_init_defaults(&rules);
  TAP_INT(load_text(&rules, text, &failure), 0, "order: file loads");
  TAP_INT(rules.site_rule_count, 3, "order: three rules");
  for (size_t i = 0; i < 3 && i < rules.site_rule_count; i++)
    TAP_STR(rules.site_rules[i].name, want[i], "order: rule %zu in file order", i + 1);
  rules_free(&rules);
}

/* ---------- regexes: compiled when first needed ---------- */

/* Every regcomp() of rules.c comes through here, counted. */
static int regcomps;

int
regcomp(regex_t *regex, const char *pattern, int flags)
{
  static int (*real_regcomp)(regex_t *, const char *, int);
  if (!real_regcomp)
    real_regcomp = (int (*)(regex_t *, const char *, int))
                   dlsym(RTLD_NEXT, "regcomp");
  regcomps++;
  return real_regcomp(regex, pattern, flags);
}

/* Each rule's regex state as a letter: g glob, u not compiled, c compiled,
 * b bad. */
static void
regex_states(const struct rules *rules, char *out, size_t size)
{
  size_t i = 0;
  for (; i < rules->site_rule_count && i + 1 < size; i++)
    out[i] = rules->site_rules[i].match == MATCH_GLOB ? 'g'
             : "ucb"[rules->site_regexes[i].state];
  out[i] = '\0';
}

static const char lazy_file[] =
  "[rule Lists]\n"                      /* 1 */
  "header = List-Id\n"
  "glob = *<*.lists.example.org>\n"
  "verdict = clean\n"
  "[rule Daemon]\n"                     /* 5 */
  "header = From\n"
  "regex = \"^mailer-daemon@\"\n"
  "action = file\n"
  "[rule Broken]\n"                     /* 9 */
  "header = Subject\n"
  "regex = \"a(b\"\n"
  "action = drop\n"
  "[rule Absent]\n"                     /* 13 */
  "header = X-Absent\n"
  "regex = \"[z\"\n"
  "action = drop\n"
  "[rule Subject glob]\n"               /* 17 */
  "header = subject\n"
  "glob = *\n"
  "verdict = genuine\n";

static const struct lazy_case {
  const char *what;
  struct header header;      /* the message */
  int want;                  /* rules_match_site's result */
  const char *want_rule;     /* the rule it names (matched, or bad) */
  const char *want_states;   /* after matching (regex_states) */
  int want_lookups;          /* header fields looked up */
  const char *want_message;  /* for -1: in the failure */
} lazy_cases[] = {
  { "no field any rule tests: nothing compiled",
    { { { "To", "someone@example.org" } } }, 0, NULL, "guuug", 4, NULL },
  { "an earlier rule matches: later regexes never compiled",
    { { { "List-Id", "<talk.lists.example.org>" }, { "From", "MAILER-DAEMON@x" },
        { "Subject", "a" } } }, 1, "Lists", "guuug", 1, NULL },
  { "the regex's field is present: compiled, and matches",
    { { { "From", "MAILER-DAEMON@mx.example.net" }, { "Subject", "hi" } } },
    1, "Daemon", "gcuug", 2, NULL },
  { "the field lacks the regex's literal: not compiled",
    { { { "From", "bob@example.net" }, { "To", "z" } } },
    0, NULL, "guuug", 4, NULL },
  { "the field has the literal: compiled, no match (anchored)",
    { { { "From", "Postmaster <MAILER-DAEMON@mx.example.net>" } } },
    0, NULL, "gcuug", 4, NULL },
  { "a later bad regex's field is present: trouble",
    { { { "From", "bob@example.net" }, { "X-Absent", "z" } } },
    -1, "Absent", "guubg", 4, NAME ":15: [rule Absent] regex: bad regular "
    "expression: " },
  { "an earlier regex matches: the bad one after it is not compiled",
    { { { "From", "mailer-daemon@x" }, { "Subject", "ab" }, { "X-Absent", "z" } } },
    1, "Daemon", "gcuug", 2, NULL },
  { "the bad regex's field is present, no rule before matches: trouble",
    { { { "From", "bob@example.net" }, { "Subject", "ab" }, { "X-Absent", "z" } } },
    -1, "Broken", "gubug", 3, NAME ":11: [rule Broken] regex: bad regular "
    "expression: " },
};

static void
test_lazy_regexes(void)
{
  for (size_t i = 0; i < sizeof lazy_cases / sizeof lazy_cases[0]; i++) {
    const struct lazy_case *c = &lazy_cases[i];
    const struct site_rule *rule;
    struct rules rules;
    struct failure failure;
    char states[16];
    int result, compiled;

    rules_init_defaults(&rules);
    regcomps = 0;
    result = load_text(&rules, lazy_file, &failure);
    TAP_INT(result, 0, "lazy %s: a bad regex does not fail the load", c->what);
    if (result != 0) {
      printf("#   %s\n", failure.message);
      continue;
    }
    regex_states(&rules, states, sizeof states);
    TAP_INT(regcomps, 0, "lazy %s: load compiles nothing", c->what);
    TAP_STR(states, "guuug", "lazy %s: every regex uncompiled after load", c->what);

    for (int round = 1; round <= 2; round++) {
      memset(&failure, 0, sizeof failure);
      lookups = 0;
      result = rules_match_site(&rules, lookup_field, (void *) &c->header, &rule,
                                &failure);
      regex_states(&rules, states, sizeof states);
      compiled = (int) (strchr(states, 'c') != NULL) + (int) (strchr(states, 'b') != NULL);
      TAP_INT(result, c->want, "lazy %s (match %d): result", c->what, round);
      TAP_STR(result != 0 && rule ? rule->name : NULL, c->want_rule,
              "lazy %s (match %d): rule", c->what, round);
      TAP_STR(states, c->want_states, "lazy %s (match %d): what is compiled",
              c->what, round);
      TAP_INT(regcomps, compiled, "lazy %s (match %d): each regex compiled at "
              "most once", c->what, round);
      TAP_INT(lookups, c->want_lookups, "lazy %s (match %d): each field looked "
              "up once", c->what, round);
      if (c->want_message) {
        TAP_INT(failure.class, FAILURE_CONFIG, "lazy %s (match %d): a config "
                "failure", c->what, round);
        TAP_OK(contains(failure.message, c->want_message)
               && contains(failure.message, "Unmatched "),
               "lazy %s (match %d): the message names file, line, rule and "
               "why: %s", c->what, round, failure.message);
      }
    }
    rules_free(&rules);
  }
}

/* The literal a regex's matches all contain, found at load (rules.h):
 * what it is for a pattern, NULL when none is certain. */
static const struct literal_case {
  const char *regex;
  const char *want;
} literal_cases[] = {
  { "^mailer-daemon@", "mailer-daemon@" },
  { "^MAILER-Daemon@", "mailer-daemon@" },                 /* lower case */
  { "^(mailer-daemon|postmaster)@(fwd|old)\\.example\\.net([;#].*)?$",
    ".example.net" },                                        /* the shipped example */
  { "^(mailer-daemon|postmaster)@fwd\\.example\\.net$", "@fwd.example.net" },  /* rules(5) */
  { "a|b", "a\nb" },                                        /* one per branch */
  { "^mailer-daemon@|^postmaster@", "mailer-daemon@\npostmaster@" },
  { "^zzz$|^(a|b)x\\.Y", "zzz\nx.y" },
  { "abc|", NULL },                                          /* a branch without */
  { "|abc", NULL },
  { "ab|c*", NULL },
  { "ab|(c", NULL },
  { "colou?r", "colo" },                                     /* u optional */
  { "ab*c", "a" },                                           /* b optional; a and c tie */
  { "xab+cd", "xab" },                                       /* b required, ends the run */
  { "a{2}bcd", "bcd" },
  { "a{0}", NULL },
  { "[abc]def", "def" },
  { "[]x]yz", "yz" },
  { "[^]x]yz", "yz" },
  { "[[:alpha:]]+@host", "@host" },
  { "[[:alpha:]", NULL },                                    /* unclosed */
  { "\\bword\\b", "word" },                              /* GNU escapes: not text */
  { "\\w+@x\\.y", "@x.y" },
  { "\\<ab", "ab" },
  { "(ab)cd", "cd" },
  { "(a(b)c)+de", "de" },
  { "(unclosed", NULL },
  { "closed)", NULL },
  { "*a", NULL },                                            /* quantifier of nothing */
  { "(a+)*b", "b" },                                         /* a group's repeat */
  { "^*", NULL },
  { "\\", NULL },                                          /* trailing backslash */
  { "a.b", "a" },
  { "^.*$", NULL },
  { "caf\xc3\xa9s", "caf" },                               /* ASCII only */
  { "a b", "a b" },
  { "\\$5\\.00", "$5.00" },
  { "x{1", NULL },
};

static void
test_regex_literals(void)
{
  for (size_t i = 0; i < sizeof literal_cases / sizeof literal_cases[0]; i++) {
    const struct literal_case *c = &literal_cases[i];
    char text[256];
    struct rules rules;
    struct failure failure;
    snprintf(text, sizeof text, "[rule r]\nheader = X\nregex = \"%s\"\naction = file\n",
             c->regex);
    rules_init_defaults(&rules);
    if (load_text(&rules, text, &failure) != 0) {
      TAP_OK(0, "literal of /%s/: loads: %s", c->regex, failure.message);
      continue;
    }
    TAP_STR(rules.site_rules[0].literal, c->want, "literal of /%s/", c->regex);
    rules_free(&rules);
  }
}

/* ---------- regexes: their shape, checked at load ---------- */

/* Shapes on which glibc's regcomp or regexec take memory or time out of
 * proportion to the pattern are refused at load, before any compiling,
 * with FILE:LINE (rules(5) LIMITS, caps.h CAP_REGEX_*). No regcomp is
 * called at load (counted through the interposed regcomp above), so the
 * cases cost microseconds however the pattern would compile. */
static const struct shape_case {
  const char *regex;
  const char *want;          /* the message after "t.ini:3: [rule r] regex: " */
} refused_shapes[] = {
  /* a repeat of a repeat: undefined in POSIX, accepted by glibc */
  { "a**", "a repeat of a repeat ('*' at character 3;" },
  { "a+*", "a repeat of a repeat ('*' at character 3;" },
  { "a*+", "a repeat of a repeat ('+' at character 3;" },
  { "a++", "a repeat of a repeat ('+' at character 3;" },
  { "a?+", "a repeat of a repeat ('+' at character 3;" },
  { "a+?", "a repeat of a repeat ('?' at character 3;" },   /* not Perl's lazy + */
  { "a{2}{3}", "a repeat of a repeat ('{' at character 5;" },
  { "x{2}*", "a repeat of a repeat ('*' at character 5;" },
  { "a{1,}{2}", "a repeat of a repeat ('{' at character 6;" },
  { "[ab]*?", "a repeat of a repeat ('?' at character 6;" },
  { "(ab)+*", "a repeat of a repeat ('*' at character 6;" },
  { "^.*++++@x", "a repeat of a repeat ('+' at character 4;" },
  /* one count over CAP_REGEX_REPEAT */
  { "a{256}", "repeat count over 255 ('{256}' at character 2; expected at most 255)" },
  { "a{0,256}", "repeat count over 255 ('{0,256}' at character 2;" },
  { "a{256,}", "repeat count over 255 ('{256,}' at character 2;" },
  { "a{,1000}", "repeat count over 255 ('{,1000}' at character 2;" },
  { "a{99999999999999999999}", "repeat count over 255 ('{99999999999999999999}' at" },
  { "a{000000000000000000000000000000256}", "repeat count over 255 ('{00000000000000000000000' at" },
  { "(x{1000}){1000}", "repeat count over 255 ('{1000}' at character 3;" },
  /* nested counts multiplied, over CAP_REGEX_REPEAT_PRODUCT */
  { "(a{40}){40}", "nested repeat counts multiply to 1600 ('{40}' at character 8; "
                   "expected at most 1024)" },
  { "((a{16}){16}){16}", "nested repeat counts multiply to 4096 ('{16}' at character 14;" },
  { "(a{2}|(b{255}c){5})", "nested repeat counts multiply to 1275 ('{5}' at character 16;" },
  /* groups nested over CAP_REGEX_DEPTH */
  { "((((((((((((((((((((((((((((((((("   /* 33 */
    "a)))))))))))))))))))))))))))))))))",
    "groups nested more than 32 deep ('(' at character 33; expected at most 32)" },
  /* back-references: regexec exponential */
  { "(a)\\1", "back-reference '\\1' at character 4 (" },
  { "(a)(b)(c)(d)(e)(f)(g)(h)(i)x\\9", "back-reference '\\9' at character 29" },
  { "^(.*)@\\1$", "back-reference '\\1' at character 7" },
  /* more than CAP_REGEX_ELEMENTS once repeats are copied out */
  { "x{255}x{255}x{255}x{255}x", "too large once its repeats are copied out: 1025 "
                                 "elements (expected at most 1024;" },
  { "(a?){255}(a?){255}", "too large once its repeats are copied out: 1532 elements (" },
  { "^(.?){170}$", "too large once its repeats are copied out: 513 elements, 1026 "
                   "with its 2 anchors (expected at most 1024;" },
  { "(\\b|)(\\B|)(^|)($|)(.?){255}", "too large once its repeats are copied out: "
                                     "778 elements, 3112 with its 4 anchors" },
  /* anchors over CAP_REGEX_ANCHORS, copies counted */
  { "\\ba\\bb\\bc\\bd\\be\\bf\\bg\\bh\\bi", "more than 8 anchors (9 of" },
  { "(\\<a\\>){5}", "more than 8 anchors (10 of" },
  /* a repeat without bound of what can match nothing: regcomp's time is
   * exponential in the pattern (the second fuzz case) */
  { "(a*)*", "a repeat without bound of what can match nothing ('*' at character 5;" },
  { "((a*)*)*", "a repeat without bound of what can match nothing ('*' at character 6;" },
  { "(a|)+", "a repeat without bound of what can match nothing ('+' at character 5;" },
  { "(a?b?)*", "a repeat without bound of what can match nothing ('*' at character 7;" },
  { "()*", "a repeat without bound of what can match nothing ('*' at character 3;" },
  { "(^|a)*", "a repeat without bound of what can match nothing ('*' at character 6;" },
  { "(a{0,3}){2,}", "a repeat without bound of what can match nothing ('{2,}' at character 9;" },
  { "x(|||)(|||)(|||)(|||)(|||)(|||)(|||)(|||)(|||)(|||)(|||)(|||)(|||)(|||)*",
    "a repeat without bound of what can match nothing ('*' at character 72;" },
  { "((((((((((((((((((((a)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+",  /* 2^20 */
    "too large once its repeats are copied out: over 1024 elements by character 39" },
  { "(((((((((a|b|c|d)+)+)+)+)+)+)+)+)+", "too large once its repeats are copied out" },
  { "([a-z]{255}[0-9]{255}){2}", "too large once its repeats are copied out" },
};

/* Accepted as before: the patterns the project ships or documents or tests
 * elsewhere, ordinary ones, and each cap's own boundary. `compiles`: 1 a
 * good pattern, 0 a bad one that loads (its syntax is regcomp's to judge,
 * when first needed). */
static const struct accepted_case {
  const char *regex;
  int compiles;
} accepted_shapes[] = {
  /* rules/backscatter-filter.ini, examples/backscatter-filter.ini */
  { "^(mailer-daemon|postmaster)@(fwd|old)\\.example\\.net([;#].*)?$", 1 },
  /* doc/backscatter-filter.rules.5.in */
  { "^(mailer-daemon|postmaster)@fwd\\.example\\.net([;#].*)?$", 1 },
  { "^(mailer-daemon|postmaster)@fwd\\.example\\.net$", 1 },
  /* tests/fuzz/seeds.sh, tests/e2e/cli.sh, bench/gen-site-rules.py */
  { "^.*@(a|b)\\.example$", 1 },
  { "^a(b|c)$", 1 },
  { "^(list|news|alerts)-007[.-](a|b|c)+@(host|mx)[0-9]*\\.site007\\.example\\.(com|net)$", 1 },
  /* this file's */
  { "^mailer-daemon@.*(;|#)", 1 },
  { "^(a|b)+$", 1 },
  { "(a(b)c)+de", 1 },
  { "\\w+@x\\.y", 1 },
  { "[[:alpha:]]+@host", 1 },
  /* ordinary site patterns */
  { "^([0-9]{1,3}\\.){3}[0-9]{1,3}$", 1 },
  { "@([a-z0-9-]{1,63}\\.){1,8}[a-z]{2,63}$", 1 },   /* nested counts 504 */
  { "^(re|fwd?|aw): *(undeliverable|returned mail)", 1 },
  { "^<?[a-z0-9._%+-]+@example\\.(org|net)>?$", 1 },
  { "(a+)*b", 1 },                 /* a group's repeat is no stacked repeat */
  { "((a+)*b)+", 1 },
  { "(a?b)*", 1 },                 /* cannot match nothing: may be repeated */
  { "(a|b)*", 1 },
  { "(a*){3}", 1 },                /* bounded: no cycle */
  { "^(.?){169}$", 1 },            /* 510 elements, 1020 with 2 anchors */
  { "\\ba\\bb\\bc\\bd\\be\\bf\\bg\\bh", 1 },  /* 8 anchors */
  { "a\\**", 1 },                  /* an escaped * is an atom */
  { "[*+?]+", 1 },                 /* in brackets: members */
  { "[]*]+", 1 },
  { "x\\{2}{3}", 1 },              /* \{ is a character: {3} takes the '}' */
  { "[\\1]", 1 },                  /* in brackets: '\' and '1', no back-reference */
  { "\\0", 1 },
  { "a)+", 1 },                    /* glibc: a ')' without '(' is a character */
  /* each cap's boundary */
  { "a{255}", 1 },
  { "a{0,255}", 1 },
  { "a{255,}", 1 },
  { "x{255}x{255}x{255}x{255}", 1 },                          /* 1024 elements */
  { "(a{31}){31}", 1 },                        /* product 961, 1024 elements */
  { "(((((((((((((((((((((((((((((((("       /* 32 deep */
    "a))))))))))))))))))))))))))))))))", 1 },
  { "(((((((a+)+)+)+)+)+)+)+", 1 },                            /* 2^8 copies */
  /* bad syntax: still loads (regcomp's to report when needed) */
  { "(unclosed", 0 },
  { "[z", 0 },
  { "a(b", 0 },
  { "a|*b", 0 },
  { "^*", 0 },
  { "a{1", 0 },
  { "a{3,2}", 0 },
  { "a\\", 0 },
};

static void
test_regex_shapes(void)
{
  char text[1400], want[512];
  struct rules rules;
  struct failure failure;

  for (size_t i = 0; i < sizeof refused_shapes / sizeof refused_shapes[0]; i++) {
    const struct shape_case *c = &refused_shapes[i];
    snprintf(text, sizeof text, "[rule r]\nheader = X\nregex = \"%s\"\naction = file\n",
             c->regex);
    snprintf(want, sizeof want, NAME ":3: [rule r] regex: %s", c->want);
    rules_init_defaults(&rules);
    regcomps = 0;
    TAP_INT(load_text(&rules, text, &failure), -1, "shape /%s/: refused at load",
            c->regex);
    TAP_OK(strncmp(failure.message, want, strlen(want)) == 0, "shape /%s/: "
           "'%s...': %s", c->regex, want, failure.message);
    TAP_INT(regcomps, 0, "shape /%s/: refused without compiling", c->regex);
    TAP_INT(rules.site_rule_count, 0, "shape /%s/: nothing loaded", c->regex);
  }

  for (size_t i = 0; i < sizeof accepted_shapes / sizeof accepted_shapes[0]; i++) {
    const struct accepted_case *c = &accepted_shapes[i];
    snprintf(text, sizeof text, "[rule r]\nheader = X\nregex = \"%s\"\naction = file\n",
             c->regex);
    rules_init_defaults(&rules);
    regcomps = 0;
    if (load_text(&rules, text, &failure) != 0) {
      TAP_OK(0, "shape /%s/: loads: %s", c->regex, failure.message);
      continue;
    }
    TAP_INT(regcomps, 0, "shape /%s/: loads, not compiled", c->regex);
    TAP_INT(rules_compile_site_rule(&rules, 0, &failure), c->compiles ? 0 : -1,
            "shape /%s/: %s", c->regex, c->compiles ? "compiles" : "regcomp refuses it");
    rules_free(&rules);
  }

  /* A plain pattern that fills its line is never too large. */
  {
    char regex[CAP_RULE_LINE_BYTES];
    size_t used = 0;
    while (used + 2 < sizeof regex - 12)
      used += (size_t) snprintf(regex + used, sizeof regex - used, ".?");
    snprintf(text, sizeof text, "[rule r]\nheader = X\nregex = \"%s$\"\naction = file\n",
             regex);
    rules_init_defaults(&rules);
    TAP_INT(load_text(&rules, text, &failure), 0, "a line-filling '.?.?...$' "
            "(%zu bytes) loads: %s", used + 1, failure.message);
    rules_free(&rules);
  }

  /* The fuzz case (tests/fuzz/regressions/rules-stacked-repeats-oom): 125
   * '+' after "^.*"; regcomp took over 2 GB on it. */
  {
    char plus[126];
    memset(plus, '+', 125);
    plus[125] = '\0';
    snprintf(text, sizeof text, "[rule lists]\nheader = List-Id\n"
             "glob = *lists.examplefacil*\nverdict = clean\n[rule re]\n"
             "header = From\nregex = \"^.*%s@(a|b)\\\\facilple$\"\n"
             "action = file\n", plus);
    TAP_INT(strlen(text), 268, "the fuzz case: its 268 bytes");
    rules_init_defaults(&rules);
    regcomps = 0;
    TAP_INT(load_text(&rules, text, &failure), -1, "the fuzz case: refused at load");
    TAP_OK(strstr(failure.message, NAME ":7: [rule re] regex: a repeat of a repeat "
                  "('+' at character 4;") == failure.message,
           "the fuzz case: FILE:LINE, the rule and the repeat: %s", failure.message);
    TAP_INT(regcomps, 0, "the fuzz case: nothing compiled");
  }

  /* All of a file's regexes together: CAP_REGEX_FILE_ELEMENTS, 16 rules of
   * 1024 elements, and no more. */
  {
    static char file[20 * 96];
    size_t used = 0;
    for (int rule = 1; rule <= 17; rule++)
      used += (size_t) snprintf(file + used, sizeof file - used,
                                "[rule r%d]\nheader = X\nregex = \"x{255}x{255}"
                                "x{255}x{255}\"\naction = file\n", rule);
    /* 16 rules: the first 64 lines */
    size_t sixteen = 0;
    for (int lines = 0; lines < 64; sixteen++)
      if (file[sixteen] == '\n')
        lines++;
    rules_init_defaults(&rules);
    failure.message[0] = '\0';
    TAP_INT(rules_load_buffer(&rules, NAME, file, sixteen, &failure), 0,
            "16 regexes of 1024 elements load: %s", failure.message);
    TAP_INT(rules.regex_elements, CAP_REGEX_FILE_ELEMENTS, "... %d elements in all",
            CAP_REGEX_FILE_ELEMENTS);
    rules_free(&rules);
    rules_init_defaults(&rules);
    TAP_INT(load_text(&rules, file, &failure), -1, "a 17th is refused");
    TAP_STR(failure.message, NAME ":67: [rule r17] regex: the site rules' regexes "
            "are too large together: 17408 elements with this one (expected at "
            "most 16384 in all)", "... at its line");
  }
}

/* The literal only spares compiling: for every pattern and value,
 * rules_match_site() says what regexec() on the compiled pattern says
 * (patterns and values drawn from pieces that exercise the reading;
 * deterministic). */
static void
test_literal_agrees_with_regexec(void)
{
  static const char *const pieces[] = {
    "a", "b", "A", "B", ".", "-", "@", "\\.", "\\w", "\\b", "\\<", "(a|b)", "(ab)",
    "(a(b)c)", "[ab]", "[^a]", "[[:alpha:]]", "[]a]", "*", "+", "?", "{2}", "{0,1}",
    "{1,}", "^", "$", "|", "x", " ", "\\-", "\\@", "}", "(", ")", "[", "\\(",
    "\\)", "\\*", "\\{", "\\}", "\\^", "\\$", "\\|", "\\\\", "\\/", "[[.a.]]",
    "[[=a=]]", "[a-]", "[-a]", "\\s", "\\'", "\\`", "\\>", "ab", "Ab", "a{1", "{",
    "(|a)", "()", "\\[", "\\]", "]", "[\\]", "a**", "a+?", "(a)*", "[x]{0}", "\\+",
  };
  /* No back-reference among the pieces: glibc's regexec can take
   * exponential time on them, and they are no text (literal_cases). */
  static const char value_chars[] = "abAB.-@x (){}*^$|\\/[]+?";
  unsigned long state = 20261130;
  size_t patterns = 0, disagreements = 0, spared = 0, refused = 0;
#define NEXT(n) ((state = state * 6364136223846793005UL + 1442695040888963407UL), \
                 (size_t) ((state >> 33) % (n)))
  while (patterns < 3000) {
    char regex[128] = "", text[256], value[16];
    regex_t direct;
    size_t count = 1 + NEXT(6);
    for (size_t i = 0; i < count; i++)
      strcat(regex, pieces[NEXT(sizeof pieces / sizeof pieces[0])]);
    if (regcomp(&direct, regex, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
      continue;                 /* bad patterns: the tables above */
    patterns++;
    struct rules rules;
    struct failure failure;
    snprintf(text, sizeof text, "[rule r]\nheader = X\nregex = \"%s\"\naction = file\n",
             regex);
    rules_init_defaults(&rules);
    if (load_text(&rules, text, &failure) != 0) {
      /* glibc takes a repeat of a repeat ("a**") and a repeat without
       * bound of what can match nothing ("(|a)*"); the load refuses them
       * (regex_shapes): nothing else among these pieces. */
      if (strstr(failure.message, "regex: a repeat of a repeat (") == NULL
          && strstr(failure.message, "regex: a repeat without bound of what "
                    "can match nothing (") == NULL
          && disagreements++ < 5)
        printf("#   /%s/ refused: %s\n", regex, failure.message);
      refused++;
      regfree(&direct);
      continue;
    }
    for (int v = 0; v < 20; v++) {
      size_t length = NEXT(sizeof value);
      struct header header = { { { "X", value } } };
      const struct site_rule *rule;
      for (size_t i = 0; i < length; i++)
        value[i] = value_chars[NEXT(sizeof value_chars - 1)];
      value[length] = '\0';
      /* The matcher trims the value: so does the reference. */
      while (length && value[length - 1] == ' ')
        value[--length] = '\0';
      if (value[0] == ' ')
        value[0] = 'x';
      int want = regexec(&direct, value, 0, NULL, 0) == 0;
      int got = rules_match_site(&rules, lookup_field, &header, &rule, &failure);
      if (got != want) {
        if (disagreements++ < 5)
          printf("#   /%s/ (literal '%s') on '%s': %d, regexec %d\n", regex,
                 rules.site_rules[0].literal ? rules.site_rules[0].literal : "",
                 value, got, want);
      } else if (!want && rules.site_regexes[0].state == REGEX_UNCOMPILED) {
        spared++;
      }
    }
    rules_free(&rules);
    regfree(&direct);
  }
#undef NEXT
  TAP_INT(disagreements, 0, "literal: %zu patterns (%zu refused at load) x 20 "
          "values, the match always as regexec's", patterns, refused);
  TAP_OK(spared > 1000, "literal: it spared compiling %zu times", spared);
  TAP_OK(refused > 0 && refused < patterns / 2, "literal: %zu of them refused "
         "at load, each a repeat of a repeat or of what can match nothing",
         refused);
}

/* configtest compiles every regex: each bad one, in file order, with its
 * file and line; nothing compiled twice, and matching compiles no more. */
struct bad_regexes {
  size_t count;
  char messages[4][512];
};

static void
collect_bad(void *cookie, const struct failure *failure)
{
  struct bad_regexes *bad = cookie;
  if (bad->count < 4)
    snprintf(bad->messages[bad->count], sizeof bad->messages[0], "%s",
             failure->message);
  bad->count++;
}

static const struct configtest_case {
  const char *what;
  const char *text;
  size_t want_bad;
  const char *want[2];       /* the messages, in order */
  const char *want_states;
} configtest_cases[] = {
  { "two bad regexes and a good one", lazy_file, 2,
    { NAME ":11: [rule Broken] regex: bad regular expression: Unmatched ( or \\(",
      NAME ":15: [rule Absent] regex: bad regular expression: Unmatched [" },
    "gcbbg" },
  { "only globs", "[rule a]\nheader = X\nglob = *\naction = file\n", 0,
    { NULL, NULL }, "g" },
  { "a good regex", "[rule r]\nheader = X\nregex = \"^(a|b)+$\"\naction = file\n", 0,
    { NULL, NULL }, "c" },
  { "no rules", "[store]\nttl = 2d\n", 0, { NULL, NULL }, "" },
};

static void
test_configtest_compile(void)
{
  for (size_t i = 0; i < sizeof configtest_cases / sizeof configtest_cases[0]; i++) {
    const struct configtest_case *c = &configtest_cases[i];
    struct bad_regexes bad = { 0 };
    struct rules rules;
    struct failure failure;
    char states[16];
    int before;

    rules_init_defaults(&rules);
    if (load_text(&rules, c->text, &failure) != 0) {
      TAP_OK(0, "configtest %s: loads: %s", c->what, failure.message);
      continue;
    }
    regcomps = 0;
    TAP_INT(configtest_compile(&rules, collect_bad, &bad), c->want_bad,
            "configtest %s: bad regexes counted", c->what);
    TAP_INT(bad.count, c->want_bad, "configtest %s: each reported", c->what);
    for (size_t j = 0; j < c->want_bad && j < 2; j++)
      TAP_OK(strstr(bad.messages[j], c->want[j]) == bad.messages[j],
             "configtest %s: report %zu is '%s': %s", c->what, j + 1, c->want[j],
             bad.messages[j]);
    regex_states(&rules, states, sizeof states);
    TAP_STR(states, c->want_states, "configtest %s: every regex compiled", c->what);
    before = regcomps;
    bad.count = 0;
    configtest_compile(&rules, collect_bad, &bad);
    TAP_INT(regcomps, before, "configtest %s: nothing compiled twice", c->what);
    TAP_INT(bad.count, c->want_bad, "configtest %s: a bad one stays bad", c->what);
    {
      struct header header = { { { "Subject", "ab" }, { "From", "x" }, { "X", "a" } } };
      const struct site_rule *rule;
      (void) rules_match_site(&rules, lookup_field, &header, &rule, &failure);
      TAP_INT(regcomps, before, "configtest %s: matching then compiles nothing",
              c->what);
    }
    rules_free(&rules);
  }
}

/* ---------- identity ---------- */

static const struct truth_case { const char *text; int want; } address_cases[] = {
  { "me@example.org", 1 },
  { "ME@EXAMPLE.ORG", 1 },
  { "<Other@Example.NET>", 1 },
  { " <other@example.net> ", 1 },
  { "other@example.net.evil", 0 },
  { "someone@example.org", 1 },          /* domain listed */
  { "someone@mx.sub.example.org", 1 },   /* subdomain of a listed domain */
  { "someone@badexample.org", 0 },       /* not a subdomain */
  { "someone@example.org.evil.test", 0 },
  { "x@example.info", 1 },
  { "third@example.com", 1 },
  { "fourth@example.com", 0 },
  { "example.org", 0 },
  { "", 0 },
  { "<>", 0 },
};

static const struct truth_case relay_cases[] = {
  { "smtp.example.org", 1 },
  { "SMTP.Example.ORG", 1 },
  { "smtp.example.org.", 1 },
  { "mx.smtp.example.org", 0 },          /* plain entries do not cover subdomains */
  { "[192.0.2.1]", 1 },
  { "192.0.2.1", 1 },
  { "192.0.2.10", 0 },
  { "a.out.example.net", 1 },            /* .out.example.net covers subdomains */
  { "b.a.OUT.example.net", 1 },
  { "out.example.net", 0 },              /* but not itself */
  { "evilout.example.net", 0 },
  { "[IPv6:2001:db8::1]", 1 },
  { "2001:DB8::1", 1 },
  { "[2001:db8::2]", 0 },
  { "", 0 },
};

static void
test_identity(const struct rules *rules)
{
  for (size_t i = 0; i < sizeof address_cases / sizeof address_cases[0]; i++)
    TAP_INT(rules_is_our_address(rules, address_cases[i].text), address_cases[i].want,
            "our address '%s'", address_cases[i].text);
  for (size_t i = 0; i < sizeof relay_cases / sizeof relay_cases[0]; i++)
    TAP_INT(rules_is_our_relay(rules, relay_cases[i].text), relay_cases[i].want,
            "our relay '%s'", relay_cases[i].text);
  TAP_INT(rules_is_our_address(rules, NULL), 0, "our address NULL");
  TAP_INT(rules_is_our_relay(rules, NULL), 0, "our relay NULL");
}

/* ---------- actions ---------- */

static const struct action_case {
  enum verdict verdict;
  enum notice_kind kind;
  enum action want;
} action_cases[] = {
  /* [actions] in full_file: genuine file, backscatter drop, unknown file,
   * ndr deliver, dsn file, mdn deliver, autoreply drop. */
  { VERDICT_CLEAN, KIND_NONE, ACTION_DELIVER },
  { VERDICT_CLEAN, KIND_AUTOREPLY, ACTION_DELIVER },   /* kinds only for backscatter/unknown */
  { VERDICT_GENUINE, KIND_NDR, ACTION_FILE },
  { VERDICT_GENUINE, KIND_DSN, ACTION_FILE },
  { VERDICT_BACKSCATTER, KIND_NONE, ACTION_DROP },
  { VERDICT_BACKSCATTER, KIND_NDR, ACTION_DELIVER },
  { VERDICT_BACKSCATTER, KIND_DSN, ACTION_FILE },
  { VERDICT_UNKNOWN, KIND_MDN, ACTION_DELIVER },
  { VERDICT_UNKNOWN, KIND_AUTOREPLY, ACTION_DROP },
  { VERDICT_UNKNOWN, KIND_NONE, ACTION_FILE },
};

static void
test_actions(const struct rules *rules)
{
  struct rules defaults;
  for (size_t i = 0; i < sizeof action_cases / sizeof action_cases[0]; i++) {
    const struct action_case *c = &action_cases[i];
    TAP_STR(action_name(rules_action_for(rules, c->verdict, c->kind)), action_name(c->want),
            "action for %s %s", verdict_name(c->verdict), kind_name(c->kind));
  }
  rules_init_defaults(&defaults);
  TAP_INT(rules_action_for(&defaults, VERDICT_BACKSCATTER, KIND_DSN), ACTION_FILE,
          "default action for backscatter dsn is file");
  TAP_INT(rules_action_for(&defaults, VERDICT_UNKNOWN, KIND_DSN), ACTION_DELIVER,
          "default action for unknown dsn is deliver");
}

/* ---------- paths ---------- */

static void
make_dirs(const char *base, const char *relative)
{
  char path[512];
  snprintf(path, sizeof path, "%s/%s", base, relative);
  for (char *p = path + strlen(base) + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      mkdir(path, 0700);
      *p = '/';
    }
  mkdir(path, 0700);
}

static char *
default_path(const struct context *context)
{
  struct failure failure = { 0 };
  char *path = NULL;
  if (rules_default_path(context, &path, &failure) < 0)
    printf("# default path: %s\n", failure.message);
  return path;
}

static char *
store_path(const struct rules *rules, const struct context *context)
{
  struct failure failure = { 0 };
  char *path = NULL;
  if (rules_store_path(rules, context, &path, &failure) < 0)
    printf("# store path: %s\n", failure.message);
  return path;
}

static void
test_paths(const char *dir)
{
  char home[512], xdg[512], system[512], want[600];
  char *got;
  struct context context;
  struct rules rules;
  struct failure failure;

  snprintf(home, sizeof home, "%s/home", dir);
  snprintf(xdg, sizeof xdg, "%s/xdg", dir);
  snprintf(system, sizeof system, "%s/etc-rules.ini", dir);
  make_dirs(dir, "home/.config/backscatter-filter");
  make_dirs(dir, "xdg/backscatter-filter");

  memset(&context, 0, sizeof context);
  context.home = home;
  context.system_config = system;
  TAP_OK(default_path(&context) == NULL, "default path: nothing exists, NULL");

  write_file(system, "[store]\n");
  got = default_path(&context);
  TAP_STR(got, system, "default path: system file when no user file");
  free(got);

  snprintf(want, sizeof want, "%s/.config/backscatter-filter/rules.ini", home);
  write_file(want, "[store]\n");
  got = default_path(&context);
  TAP_STR(got, want, "default path: $HOME/.config file when XDG_CONFIG_HOME unset");
  free(got);

  context.xdg_config_home = "";
  got = default_path(&context);
  TAP_STR(got, want, "default path: empty XDG_CONFIG_HOME means unset (XDG rule)");
  free(got);

  context.xdg_config_home = xdg;
  got = default_path(&context);
  TAP_STR(got, system, "default path: XDG_CONFIG_HOME set but no file there: system file");
  free(got);

  snprintf(want, sizeof want, "%s/backscatter-filter/rules.ini", xdg);
  write_file(want, "[store]\n");
  got = default_path(&context);
  TAP_STR(got, want, "default path: XDG_CONFIG_HOME file first");
  free(got);

  /* Relative or empty variables are refused, never resolved against the
   * working directory (issue 10.8). */
  static const struct {
    const char *home, *xdg_config, *message;
  } refused[] = {
    { NULL, "relative/xdg", "XDG_CONFIG_HOME 'relative/xdg' is not an absolute path" },
    { "relative/home", NULL, "HOME 'relative/home' is not an absolute path" },
    { "", NULL, "HOME is empty" },
  };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    memset(&failure, 0, sizeof failure);
    context.home = refused[i].home ? refused[i].home : home;
    context.xdg_config_home = refused[i].xdg_config;
    got = (char *) "unset";
    TAP_INT(rules_default_path(&context, &got, &failure), -1,
            "default path: refused: %s", refused[i].message);
    TAP_OK(got == NULL && failure.class == FAILURE_CONFIG
           && contains(failure.message, refused[i].message),
           "default path: refusal says why (%s)", failure.message);
  }
  context.home = home;
  context.xdg_config_home = NULL;

  /* Another user's HOME (root with a user's HOME: sudo -E, an MDA as
   * root): refused, so nothing of theirs is read and nothing created. */
  if (geteuid() == 0 && chown(home, 65534, (gid_t) -1) == 0) {
    memset(&failure, 0, sizeof failure);
    got = (char *) "unset";
    TAP_INT(rules_default_path(&context, &got, &failure), -1,
            "default path: a HOME owned by another user is refused");
    TAP_OK(got == NULL && contains(failure.message, "is owned by uid 65534, not by us"),
           "default path: ... saying so (%s)", failure.message);
    rules_init_defaults(&rules);
    memset(&failure, 0, sizeof failure);
    TAP_INT(rules_store_path(&rules, &context, &got, &failure), -1,
            "store path: a HOME owned by another user is refused");
    TAP_OK(contains(failure.message, "is owned by uid 65534, not by us"),
           "store path: ... saying so (%s)", failure.message);
    if (chown(home, geteuid(), (gid_t) -1) != 0)
      perror("chown");
  } else {
    printf("ok %d - another user's HOME # SKIP needs root to give it away\n", ++tap_count);
    printf("ok %d - another user's HOME # SKIP needs root to give it away\n", ++tap_count);
    printf("ok %d - another user's HOME # SKIP needs root to give it away\n", ++tap_count);
    printf("ok %d - another user's HOME # SKIP needs root to give it away\n", ++tap_count);
  }
  /* A HOME that does not exist holds no user rule file: not an error. */
  context.home = "/nonexistent-bsf-home";
  got = default_path(&context);
  TAP_STR(got, system, "default path: a missing HOME: the system file");
  free(got);

  memset(&context, 0, sizeof context);
  TAP_OK(default_path(&context) == NULL, "default path: empty context, NULL");

  /* Store paths. */
  rules_init_defaults(&rules);
  context.home = home;
  snprintf(want, sizeof want, "%s/.local/state/backscatter-filter/sent.db", home);
  got = store_path(&rules, &context);
  TAP_STR(got, want, "store path: $HOME/.local/state default");
  free(got);
  context.xdg_state_home = xdg;
  snprintf(want, sizeof want, "%s/backscatter-filter/sent.db", xdg);
  got = store_path(&rules, &context);
  TAP_STR(got, want, "store path: XDG_STATE_HOME");
  free(got);
  context.xdg_state_home = "state";
  memset(&failure, 0, sizeof failure);
  TAP_INT(rules_store_path(&rules, &context, &got, &failure), -1,
          "store path: a relative XDG_STATE_HOME is refused");
  TAP_OK(contains(failure.message, "XDG_STATE_HOME 'state' is not an absolute path"),
         "store path: ... saying so (%s)", failure.message);
  context.xdg_state_home = xdg;
  rules.store_path = "~/mail/sent.db";
  snprintf(want, sizeof want, "%s/mail/sent.db", home);
  got = store_path(&rules, &context);
  TAP_STR(got, want, "store path: ~/ expanded with context home");
  free(got);
  context.home = "relative";
  memset(&failure, 0, sizeof failure);
  TAP_INT(rules_store_path(&rules, &context, &got, &failure), -1,
          "store path: ~/ with a relative HOME is refused");
  context.home = home;
  rules.store_path = "/var/lib/bsf/sent.db";
  got = store_path(&rules, &context);
  TAP_STR(got, "/var/lib/bsf/sent.db", "store path: absolute kept");
  free(got);
  context.home = NULL;
  rules.store_path = "~/mail/sent.db";
  memset(&failure, 0, sizeof failure);
  TAP_INT(rules_store_path(&rules, &context, &got, &failure), -1,
          "store path: ~/ without HOME fails");
  TAP_OK(got == NULL && contains(failure.message, "needs HOME"),
         "store path: ... saying so (%s)", failure.message);
  rules.store_path = NULL;
  context.xdg_state_home = NULL;
  memset(&failure, 0, sizeof failure);
  TAP_INT(rules_store_path(&rules, &context, &got, &failure), -1,
          "store path: no HOME at all fails");
  TAP_OK(got == NULL && contains(failure.message, "no store path"),
         "store path: ... saying so (%s)", failure.message);
}

/* ---------- who may write the rule file ---------- */

static const struct permission_case {
  mode_t mode;
  long owner;          /* -1: ours; else chown to this uid (root only) */
  int want;            /* rules_load result */
  const char *message; /* part of the failure message */
} permission_cases[] = {
  { 0600, -1, 0, NULL },
  { 0644, -1, 0, NULL },
  { 0400, -1, 0, NULL },
  { 0620, -1, -1, "writable by group or others (mode 0620)" },
  { 0602, -1, -1, "writable by group or others (mode 0602)" },
  { 0666, -1, -1, "refusing it" },
  { 0644, 12345, -1, "owned by uid 12345" },
  { 0644, 0, 0, NULL },
};

static void
test_permissions(const char *dir)
{
  char path[512];
  snprintf(path, sizeof path, "%s/perm.ini", dir);
  for (size_t i = 0; i < sizeof permission_cases / sizeof permission_cases[0]; i++) {
    const struct permission_case *c = &permission_cases[i];
    struct rules rules;
    struct failure failure = { 0 };
    char label[128];
    int result;
    snprintf(label, sizeof label, "rule file mode %04o owner %ld", (unsigned) c->mode,
             c->owner);
    write_file(path, "[exit]\nfile = 5\n");
    if (c->owner >= 0 && (geteuid() != 0 || chown(path, (uid_t) c->owner, (gid_t) -1) < 0)) {
      printf("ok %d - %s # SKIP needs root to give the file away\n", ++tap_count, label);
      unlink(path);
      continue;
    }
    if (chmod(path, c->mode) < 0) {
      perror("chmod");
      TAP_OK(0, "%s", label);
      continue;
    }
    rules_init_defaults(&rules);
    result = rules_load(&rules, path, &failure);
    TAP_INT(result, c->want, "%s", label);
    if (c->want == 0)
      TAP_INT(rules.exit_code[ACTION_FILE], 5, "%s loads", label);
    else {
      TAP_OK(contains(failure.message, c->message) && contains(failure.message, path)
             && failure.class == FAILURE_CONFIG, "%s: message says why", label);
      TAP_INT(rules.exit_code[ACTION_FILE], 2, "refused file left the rules untouched");
    }
    rules_free(&rules);
    unlink(path);
  }
}

/* ---------- one open, one read (issue 10.10) ---------- */

/* open() and fopen() are interposed here (this program's definitions come
 * before libc's, also for a statically linked iniparser): they count the
 * opens of `watched_path`, and after the first one can move
 * `swap_in_path` over it, as another user could if they may write the
 * directory. The file parsed must be the one opened and checked, so a
 * swap after the open must never be parsed. */
static const char *watched_path, *swap_in_path;
static int watched_opens;

static void
watched_open(const char *path)
{
  if (!watched_path || strcmp(path, watched_path) != 0)
    return;
  if (watched_opens++ == 0 && swap_in_path && rename(swap_in_path, watched_path) != 0)
    perror("rename");
}

int
open(const char *path, int flags, ...)
{
  static int (*real_open)(const char *, int, ...);
  mode_t mode = 0;
  if (flags & O_CREAT) {
    va_list args;
    va_start(args, flags);
    mode = (mode_t) va_arg(args, int);
    va_end(args);
  }
  if (!real_open)
    real_open = (int (*)(const char *, int, ...)) dlsym(RTLD_NEXT, "open");
  int fd = real_open(path, flags, mode);
  watched_open(path);
  return fd;
}

FILE *
fopen(const char *path, const char *how)
{
  static FILE *(*real_fopen)(const char *, const char *);
  if (!real_fopen)
    real_fopen = (FILE *(*)(const char *, const char *)) dlsym(RTLD_NEXT, "fopen");
  FILE *file = real_fopen(path, how);
  watched_open(path);
  return file;
}

static void
test_read_once(const char *dir)
{
  char path[512], swap[512];
  struct rules rules;
  struct failure failure = { 0 };
  int result;
  snprintf(path, sizeof path, "%s/once.ini", dir);
  snprintf(swap, sizeof swap, "%s/swap.ini", dir);

  write_file(path, "[exit]\nfile = 5\n");
  watched_path = path;
  watched_opens = 0;
  rules_init_defaults(&rules);
  result = rules_load(&rules, path, &failure);
  TAP_INT(result, 0, "read once: the rule file loads");
  TAP_INT(rules.exit_code[ACTION_FILE], 5, "read once: its value");
  TAP_INT(watched_opens, 1, "read once: the rule file is opened once");
  rules_free(&rules);

  /* Another user's file, same shape, different value, writable by all. */
  write_file(swap, "[exit]\nfile = 9\n");
  chmod(swap, 0666);
  swap_in_path = swap;
  watched_opens = 0;
  memset(&failure, 0, sizeof failure);
  rules_init_defaults(&rules);
  result = rules_load(&rules, path, &failure);
  TAP_OK(rules.exit_code[ACTION_FILE] != 9,
         "read once: a file swapped in after the check is never parsed");
  TAP_OK(result == 0 ? rules.exit_code[ACTION_FILE] == 5
                     : contains(failure.message, "replaced while it was being checked"),
         "read once: what was checked loads, or the swap is refused (%s)",
         result == 0 ? "loaded" : failure.message);
  TAP_INT(watched_opens, 1, "read once: opened once when swapped too");
  rules_free(&rules);
  swap_in_path = NULL;
  watched_path = NULL;
  unlink(path);
  unlink(swap);
}

/* ---------- the directories above the rule file ---------- */

static void
test_directories(const char *dir)
{
  char sub[512], path[600];
  struct rules rules;
  struct failure failure = { 0 };
  static const struct {
    mode_t mode;
    long owner;          /* -1: ours; else chown to this uid (root only) */
    int want;
    const char *message;
  } cases[] = {
    { 0700, -1, 0, NULL },
    { 0755, -1, 0, NULL },
    { 0777, -1, -1, "writable by group or others (mode 0777) and not sticky" },
    { 0770, -1, -1, "writable by group or others (mode 0770) and not sticky" },
    { 01777, -1, 0, NULL },
    { 0755, 65534, -1, "owned by uid 65534, neither us" },
  };
  snprintf(sub, sizeof sub, "%s/conf", dir);
  snprintf(path, sizeof path, "%s/rules.ini", sub);
  mkdir(sub, 0700);
  write_file(path, "[exit]\nfile = 6\n");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char label[128];
    snprintf(label, sizeof label, "directory mode %04o owner %ld",
             (unsigned) cases[i].mode, cases[i].owner);
    if (cases[i].owner >= 0
        && (geteuid() != 0 || chown(sub, (uid_t) cases[i].owner, (gid_t) -1) < 0)) {
      printf("ok %d - %s # SKIP needs root to give the directory away\n", ++tap_count,
             label);
      continue;
    }
    chmod(sub, cases[i].mode);
    rules_init_defaults(&rules);
    memset(&failure, 0, sizeof failure);
    int result = rules_load(&rules, path, &failure);
    TAP_INT(result, cases[i].want, "%s", label);
    if (cases[i].want < 0)
      TAP_OK(contains(failure.message, cases[i].message) && contains(failure.message, sub)
             && failure.class == FAILURE_CONFIG, "%s: message says why (%s)", label,
             failure.message);
    rules_free(&rules);
    if (cases[i].owner >= 0 && chown(sub, geteuid(), (gid_t) -1) < 0)
      perror("chown");
  }
  /* Through a symbolic link, the directories of the file itself count. */
  char link_path[600];
  snprintf(link_path, sizeof link_path, "%s/link.ini", dir);
  chmod(sub, 0777);
  if (symlink(path, link_path) == 0) {
    rules_init_defaults(&rules);
    TAP_INT(rules_load(&rules, link_path, &failure), -1,
            "a link to a file in a world-writable directory is refused");
    rules_free(&rules);
    unlink(link_path);
  }
  chmod(sub, 0700);
  unlink(path);
  rmdir(sub);
}

/* ---------- the shipped example ---------- */

static void
test_example(void)
{
  const char *srcdir = getenv("BSF_SRCDIR");
  char path[1024];
  struct rules rules;
  struct failure failure;
  int result;

  if (srcdir && *srcdir) {
    snprintf(path, sizeof path, "%s/rules/backscatter-filter.ini", srcdir);
  } else {
    const char *slash = strrchr(__FILE__, '/');
    int dir_length = slash ? (int) (slash - __FILE__) : 1;
    snprintf(path, sizeof path, "%.*s/../../rules/backscatter-filter.ini", dir_length,
             slash ? __FILE__ : ".");
  }
  if (access(path, R_OK) != 0) {
    printf("ok %d - example rule file # SKIP %s not found (set BSF_SRCDIR)\n",
           ++tap_count, path);
    return;
  }
  rules_init_defaults(&rules);
  memset(&failure, 0, sizeof failure);
  result = rules_load(&rules, path, &failure);
  printf("# example: %s\n", path);
  TAP_INT(result, 0, "example rule file loads");
  if (result != 0)
    printf("#   %s\n", failure.message);
  /* Issue 12: copied unedited, the shipped file changes nothing. */
  TAP_INT(rules.site_rule_count, 0, "example as shipped: no site rule");
  TAP_INT(rules.addresses.count + rules.domains.count + rules.relays.count, 0,
          "example as shipped: no identity, no relay");
  TAP_INT(rules.ttl, 30L * 86400, "example: ttl shows the default");
  TAP_INT(rules.verdict_action[VERDICT_BACKSCATTER], ACTION_FILE,
          "example: backscatter action shows the default");
  rules_free(&rules);

  /* Its examples, uncommented (";key" and ";[section]" lines lose their
   * ';'), make a valid rule file that does what their comments say. */
  FILE *file = fopen(path, "r");
  char *text = NULL;
  size_t size = 0;
  FILE *edited = open_memstream(&text, &size);
  char line[1100];
  while (file && edited && fgets(line, sizeof line, file))
    fputs(line[0] == ';' && line[1] != ' ' && line[1] != '\n'
          && (line[1] == '[' || strncmp(line + 1, "addresses", 9) == 0
              || strncmp(line + 1, "domains", 7) == 0
              || strncmp(line + 1, "relays", 6) == 0
              || strncmp(line + 1, "header", 6) == 0
              || strncmp(line + 1, "glob", 4) == 0
              || strncmp(line + 1, "regex", 5) == 0
              || strncmp(line + 1, "verdict", 7) == 0
              || strncmp(line + 1, "action ", 7) == 0)
          ? line + 1 : line, edited);
  if (file)
    fclose(file);
  if (edited)
    fclose(edited);
  rules_init_defaults(&rules);
  result = text ? rules_load_buffer(&rules, "uncommented example", text, size,
                                    &failure) : -1;
  TAP_INT(result, 0, "example uncommented: loads");
  if (result != 0)
    printf("#   %s\n", failure.message);
  TAP_OK(rules.site_rule_count >= 2, "example uncommented: at least two site rules");
  TAP_OK(rules.addresses.count >= 1 && rules_is_our_address(&rules, rules.addresses.items[0]),
         "example uncommented: an identity address");
  TAP_OK(rules.relays.count >= 1, "example uncommented: relays");
  {
    struct header lists = { { { "List-Id", "Talk <talk.lists.example.org>" } } };
    struct header daemon = { { { "From", "MAILER-DAEMON@fwd.example.net" } } };
    struct header person = { { { "From", "bob@fwd.example.net" } } };
    const struct site_rule *rule;
    TAP_INT(rules_match_site(&rules, lookup_field, &lists, &rule, &failure), 1,
            "example uncommented: the List-Id rule matches");
    TAP_OK(rule && rule->has_verdict && rule->verdict == VERDICT_CLEAN,
           "example uncommented: the List-Id rule forces clean");
    TAP_INT(rules_match_site(&rules, lookup_field, &daemon, &rule, &failure), 1,
            "example uncommented: the From regex compiles and matches");
    TAP_OK(rule && rule->match == MATCH_REGEX && rule->has_action,
           "example uncommented: the From regex matches a daemon");
    TAP_OK(match_name(&rules, &person) == NULL,
           "example uncommented: the From regex leaves people alone");
    TAP_INT(configtest_compile(&rules, collect_bad, &(struct bad_regexes) { 0 }), 0,
            "example uncommented: configtest finds every regex good");
  }
  rules_free(&rules);
  free(text);
}

int
main(void)
{
  struct rules rules;
  char dir[] = "/tmp/test-rules-XXXXXX";
  char command[600];
  const char *tmpdir = getenv("TMPDIR");
  char template[256];

  snprintf(template, sizeof template, "%s/test-rules-XXXXXX",
           tmpdir && *tmpdir ? tmpdir : "/tmp");
  if (!mkdtemp(template)) {
    if (!mkdtemp(dir)) {
      perror("mkdtemp");
      return 1;
    }
    snprintf(template, sizeof template, "%s", dir);
  }

  test_defaults();
  test_redis_keys();
  rules_init_defaults(&rules);
  test_full_file(&rules);
  test_errors(&rules);
  test_matching(&rules);
  test_identity(&rules);
  test_actions(&rules);
  test_size_cap(&rules);
  rules_free(&rules);
  test_rule_order();
  test_lazy_regexes();
  test_regex_literals();
  test_regex_shapes();
  test_literal_agrees_with_regexec();
  test_configtest_compile();
  test_durations();
  test_booleans();
  test_files(template);
  test_paths(template);
  test_permissions(template);
  test_read_once(template);
  test_directories(template);
  test_example();

  if (strchr(template, '\'') == NULL) {
    snprintf(command, sizeof command, "rm -rf '%s'", template);
    if (system(command) != 0)
      printf("# could not remove %s\n", template);
  }
  {
    /* [classify] signatures: a site's own file, path kept as written. */
    struct rules classify_rules;
    struct failure classify_failure;
    static const char text[] = "[classify]\nsignatures = ~/my-signatures.txt\n";
    rules_init_defaults(&classify_rules);
    TAP_INT(rules_load_buffer(&classify_rules, "c.ini", text, sizeof text - 1,
                              &classify_failure), 0, "[classify] signatures loads");
    TAP_STR(classify_rules.signatures_file, "~/my-signatures.txt",
            "[classify] signatures kept as written");
    rules_free(&classify_rules);
    static const char relative[] = "[classify]\nsignatures = relative.txt\n";
    rules_init_defaults(&classify_rules);
    TAP_INT(rules_load_buffer(&classify_rules, "c.ini", relative, sizeof relative - 1,
                              &classify_failure), -1, "[classify] relative path refused");
    rules_free(&classify_rules);
  }
  return tap_done();
}
