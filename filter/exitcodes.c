/* SPDX-License-Identifier: GPL-3.0-or-later */
/* exitcodes.c: the exit-status table (exitcodes.h). Two entries depend on
 * the rule file and are resolved from it: the tempfail code, and check's
 * trouble code (deliver, or tempfail when on_error = tempfail). */
#include <config.h>
#include <stdlib.h>
#include "exitcodes.h"
#include "kinds.h"
#include "rules.h"

enum {
  CONFIGURED_TEMPFAIL = -1,     /* rules->tempfail_code, else EX_TEMPFAIL */
  CONFIGURED_TROUBLE = -2,      /* check's on_error: deliver or tempfail */
};

static const int table[EXIT_FOR_COUNT][OUTCOME_COUNT] = {
  [EXIT_FOR_CHECK] = {
    [OUTCOME_DONE] = EX_OK,
    [OUTCOME_USAGE] = CONFIGURED_TROUBLE,
    [OUTCOME_CONFIG] = CONFIGURED_TROUBLE,
    [OUTCOME_TROUBLE] = CONFIGURED_TROUBLE,
    [OUTCOME_TEMPFAIL] = CONFIGURED_TEMPFAIL,
  },
  [EXIT_FOR_RECORD] = {
    [OUTCOME_DONE] = EX_OK,
    [OUTCOME_USAGE] = EX_USAGE,
    [OUTCOME_CONFIG] = CONFIGURED_TEMPFAIL,
    [OUTCOME_TROUBLE] = CONFIGURED_TEMPFAIL,
    [OUTCOME_TEMPFAIL] = CONFIGURED_TEMPFAIL,
  },
  [EXIT_FOR_MAINTENANCE] = {
    [OUTCOME_DONE] = EX_OK,
    [OUTCOME_USAGE] = EX_USAGE,
    [OUTCOME_CONFIG] = EX_CONFIG,
    [OUTCOME_TROUBLE] = EXIT_FAILURE,
    [OUTCOME_TEMPFAIL] = EX_TEMPFAIL,
  },
};

static int
configured_tempfail(const struct rules *rules)
{
  return rules ? rules->tempfail_code : EX_TEMPFAIL;
}

int
exit_for_action(const struct rules *rules, int action)
{
  if (!rules || action < 0 || action >= ACTION_COUNT)
    return EX_OK;
  return rules->exit_code[action];
}

int
exit_status(enum exit_command command, enum exit_outcome outcome,
            const struct rules *rules)
{
  if ((unsigned) command >= EXIT_FOR_COUNT || (unsigned) outcome >= OUTCOME_COUNT)
    return configured_tempfail(rules);
  switch (table[command][outcome]) {
  case CONFIGURED_TEMPFAIL:
    return configured_tempfail(rules);
  case CONFIGURED_TROUBLE:
    return rules && rules->on_error_tempfail ? configured_tempfail(rules)
                                             : exit_for_action(rules, ACTION_DELIVER);
  default:
    return table[command][outcome];
  }
}
