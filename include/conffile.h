/* SPDX-License-Identifier: GPL-3.0-or-later */
/* conffile.h: reading a configuration file (the rule file, a signatures
 * file) the one safe way: opened once, checked on that descriptor, read
 * whole from it, so what is parsed is what was checked.
 *
 * Who may write a configuration file decides where our mail goes, so, like
 * OpenSSH (StrictModes) and procmail, a file is refused unless:
 *   - it is a regular file, at most CAP_RULE_FILE_BYTES long;
 *   - it is owned by us (the effective uid) or by root, and writable by
 *     no one else (no group or other write bit);
 *   - every directory from the one holding it (after symbolic links are
 *     resolved) up to / is owned by us or by root, and is either writable
 *     by no one else or sticky (as /tmp: there only the owner of an entry
 *     may rename or remove it, so no one can swap the file or a directory
 *     on its path for their own).
 * Limits: the directories are checked by path after the file is open (the
 * descriptor is then compared with what the resolved path names, so a swap
 * in between is caught, not prevented). No locking: a file its owner
 * rewrites in place while we read it is read as it was then.
 */
#ifndef BSF_CONFFILE_H
#define BSF_CONFFILE_H

#include <stddef.h>
#include "failure.h"

/* Read `path` into a new NUL-terminated buffer (*text, to free; *length
 * without the NUL). `what` names the file in messages ("rule file").
 * Returns 0, or -1 with FAILURE_CONFIG "PATH: why" (FAILURE_MEMORY when
 * out of memory); nothing to free then. */
int conffile_read(const char *path, const char *what, char **text,
                  size_t *length, struct failure *failure);

#endif
