/* SPDX-License-Identifier: GPL-3.0-or-later */
/* rules.h: the rule file (INI, read as iniparser reads it), validated into a
 * struct rules that every other module receives as its configuration.
 *
 * A rule file is either loaded whole or not at all: rules_load() checks every
 * value first and, on any error, leaves *rules untouched and says which file,
 * line and key are wrong. One check is left for later: a site rule's regex
 * is compiled when a message first needs it, or by configtest (see struct
 * site_regex), and a bad one is then reported with its file and line.
 * Defaults are built in (rules_init_defaults), so the program works with no
 * rule file at all. Limits: CAP_RULE_FILE_BYTES per
 * file, CAP_RULE_LINE_BYTES per line (and so per pattern), CAP_SITE_RULES
 * site rules, CAP_IDENTITY_ITEMS per identity list.
 *
 * A site rule's regex is checked at load for its shape, without compiling
 * it, and refused (FILE:LINE: [rule NAME] regex: ..., naming the character)
 * for what makes glibc's regcomp or regexec take memory or time out of
 * proportion to the pattern: a repeat of a repeat ("a++", "a*{2}"); a repeat
 * without bound (* + {n,}) of what can match nothing ("(a*)*", "(a|)+":
 * regcomp's time is exponential in the pattern); a repeat count over
 * CAP_REGEX_REPEAT (255); nested counts multiplying to more than
 * CAP_REGEX_REPEAT_PRODUCT (1024); groups nested more than CAP_REGEX_DEPTH
 * (32) deep; a back-reference \1 to \9 (regexec can take exponential time);
 * more than CAP_REGEX_ANCHORS (8) anchors, copies counted; more than
 * CAP_REGEX_ELEMENTS (1024) elements once every repeat is copied out (each
 * character, '.', bracket expression, escape, anchor, group, '|' and
 * repeat, once per copy: {n,m} m copies, {n,} n + 1, + 2, * and ? 1), the
 * count multiplied by the anchors from two on; more than
 * CAP_REGEX_FILE_ELEMENTS (16384) in all the file's regexes.
 * What is left to the compilation is syntax alone.
 *
 * File format (see rules/backscatter-filter.ini and backscatter-filter.rules(5)):
 *   [store]    path = ~/... | redis://...   ttl = 30d   lock_wait = 5s
 *              namespace = NAME   timeout = 1s   password = SECRET (Redis)
 *   [identity] addresses = a@x b@y   domains = x.example   relays = smtp.x.example
 *   [actions]  clean|genuine|backscatter|unknown = deliver|file|drop
 *              dsn|ndr|autoreply|challenge|virus|mdn|arf = deliver|file|drop
 *              (a kind key overrides the verdict's action for that kind when
 *               the verdict is backscatter or unknown)
 *   [exit]     deliver = 0  file = 2  drop = 1  tempfail = 75
 *              on_error = deliver|tempfail
 *   [log]      syslog = yes|no   facility = mail   ident = backscatter-filter
 *              file = PATH (log lines appended there too; "~/" expands)
 *   [classify] signatures = PATH (a site's own signatures, format of
 *              rules/signatures.txt; tried before the shipped ones)
 *   [rule NAME] header = List-Id   glob = *@lists.example | regex = "..."
 *              verdict = clean|...  and/or  action = deliver|file|drop
 */
#ifndef BSF_RULES_H
#define BSF_RULES_H

#include <regex.h>
#include <time.h>
#include "context.h"
#include "failure.h"
#include "kinds.h"

struct string_list {
  char **items;
  size_t count;
};

enum rule_match { MATCH_GLOB, MATCH_REGEX };

/* A [rule NAME] section: when header field `header` of the incoming message
 * matches `pattern`, the rule forces a verdict and/or an action. Rules are
 * tried in file order; the first match wins. */
struct site_rule {
  char *name;
  char *header;             /* field name, e.g. "List-Id" */
  size_t header_first;      /* index of the first rule testing the same field
                               (itself if none before): its value is looked
                               up once per message */
  enum rule_match match;
  char *pattern;
  unsigned pattern_line;    /* line of the glob or regex key, for messages */
  char *literal;            /* regex: text every match contains (ASCII, lower
                               case; the longest fixed run outside groups and
                               brackets; with branches a|b, one per branch,
                               separated by '\n': a match contains one of
                               them), or NULL when none is certain */
  int has_verdict;
  enum verdict verdict;
  int has_action;
  enum action action;
};

/* A regex rule's pattern is checked for syntax only when it is first needed:
 * rules_load() does not compile it (a rule file of many site rules would
 * cost every message their compilation), rules_match_site() compiles it the
 * first time a message could match it (the rule's header field is present
 * and holds the rule's literal, if it has one), and configtest compiles
 * every one (rules_compile_site_rule). Compiled at most once per process;
 * a bad pattern is remembered as bad and never compiled again. */
enum regex_state { REGEX_UNCOMPILED, REGEX_COMPILED, REGEX_BAD };

struct site_regex {
  enum regex_state state;
  int error;                /* REGEX_BAD: regcomp's error code */
  regex_t compiled;         /* REGEX_COMPILED: POSIX extended, icase, nosub */
};

struct rules {
  char *source;             /* file loaded, or NULL for built-in defaults */

  char *store_path;         /* NULL: the default (XDG state dir) */
  time_t ttl;               /* seconds; default 30 days */
  long lock_wait_ms;        /* bounded wait for the store lock; default 5000 */
  char *store_namespace;    /* Redis key prefix; NULL: STORE_DEFAULT_NAMESPACE */
  long store_timeout_ms;    /* Redis connect/command bound; 0: the default */
  char *store_password;     /* Redis AUTH password; NULL: the URL's, if any */

