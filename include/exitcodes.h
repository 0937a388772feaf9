/* SPDX-License-Identifier: GPL-3.0-or-later */
/* exitcodes.h: the one table of exit statuses, by command and outcome,
 * with <sysexits.h> names. main.c asks it for every status it returns.
 *
 * check never fails: trouble ends in the deliver code, or in the
 * configured tempfail code when the rule file says on_error = tempfail
 * (rules.h [exit]); its decisions exit with the rule file's codes for the
 * action (rules->exit_code). record's trouble is a temporary failure (the
 * MTA keeps the message and retries). The maintenance commands (import,
 * expire, stats, dump) answer a person: 1 on failure, EX_USAGE and
 * EX_CONFIG for a bad command line or rule file.
 *
 * Limits: before the rule file is read (rules NULL) the tempfail and
 * deliver codes are the defaults, EX_TEMPFAIL and EX_OK.
 */
#ifndef BSF_EXITCODES_H
#define BSF_EXITCODES_H

#include <sysexits.h>

struct rules;

enum exit_command {
  EXIT_FOR_CHECK,
  EXIT_FOR_RECORD,
  EXIT_FOR_MAINTENANCE,         /* import, expire, stats, dump */
  EXIT_FOR_COUNT
};

enum exit_outcome {
  OUTCOME_DONE,                 /* did what was asked (check: see exit_for_action) */
  OUTCOME_USAGE,                /* bad command line */
  OUTCOME_CONFIG,               /* bad rule file or other configuration */
  OUTCOME_TROUBLE,              /* anything else went wrong */
  OUTCOME_TEMPFAIL,             /* the message did not get where it must: retry */
  OUTCOME_COUNT
};

/* The status for `outcome` of `command`; `rules` (may be NULL) supplies
 * the configured deliver and tempfail codes and on_error. */
int exit_status(enum exit_command command, enum exit_outcome outcome,
                const struct rules *rules);

/* check's status for a decision's action (ACTION_*), from the rule file. */
int exit_for_action(const struct rules *rules, int action);

#endif
