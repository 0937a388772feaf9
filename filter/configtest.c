/* SPDX-License-Identifier: GPL-3.0-or-later */
/* configtest.c: checking what check leaves for later (site rules' regexes)
 * and printing what a run would use, for `configtest` (see configtest.h). A Redis URL is printed without its password, and a
 * password only as "(set)". */
#include <config.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include "configtest.h"
#include "kinds.h"
#include "store.h"

size_t
configtest_compile(const struct rules *rules,
                   void (*bad)(void *cookie, const struct failure *failure),
                   void *cookie)
{
  size_t count = 0;
  for (size_t i = 0; i < rules->site_rule_count; i++) {
    struct failure failure = { 0 };
    if (rules_compile_site_rule(rules, i, &failure) < 0) {
      count++;
      bad(cookie, &failure);
    }
  }
  return count;
}

static const char *
facility_text(int facility)
{
  static const struct { int facility; const char *name; } names[] = {
    { LOG_MAIL, "mail" }, { LOG_USER, "user" },
    { LOG_LOCAL0, "local0" }, { LOG_LOCAL1, "local1" },
    { LOG_LOCAL2, "local2" }, { LOG_LOCAL3, "local3" },
    { LOG_LOCAL4, "local4" }, { LOG_LOCAL5, "local5" },
    { LOG_LOCAL6, "local6" }, { LOG_LOCAL7, "local7" },
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (names[i].facility == facility)
      return names[i].name;
  return "?";
}

/* A duration as the rule file writes it: 30d, 12h, 90m or seconds. */
static void
print_duration(FILE *out, long long seconds)
{
  if (seconds > 0 && seconds % 86400 == 0)
    fprintf(out, "%lldd", seconds / 86400);
  else if (seconds > 0 && seconds % 3600 == 0)
    fprintf(out, "%lldh", seconds / 3600);
  else if (seconds > 0 && seconds % 60 == 0)
    fprintf(out, "%lldm", seconds / 60);
  else
    fprintf(out, "%llds", seconds);
}

static void
print_list(FILE *out, const char *key, const struct string_list *list)
{
  fprintf(out, "%s:", key);
  if (list->count == 0)
    fputs(" (none)", out);
  for (size_t i = 0; i < list->count; i++)
    fprintf(out, " %s", list->items[i]);
  fputc('\n', out);
}

static int
exists(const char *path)
{
  struct stat st;
  return path && stat(path, &st) == 0;
}

static void
print_store(FILE *out, const struct configtest_view *view)
{
  const char *path = view->store_path;
  if (!path) {
    fputs("store: (none)\n", out);
    return;
  }
  if (store_path_is_redis(path)) {
    struct redis_address address;
    struct failure failure;
    if (store_parse_redis_url(path, &address, &failure) < 0)
      fprintf(out, "store: (a Redis URL that does not parse: %s)\n", failure.message);
    else
      fprintf(out, "store: %s (redis%s)\n", address.display,
              view->redis_built ? "" : "; NOT built into this program");
    /* The password itself is never printed, only whether one is set. */
    const struct rules *rules = view->rules;
    fprintf(out, "redis: namespace=%s timeout=%ldms password=%s\n",
            rules->store_namespace ? rules->store_namespace : STORE_DEFAULT_NAMESPACE,
            rules->store_timeout_ms ? rules->store_timeout_ms
                                    : (long) STORE_DEFAULT_TIMEOUT_MS,
            rules->store_password || address.password[0] ? "(set)" : "(none)");
    return;
  }
  fprintf(out, "store: %s (gdbm%s)\n", path,
          exists(path) ? "" : "; not created yet");
}

int
configtest_print(FILE *out, const struct configtest_view *view)
{
  const struct rules *rules = view->rules;

  fprintf(out, "rule file: %s\n",
          rules->source ? rules->source : "(none: built-in defaults)");
  fprintf(out, "system rule file: %s (%s)\n", view->system_config,
          exists(view->system_config) ? "present" : "absent");
  print_store(out, view);
  fputs("ttl: ", out);
  print_duration(out, (long long) rules->ttl);
  fprintf(out, "\nlock_wait: %ldms\n", rules->lock_wait_ms);

  print_list(out, "identity addresses", &rules->addresses);
  print_list(out, "identity domains", &rules->domains);
  print_list(out, "identity relays", &rules->relays);

  fputs("actions:", out);
  for (int v = 0; v < VERDICT_COUNT; v++)
    fprintf(out, " %s=%s", verdict_name((enum verdict) v),
            action_name(rules->verdict_action[v]));
  fputs("\nactions by kind (backscatter and unknown only):", out);
  int any_kind = 0;
  for (int k = 0; k < KIND_COUNT; k++)
    if (rules->kind_action_set[k]) {
      fprintf(out, " %s=%s", kind_name((enum notice_kind) k),
              action_name(rules->kind_action[k]));
      any_kind = 1;
    }
  if (!any_kind)
    fputs(" (none)", out);
  fprintf(out, "\nexit codes: deliver=%d file=%d drop=%d tempfail=%d on_error=%s\n",
          rules->exit_code[ACTION_DELIVER], rules->exit_code[ACTION_FILE],
          rules->exit_code[ACTION_DROP], rules->tempfail_code,
          rules->on_error_tempfail ? "tempfail" : "deliver");

  fprintf(out, "log: syslog=%s facility=%s ident=%s file=%s\n",
          rules->log_syslog ? "yes" : "no", facility_text(rules->log_facility),
          rules->log_ident ? rules->log_ident : "backscatter-filter",
          view->log_file ? view->log_file : "(none)");
  if (view->signatures_file)
    fprintf(out, "signatures: %s (%zu, tried before the built-in ones)\n",
            view->signatures_file, view->signatures ? view->signatures->count : 0);
  else
    fputs("signatures: built-in only\n", out);

  fprintf(out, "site rules: %zu\n", rules->site_rule_count);
  for (size_t i = 0; i < rules->site_rule_count; i++) {
    const struct site_rule *rule = &rules->site_rules[i];
    fprintf(out, "rule %s: %s %s \"%s\" ->", rule->name, rule->header,
            rule->match == MATCH_REGEX ? "regex" : "glob", rule->pattern);
    if (rule->has_verdict)
      fprintf(out, " verdict=%s", verdict_name(rule->verdict));
    if (rule->has_action)
      fprintf(out, " action=%s", action_name(rule->action));
    fputc('\n', out);
  }
  fputs("configuration OK\n", out);
  return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
