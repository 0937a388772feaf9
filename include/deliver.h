/* SPDX-License-Identifier: GPL-3.0-or-later */
/* deliver.h: delivering a message ourselves (check --deliver), for users
 * whose .forward pipes to backscatter-filter without procmail.
 *
 * The message is written as received (the bytes read from stdin, whatever
 * a parser thinks of them), with only what the mailbox format needs: a
 * leading mbox "From " line the MTA passed is dropped, CRLF line ends (when
 * the first line has one) become LF, and into an mbox each message gets its
 * own "From SENDER DATE" line and mboxrd quoting. Mailutils is not used.
 *
 * Mailboxes, local only:
 *   PATH/ or maildir:PATH   a maildir (created, 0700, when missing): written
 *                           to tmp/, fsync'ed, linked into new/, new/ fsync'ed;
 *   mh:PATH                 an MH folder (created when missing); an existing
 *                           directory without tmp/, new/ or cur/ is one too:
 *                           written to a dot file, fsync'ed, linked to the
 *                           next free number (O_EXCL semantics of link(2),
 *                           retried at most CAP_MH_NUMBER_TRIES times),
 *                           .mh_sequences is not touched (as procmail);
 *   PATH or mbox:PATH       an mbox (created 0600 when missing; must be a
 *                           regular file), appended to as Debian's MDAs do:
 *                           fcntl lock then the NAME.lock dotlock (link(2)
 *                           trick; a lock older than CAP_DOTLOCK_STALE_SECONDS
 *                           or naming a process that no longer exists is
 *                           removed), both held across the whole append, the
 *                           wait bounded by CAP_MAILBOX_LOCK_WAIT_MS; where
 *                           the directory refuses a dotlock (EACCES, as in
 *                           /var/mail without setgid mail) the fcntl lock
 *                           alone is used, as procmail does. O_APPEND, no
 *                           scan of what is there (only its last two bytes are
 *                           read, to start the new message on a line of its
 *                           own), fsync before success; on any failure the file
 *                           is truncated back to its old size, so it is left
 *                           byte-identical.
 * Missing parent directories of a plain path are created 0700. Any failure
 * is returned: the caller exits 75 so the MTA retries and the message is
 * never lost, never half-written.
 */
#ifndef BSF_DELIVER_H
#define BSF_DELIVER_H

#include <stddef.h>
#include "failure.h"
#include "input.h"

/* Deliver the message to `mailbox`, with `sender` as the envelope sender of
 * an mbox "From " line (NULL, "" or "<>" means MAILER-DAEMON; sanitised by
 * deliver_envelope_sender). 0 or -1. */
int deliver_to_mailbox(struct input *input, const char *mailbox,
                       const char *sender, struct failure *failure);

/* The envelope sender as one word safe in an mbox "From " line: one pair of
 * enclosing <> and surrounding blanks removed, every byte outside printable
 * ASCII (controls, CR, LF, blanks, 8-bit) replaced by '_', cut to
 * CAP_ADDRESS_BYTES; empty or null becomes "MAILER-DAEMON". Writes a NUL-
 * terminated word into out (size >= CAP_ADDRESS_BYTES + 1); returns out. */
char *deliver_envelope_sender(const char *sender, char *out, size_t size);

/* mboxrd quoting as a stream: feed the message in pieces of any size; a
 * line matching ^>*From  gets one more '>' in front. `emit` receives the
 * quoted bytes (and returns 0, or -1 to stop: the feed then returns -1).
 * Exposed for the unit tests. */
struct mboxrd_quoter {
  int (*emit)(void *cookie, const char *data, size_t length);
  void *cookie;
  enum { QUOTE_LINE_START, QUOTE_GT_RUN, QUOTE_MATCHING, QUOTE_IN_LINE } state;
  unsigned matched;         /* bytes of "From " matched and held back */
};

void mboxrd_quoter_start(struct mboxrd_quoter *quoter,
                         int (*emit)(void *, const char *, size_t), void *cookie);
int mboxrd_quoter_feed(struct mboxrd_quoter *quoter, const char *data,
                       size_t length);
/* At the end of the message: whatever is held back. 0 or -1. */
int mboxrd_quoter_finish(struct mboxrd_quoter *quoter);

#endif
