/* SPDX-License-Identifier: GPL-3.0-or-later */
/* store.h: the sent store, a GDBM file of what the user really sent.
 *
 * Keys (raw bytes, no NUL):
 *   "m:" normalised Message-ID     -> time recorded
 *   "r:" lower-case address        -> time last sent to
 *   "!since"                        -> time recording started (first record)
 * Values are decimal seconds since the epoch, ASCII, no NUL.
 *
 * Concurrency: GDBM never waits for its lock, so the store takes its own
 * flock() on a separate lock file PATH.lock (shared for readers, exclusive
 * for writers and expire), waiting at most lock_wait_ms with jittered retries,
 * and opens the GDBM file with GDBM_NOLOCK. The separate lock file survives
 * expire, which renames a new file over the old one.
 * Files are created 0600 in a directory created 0700.
 */
#ifndef BSF_STORE_H
#define BSF_STORE_H

#include <stdio.h>
#include <time.h>
#include "failure.h"

struct sent_store;

enum store_mode {
  STORE_READ,    /* lookups only; a missing store is an error (FAILURE_STORE) */
  STORE_WRITE,   /* record/expire; creates the file and its directory */
};

/* Open the store at `path`. Errors: FAILURE_STORE (missing, unreadable,
 * not a GDBM file, directory not writable), FAILURE_LOCKED (lock not
 * obtained within lock_wait_ms). */
int sent_store_open(struct sent_store **store, const char *path,
                    enum store_mode mode, long lock_wait_ms,
                    struct failure *failure);

/* Close, release the lock, free, set *store to NULL. Safe on NULL. */
void sent_store_close(struct sent_store **store);

/* Lookups: 1 found (and *when set if not NULL), 0 not found, -1 error. */
int sent_store_find_msgid(struct sent_store *store, const char *msgid,
                          time_t *when, struct failure *failure);
int sent_store_find_recipient(struct sent_store *store, const char *address,
                              time_t *when, struct failure *failure);

/* Record (replace the time). Also sets "!since" if absent. 0 or -1. */
int sent_store_add_msgid(struct sent_store *store, const char *msgid,
                         time_t when, struct failure *failure);
int sent_store_add_recipient(struct sent_store *store, const char *address,
                             time_t when, struct failure *failure);

/* When recording began: 1 and *since set, 0 if never, -1 error. */
int sent_store_since(struct sent_store *store, time_t *since,
                     struct failure *failure);

/* Remove entries recorded before `cutoff` (and entries whose time is not
 * valid; never "!since"), leaving a compact file: the kept entries are
 * copied to a new file (PATH.XXXXXX, needing room for them) renamed over
 * the store, so memory stays flat whatever its size. Nothing is rewritten
 * when nothing expires; on failure the store is left as it was. Needs
 * STORE_WRITE. *removed gets the count. */
int sent_store_expire(struct sent_store *store, time_t cutoff, size_t *removed,
                      struct failure *failure);

struct store_stats {
  size_t msgids;
  size_t recipients;
  time_t oldest;        /* 0 when empty */
  time_t newest;        /* 0 when empty */
  time_t since;         /* 0 when never recorded */
  long long file_bytes;
};
int sent_store_stats(struct sent_store *store, struct store_stats *stats,
                     struct failure *failure);

/* One entry a line: "TIME TYPE KEY" with TYPE msgid|recipient|since and
 * TIME in UTC ISO 8601 (2026-11-23T11:27:09Z). */
int sent_store_dump(struct sent_store *store, FILE *out,
                    struct failure *failure);

#endif
