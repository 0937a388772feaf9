/* SPDX-License-Identifier: GPL-3.0-or-later */
/* record.h: remembering outgoing mail: the Message-ID and the recipients of
 * one message (`record`), or of every message of a mailbox (`import`).
 */
#ifndef BSF_RECORD_H
#define BSF_RECORD_H

#include <stddef.h>
#include <time.h>
#include "failure.h"
#include "store.h"

struct record_counts {
  size_t messages;
  size_t msgids;
  size_t recipients;
  size_t skipped;        /* messages with nothing to record */
  size_t unreadable;     /* of those skipped, messages that could not be read */
};

/* Record the Message-ID and the To, Cc, Bcc, Resent-To/Cc/Bcc addresses
 * of a header block, plus `envelope_count` envelope recipients given by
 * the caller. At most CAP_RECORD_RECIPIENTS addresses. */
int record_header(struct sent_store *store, const char *header, size_t length,
                  const char *const *envelope, size_t envelope_count,
                  time_t now, struct record_counts *counts,
                  struct failure *failure);

/* Progress callback for import: done so far, total (0 if unknown). */
typedef void (*record_progress_fn)(void *cookie, size_t done, size_t total);

/* Record every message of a mailbox (path of an mbox, maildir or MH
 * folder, or a Mailutils mailbox URL). A message that cannot be read is
 * counted (messages, skipped, unreadable) and the import goes on; -1 means
 * the mailbox could not be read at all or the store failed. mbox files,
 * maildirs and MH folders are read one message at a time, in memory that
 * does not grow with the mailbox; a maildir's messages are the regular
 * files of cur/ and new/, an MH folder's the regular files named by a
 * number; symbolic links are not followed. */
int record_mailbox(struct sent_store *store, const char *mailbox, time_t now,
                   record_progress_fn progress, void *cookie,
                   struct record_counts *counts, struct failure *failure);

/* Register the local mailbox formats (mbox, dotmail, MH, maildir) with
 * Mailutils, loading their libraries on first use: the program is not
 * linked with them, so that `check` does not pay for them at start-up
 * (0.67 M instructions measured). Idempotent. 0 or -1. */
int record_register_mailbox_formats(struct failure *failure);

#endif
