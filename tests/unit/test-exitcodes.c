/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-exitcodes.c: the exit-status table, by command and outcome, with the
 * built-in rule file, a rule file that asks for tempfail on trouble and
 * moves the codes (qmail-style 111, deliver 10), and no rule file yet. */
#include <sysexits.h>
#include "exitcodes.h"
#include "kinds.h"
#include "rules.h"
#include "../tap.h"

enum rule_file { BUILT_IN, MOVED, NONE };

static const struct {
  enum rule_file rules;
  enum exit_command command;
  enum exit_outcome outcome;
  int want;
  const char *what;
} cases[] = {
  { BUILT_IN, EXIT_FOR_CHECK, OUTCOME_DONE, EX_OK, "check done" },
  { BUILT_IN, EXIT_FOR_CHECK, OUTCOME_TROUBLE, 0, "check trouble delivers" },
  { BUILT_IN, EXIT_FOR_CHECK, OUTCOME_USAGE, 0, "check usage error delivers" },
  { BUILT_IN, EXIT_FOR_CHECK, OUTCOME_CONFIG, 0, "check config error delivers" },
  { BUILT_IN, EXIT_FOR_CHECK, OUTCOME_TEMPFAIL, EX_TEMPFAIL, "check tempfail" },
  { BUILT_IN, EXIT_FOR_RECORD, OUTCOME_DONE, EX_OK, "record done" },
  { BUILT_IN, EXIT_FOR_RECORD, OUTCOME_USAGE, EX_USAGE, "record usage" },
  { BUILT_IN, EXIT_FOR_RECORD, OUTCOME_CONFIG, EX_TEMPFAIL, "record config: retry" },
  { BUILT_IN, EXIT_FOR_RECORD, OUTCOME_TROUBLE, EX_TEMPFAIL, "record trouble: retry" },
  { BUILT_IN, EXIT_FOR_MAINTENANCE, OUTCOME_USAGE, EX_USAGE, "store usage" },
  { BUILT_IN, EXIT_FOR_MAINTENANCE, OUTCOME_CONFIG, EX_CONFIG, "store config" },
  { BUILT_IN, EXIT_FOR_MAINTENANCE, OUTCOME_TROUBLE, 1, "store trouble" },
  { MOVED, EXIT_FOR_CHECK, OUTCOME_TROUBLE, 111, "on_error = tempfail: configured code" },
  { MOVED, EXIT_FOR_CHECK, OUTCOME_TEMPFAIL, 111, "check: configured tempfail" },
  { MOVED, EXIT_FOR_RECORD, OUTCOME_TROUBLE, 111, "record: configured tempfail" },
  { MOVED, EXIT_FOR_RECORD, OUTCOME_USAGE, EX_USAGE, "record usage unmoved" },
  { MOVED, EXIT_FOR_MAINTENANCE, OUTCOME_TROUBLE, 1, "store trouble unmoved" },
  { NONE, EXIT_FOR_CHECK, OUTCOME_TROUBLE, EX_OK, "no rules: trouble delivers" },
  { NONE, EXIT_FOR_RECORD, OUTCOME_TEMPFAIL, EX_TEMPFAIL, "no rules: EX_TEMPFAIL" },
  { NONE, EXIT_FOR_COUNT, OUTCOME_DONE, EX_TEMPFAIL, "unknown command: retry" },
};

int
main(void)
{
  struct rules built_in, moved;
  rules_init_defaults(&built_in);
  rules_init_defaults(&moved);
  moved.on_error_tempfail = 1;
  moved.tempfail_code = 111;
  moved.exit_code[ACTION_DELIVER] = 10;

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct rules *rules = cases[i].rules == BUILT_IN ? &built_in
                                : cases[i].rules == MOVED ? &moved : NULL;
    int got = exit_status(cases[i].command, cases[i].outcome, rules);
    TAP_OK(got == cases[i].want, "%s: %d", cases[i].what, got);
  }
  TAP_OK(exit_for_action(&built_in, ACTION_DROP) == 1, "drop exits 1");
  TAP_OK(exit_for_action(&built_in, ACTION_FILE) == 2, "file exits 2");
  TAP_OK(exit_for_action(&moved, ACTION_DELIVER) == 10, "moved deliver code");
  moved.on_error_tempfail = 0;
  TAP_OK(exit_status(EXIT_FOR_CHECK, OUTCOME_TROUBLE, &moved) == 10,
         "on_error = deliver: the configured deliver code");
  rules_free(&built_in);
  rules_free(&moved);
  return tap_done();
}
