/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sendmail.h: record --sendmail: hand the spooled message, exactly as
 * read, to the real sendmail on its stdin, with its arguments; no shell.
 *
 * Limits: the child gets nothing of ours but the message on stdin (every
 * descriptor above stderr is closed before exec: the log, the spool's
 * temporary file, the store). Waits for the child without a timeout (the
 * MTA has its own).
 */
#ifndef BSF_SENDMAIL_H
#define BSF_SENDMAIL_H

#include "failure.h"
#include "input.h"

/* Run argv[0] (an absolute path) with argv and the message on its stdin.
 * Returns the child's exit status; `tempfail` when it could not be
 * started (then *failure says why), did not exit normally, or exited 0
 * without reading the whole message. The child itself exits `tempfail`
 * when exec fails. */
int sendmail_run(char *const argv[], struct input *input, int tempfail,
                 struct failure *failure);

#endif
