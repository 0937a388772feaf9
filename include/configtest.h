/* SPDX-License-Identifier: GPL-3.0-or-later */
/* configtest.h: `backscatter-filter configtest`: what a run would use (rule
 * file, store, identity, actions, exit codes, log, signatures, site rules),
 * printed for the admin as "key: value" lines, after the checks a run makes
 * only when a message needs them (configtest_compile). The caller has
 * loaded everything (and reports errors); nothing is opened or created
 * here but a stat() of the store and the system rule file. */
#ifndef BSF_CONFIGTEST_H
#define BSF_CONFIGTEST_H

#include <stdio.h>
#include "rules.h"
#include "signatures.h"

struct configtest_view {
  const struct rules *rules;          /* loaded (rules->source: the file, or NULL) */
  const char *system_config;          /* SYSCONFDIR/backscatter-filter/rules.ini */
  const char *store_path;             /* resolved: --store, rule file or default */
  const char *log_file;               /* [log] file expanded, or NULL */
  const char *signatures_file;        /* [classify] signatures expanded, or NULL */
  const struct signature_set *signatures;
  int redis_built;                    /* this build has the Redis backend */
};

/* Compile every site rule's regex now: check compiles one only when a
 * message first needs it (rules.h), so this is where an admin learns of a
 * bad one before mail does. Each bad one is handed to `bad` in file order
 * ("FILE:LINE: [rule NAME] regex: bad regular expression: ..."); returns
 * how many there were. */
size_t configtest_compile(const struct rules *rules,
                          void (*bad)(void *cookie, const struct failure *failure),
                          void *cookie);

/* Print the view on `out`. Returns 0, or -1 when writing failed. */
int configtest_print(FILE *out, const struct configtest_view *view);

#endif
