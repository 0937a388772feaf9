/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-rules.c: libFuzzer target for the rule-file loader: any bytes go
 * through rules_load_buffer (the one parse, values into an iniparser
 * dictionary, then value validation: the same code rules_load runs on a
 * file's bytes after its checks); a file that loads is then used: site
 * rules matched against a fixed header, identity and relay lookups,
 * actions, the store path.
 * Limits: inputs over CAP_RULE_FILE_BYTES are refused by the loader; the
 * file checks (conffile.c) are not fuzzed, they read no file content.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "context.h"
#include "rules.h"

static const char *
lookup_header(void *cookie, const char *name)
{
  (void) cookie;
  if (strcasecmp(name, "List-Id") == 0)
    return "<announce.lists.example.org>";
  if (strcasecmp(name, "From") == 0)
    return "Someone <someone@example.net>";
  return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct rules rules;
  struct failure failure = { 0 };
  struct context context = { .now = 1795000000, .home = "/nonexistent",
                             .system_config = "/nonexistent/rules.ini" };

  rules_init_defaults(&rules);
  if (rules_load_buffer(&rules, "fuzz.ini", (const char *) data, size,
                        &failure) == 0) {
    char *path = NULL;
    (void) rules_store_path(&rules, &context, &path, &failure);
    free(path);
    const struct site_rule *matched;
    (void) rules_match_site(&rules, lookup_header, NULL, &matched, &failure);
    for (size_t i = 0; i < rules.site_rule_count; i++)
      (void) rules_compile_site_rule(&rules, i, &failure);
    (void) rules_is_our_address(&rules, "user@example.org");
    (void) rules_is_our_address(&rules, "<x@sub.example.org>");
    (void) rules_is_our_relay(&rules, "smtp.example.org");
    (void) rules_is_our_relay(&rules, "[192.0.2.1]");
    for (int verdict = 0; verdict < VERDICT_COUNT; verdict++)
      for (int kind = 0; kind < KIND_COUNT; kind++)
        (void) rules_action_for(&rules, (enum verdict) verdict,
                                (enum notice_kind) kind);
  }
  rules_free(&rules);
  return 0;
}
