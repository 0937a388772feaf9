/* SPDX-License-Identifier: GPL-3.0-or-later */
/* deliver.h: delivering a message ourselves (check --deliver), for users
 * whose .forward pipes to backscatter-filter without procmail.
 *
 * The mailbox is anything Mailutils can append to: a path to an mbox (with
 * Mailutils' locking), a maildir (atomic tmp/ -> new/ rename) or an MH
 * folder, or a mailbox URL (mbox:, maildir:, mh:). Any failure is returned:
 * the caller exits 75 so the MTA retries and the message is never lost.
 */
#ifndef BSF_DELIVER_H
#define BSF_DELIVER_H

#include "failure.h"
#include "message.h"

/* Append the message to `mailbox`, with `sender` as the envelope sender of
 * an mbox "From " line (NULL or "" means MAILER-DAEMON). 0 or -1. */
int deliver_to_mailbox(struct input *input, const char *mailbox,
                       const char *sender, struct failure *failure);

#endif
