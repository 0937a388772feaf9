/* SPDX-License-Identifier: GPL-3.0-or-later */
/* failure.h: how modules report an error to their caller.
 *
 * Modules never log and never exit: they fill a struct failure and return a
 * negative value. Only main.c logs it, once. The class tells main what the
 * trouble means for the delivery (see the exit-code table in README).
 */
#ifndef BSF_FAILURE_H
#define BSF_FAILURE_H

enum failure_class {
  FAILURE_NONE = 0,
  FAILURE_INPUT,      /* unreadable or malformed message */
  FAILURE_STORE,      /* store corrupt, unreadable or unwritable */
  FAILURE_MISSING,    /* store not created yet (read-only open): not trouble */
  FAILURE_LOCKED,     /* store locked past the bounded wait */
  FAILURE_CONFIG,     /* bad rule file or option */
  FAILURE_MEMORY,     /* out of memory */
  FAILURE_LIMIT,      /* a cap was hit where truncating is not possible */
  FAILURE_IO,         /* output or temp file trouble */
  FAILURE_PLUGIN,     /* our Mailutils plugin could not be loaded (muplugin.h) */
};

struct failure {
  enum failure_class class;
  char message[512];
};

/* Fill *failure (if not NULL) and return -1, so callers can write
 * `return failure_set(f, FAILURE_STORE, "open %s: %s", path, why);`. */
int failure_set(struct failure *failure, enum failure_class class,
                const char *format, ...)
  __attribute__((format(printf, 3, 4)));

/* Short lower-case name of a class ("store", "config", ...). */
const char *failure_class_name(enum failure_class class);

#endif
