/* SPDX-License-Identifier: GPL-3.0-or-later */
/* record.h: remembering outgoing mail: the Message-ID and the recipients of
 * one message (`record`), or of every message of a mailbox (`import`).
 */
#ifndef BSF_RECORD_H
#define BSF_RECORD_H

#include <stddef.h>
#include <time.h>
#include "caps.h"
#include "failure.h"
#include "store.h"

struct muplugin;

struct record_counts {
  size_t messages;
  size_t msgids;
  size_t recipients;
  size_t skipped;        /* messages with nothing to record */
  size_t unreadable;     /* of those skipped, messages that could not be read */
  size_t known;          /* import: Message-ID already in the store, passed over */
};

/* What one sent message tells us to remember: its first valid Message-ID
 * and up to CAP_RECORD_RECIPIENTS addresses (envelope recipients first),
 * normalised (mailid.h), and its Date. */
struct sent_message {
  char msgid[CAP_ID_BYTES + 1];               /* "" when none */
  char (*recipients)[CAP_ADDRESS_BYTES + 1];  /* CAP_RECORD_RECIPIENTS */
  size_t recipient_count;
  char date_field[CAP_DATE_BYTES + 1];        /* the Date field as written, ""
                                               * if none or longer */
};

/* Allocate (about 257 KB) / free and clear. NULL when out of memory. */
struct sent_message *sent_message_create(void);
void sent_message_free(struct sent_message **message);

/* Collect the Message-ID, Date (as written) and the To, Cc, Bcc, Resent-To/Cc/Bcc
 * addresses of a header block (its first CAP_HEADER_BLOCK_BYTES), plus
 * `envelope_count` envelope recipients given by the caller. */
void record_collect(const char *header, size_t length,
                    const char *const *envelope, size_t envelope_count,
                    struct sent_message *message);

/* Write a collected message into the store, every entry stamped `when`.
 * 0, or -1 (some entries may be written: recording again is harmless). */
int record_store_message(struct sent_store *store,
                         const struct sent_message *message, time_t when,
                         struct failure *failure);

/* Append a collected message to the store's journal (journal.h), in one
 * write. 0 or -1. */
int record_journal_message(const char *journal, const struct sent_message *message,
                           time_t when, long lock_wait_ms, struct failure *failure);

/* record_collect() and record_store_message() in one, stamped `now`. */
int record_header(struct sent_store *store, const char *header, size_t length,
                  const char *const *envelope, size_t envelope_count,
                  time_t now, struct record_counts *counts,
                  struct failure *failure);

/* Progress callback for import: done so far, total (0 if unknown). */
typedef void (*record_progress_fn)(void *cookie, size_t done, size_t total);

/* One import: a store opened for writing and let go of between batches, so
 * that a record or check never waits for it longer than their lock_wait.
 * The caller fills the first block, then calls import_session_open(),
 * record_mailbox() for each mailbox, and import_session_close(). */
struct import_session {
  const char *store_path;    /* the store; NULL: use `store` as given and
                              * hold its lock throughout (tests) */
  struct sent_store *store;  /* with store_path NULL: an open writer */
  const struct store_options *store_options;  /* for opening; NULL: defaults */
  char *journal;             /* the journal to merge (malloc'ed, freed by
                              * close); NULL: PATH.journal for a GDBM store */
  long lock_wait_ms;         /* bound for taking the lock again */
  long hold_ms;              /* let go of the lock after holding it this long */
  time_t now;
  time_t ttl;                /* stamps are never older than now - ttl */

  time_t oldest;             /* oldest stamp written, 0 when none */
  size_t added;              /* messages written (not known before) */
  size_t merged;             /* journal entries merged into the store */
  size_t batches;            /* times the lock was let go */
  time_t since_before;       /* "!since" when the import began, 0 if none */
  struct sent_message *message;
  struct timespec held_since;
  const struct muplugin *plugin;  /* mailboxes.so, loaded by record_mailbox */
};

/* Open the store (unless given), merge its journal. 0 or -1. */
int import_session_open(struct import_session *session, struct failure *failure);

/* Move recording-since back to the oldest stamp written (not with
 * keep_since), note the time of the import as the last record, close the
 * store (also one given) and free. *since gets recording-since as left. */
int import_session_close(struct import_session *session, int keep_since,
                         time_t *since, struct failure *failure);

/* Record every message of a mailbox (path of an mbox, maildir or MH
 * folder, a Mailutils mailbox URL, or an imap:// or imaps:// folder, read
 * through Mailutils' IMAP client loaded at run time; its password comes
 * from Mailutils' ticket file ~/.mu-tickets). Each message is stamped with its
 * Date, else its mbox From_ line date, envelope date or file mtime,
 * clamped to [now - ttl, now]; a message whose Message-ID is already
 * stored is passed over (counts->known) without writing. A message that
 * cannot be read is counted (messages, skipped, unreadable) and the import
 * goes on; -1 means the mailbox could not be read at all or the store
 * failed. mbox files, maildirs and MH folders are read one message at a
 * time, in memory that does not grow with the mailbox; a maildir's
 * messages are the regular files of cur/ and new/, an MH folder's the
 * regular files named by a number; symbolic links are not followed.
 * A Date field is read by our own parser (datetime.h), by Mailutils' where
 * ours does not read it. Mailbox names, From_ line dates and such Date
 * fields take our Mailutils plugin mailboxes.so (muplugin.h), loaded on
 * the first call: when it cannot be, -1 with FAILURE_PLUGIN. */
int record_mailbox(struct import_session *session, const char *mailbox,
                   record_progress_fn progress, void *cookie,
                   struct record_counts *counts, struct failure *failure);

#endif