  struct string_list addresses;  /* the user's addresses, lower case */
  struct string_list domains;    /* the user's domains, lower case */
  struct string_list relays;     /* host names / IPs of the site's outgoing relays */

  enum action verdict_action[VERDICT_COUNT];
  int kind_action_set[KIND_COUNT];
  enum action kind_action[KIND_COUNT];

  int exit_code[ACTION_COUNT];   /* default deliver 0, file 2, drop 1 */
  int tempfail_code;             /* default 75 */
  int on_error_tempfail;         /* 0: trouble delivers; 1: trouble exits tempfail */

  int log_syslog;                /* default 1 */
  int log_facility;              /* LOG_MAIL by default */
  char *log_ident;               /* default "backscatter-filter" */
  char *log_file;                /* also append log lines here; NULL: none */
  char *signatures_file;         /* [classify] signatures: a site's own */

  struct site_rule *site_rules;
  size_t site_rule_count;
  size_t regex_elements;    /* the site regexes' elements together (checked
                               at load against CAP_REGEX_FILE_ELEMENTS) */
  /* One per site rule (glob rules leave theirs unused). Compiled on first
   * need, so written through a const struct rules: matching is not
   * thread-safe. */
  struct site_regex *site_regexes;
};

/* Fill *rules with the built-in defaults (allocates nothing). */
void rules_init_defaults(struct rules *rules);

/* Load and validate `path` into *rules: opened once, checked on that
 * descriptor (owner, mode, the directories above it: conffile.h), read
 * whole and parsed once. Returns 0, or -1 with *failure set (class
 * FAILURE_CONFIG; message "FILE:LINE: [section] key: why" where known) and
 * *rules unchanged. A missing file is an error here: callers decide whether
 * a missing default file is fine. */
int rules_load(struct rules *rules, const char *path, struct failure *failure);

/* Load from a memory buffer (no file, no checks); `name` is used in
 * messages. Same parse and contract otherwise: the unit tests and the
 * fuzzers (fuzz-rules, fuzz-check) reach it without a file per case. */
int rules_load_buffer(struct rules *rules, const char *name,
                      const char *text, size_t length, struct failure *failure);

/* Paths. HOME is used only when a path is made from it, and then it must
 * be an absolute path naming a directory owned by the effective uid: an
 * empty or relative HOME would resolve against the working directory, and
 * another user's HOME (root with a user's HOME) is refused, so that nothing
 * of ours is read from or created in another user's home. An XDG_*_HOME
 * variable that is unset or empty means its default (the XDG rule); a
 * relative one is refused. Refusals are FAILURE_CONFIG with a message
 * naming the variable; the caller delivers (check) or stops (the rest). */

/* The rule file to use when none is given: $XDG_CONFIG_HOME (or
 * $HOME/.config)/backscatter-filter/rules.ini if it exists, else
 * context->system_config if it exists. 0 with *path malloc'ed, or NULL when
 * there is none (built-in defaults); -1 when HOME or XDG_CONFIG_HOME is
 * refused (a HOME that does not exist is fine here: no user file). */
int rules_default_path(const struct context *context, char **path,
                       struct failure *failure);

/* The store path: rules->store_path with a leading "~/" expanded, or
 * $XDG_STATE_HOME (or $HOME/.local/state)/backscatter-filter/sent.db.
 * 0 with *path malloc'ed, or -1 (no HOME at all, or refused). */
int rules_store_path(const struct rules *rules, const struct context *context,
                     char **path, struct failure *failure);

/* A path as written in the rule file ("/..." or "~/..."), "~/" expanded
 * from HOME. 0 with *path malloc'ed, or -1. */
int rules_expand_path(const char *written, const struct context *context,
                      char **path, struct failure *failure);

/* Header lookup used by site rules: return the value of the first field
 * `name` (unfolded or not; matching trims it) or NULL. */
typedef const char *(*header_lookup_fn)(void *cookie, const char *name);

/* The first site rule, in file order, whose header field is present and
 * matches: 1 with *matched set, or 0 (none; *matched NULL). A regex rule is
 * compiled here the first time a message could match it (a rule whose field
 * is absent or lacks the rule's literal, or that comes after the rule that
 * matched, is never compiled). -1 when a rule that has to be tried has a bad regular
 * expression: *matched is that rule and *failure (FAILURE_CONFIG) says
 * "FILE:LINE: [rule NAME] regex: bad regular expression: ..."; the rules
 * after it are not tried. The caller treats that as trouble, as a bad rule
 * file is treated: nothing is filed or dropped, the message is delivered
 * (or tempfailed with on_error = tempfail) with one log line. */
int rules_match_site(const struct rules *rules, header_lookup_fn lookup,
                     void *cookie, const struct site_rule **matched,
                     struct failure *failure);

/* Compile site rule `index`'s regex now, if it is a regex rule not compiled
 * yet (configtest checks every one this way). 0, or -1 with *failure as
 * above (every later call says the same without compiling again). */
int rules_compile_site_rule(const struct rules *rules, size_t index,
                            struct failure *failure);

/* Is `address` (any case, with or without <>) one of ours: listed in
 * addresses, or its domain (or a parent domain) listed in domains? */
int rules_is_our_address(const struct rules *rules, const char *address);

/* Is `host` (name or IP literal, any case) one of the listed relays? */
int rules_is_our_relay(const struct rules *rules, const char *host);

/* The action for a verdict of a given kind: the kind key if set (only for
 * backscatter and unknown verdicts), else the verdict's action. */
enum action rules_action_for(const struct rules *rules, enum verdict verdict,
                             enum notice_kind kind);

/* Free everything rules_load allocated and reset to defaults. */
void rules_free(struct rules *rules);

#endif
