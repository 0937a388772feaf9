/* SPDX-License-Identifier: GPL-3.0-or-later */
/* journal.h: the store's journal, PATH.journal beside the sent store, where
 * `record` puts what it could not write into the store (store locked past
 * lock_wait, missing directory rights, a broken or unreachable store), so
 * that no sent message is ever forgotten.
 *
 * Layered above the store interface (store.h): it works whatever the
 * backend, since replaying goes through sent_store_add_*().
 *
 * Format: one entry a line, "TIME TYPE NAME\n", TIME decimal seconds since
 * the epoch, TYPE 'm' (Message-ID) or 'r' (recipient, lower case), NAME
 * the normalised name (never white space or control characters). The file
 * is 0600, owned by us; it is refused otherwise, like the store.
 *
 * Concurrency and crash safety:
 *  - Appenders write all the lines of one message in one write() with
 *    O_APPEND, holding a flock() on the journal for that write, and check
 *    after locking that the file they opened is still PATH.journal.
 *  - The replayer (a writer holding the store's exclusive lock) renames
 *    PATH.journal to PATH.journal.merging under the journal's flock, adds
 *    every entry to the store, syncs the store, and only then removes the
 *    .merging file. A crash in between leaves .merging, which the next
 *    replay merges again: lines are never lost; duplicates are harmless
 *    (the store keeps the newest time).
 *  - One replay at a time, under a flock on PATH.journal.replay (a Redis
 *    store has no lock of its own): a writer that finds it taken leaves
 *    the journal to the replay in progress.
 *  - Readers (check, stats, dump) read both files.
 * Limits: the journal is capped at CAP_JOURNAL_BYTES; an append that would
 * pass the cap fails (record then exits tempfail, and the MTA retries).
 */
#ifndef BSF_JOURNAL_H
#define BSF_JOURNAL_H

#include <stddef.h>
#include <time.h>
#include "failure.h"
#include "store.h"

enum journal_type { JOURNAL_MSGID = 'm', JOURNAL_RECIPIENT = 'r' };

struct journal_entry {
  enum journal_type type;
  time_t when;
  const char *name;        /* normalised; recipients are lower-cased here */
};

/* PATH.journal for a store path (malloc'ed), or NULL when out of memory. */
char *journal_path(const char *store_path);

/* Append entries (all of one message) as whole lines in one write. Creates
 * the file 0600. Waits for the journal's flock at most lock_wait_ms. 0, or
 * -1 with *failure set (FAILURE_LIMIT when the cap would be passed). */
int journal_append(const char *path, const struct journal_entry *entries,
                   size_t count, long lock_wait_ms, struct failure *failure);

/* Merge the journal into an open writable store and empty it (see above).
 * *merged (if not NULL) gets the number of entries added; malformed lines
 * are skipped. 0, or -1 with the journal left in place. */
int journal_replay(const char *path, struct sent_store *store, size_t *merged,
                   struct failure *failure);

/* The journal's entries, read for lookups (check) and for stats and dump. */
struct journal_view;

/* Read PATH.journal and PATH.journal.merging. A missing journal gives an
 * empty view. 0, or -1 with *failure set and *view NULL. */
int journal_read(const char *path, struct journal_view **view,
                 struct failure *failure);
void journal_view_free(struct journal_view **view);

/* Number of entries in the view (0 for NULL). */
size_t journal_view_count(const struct journal_view *view);

/* 1 and *when (newest time) if the name is in the view, else 0. */
int journal_view_find(const struct journal_view *view, enum journal_type type,
                      const char *name, time_t *when);

/* The i-th entry (i < count), in file order. */
const struct journal_entry *journal_view_entry(const struct journal_view *view,
                                               size_t i);

#endif
