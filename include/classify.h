/* SPDX-License-Identifier: GPL-3.0-or-later */
/* classify.h: is this message bounce-like, and of which kind?
 *
 * Works only on the bounded notice (notice.h) and the caller's context, so
 * it costs nothing beyond what the walk already kept. Bounce-likeness
 * rests on structure, never on words alone: a report part (multipart/report
 * with report-type delivery-status, disposition-notification,
 * feedback-report, or their RFC 6533 global forms, at any depth); a null
 * sender (Return-Path: <>, an empty SENDER, From MAILER-DAEMON or "<>"); a
 * daemon's From (postmaster, LIST-admin, the "from" signatures); RFC 3834
 * Auto-Submitted: auto-replied and the vendor auto-reply fields; a vendor's
 * notice field (X-Failed-Recipients, X-MS-Exchange-Message-Is-Ndr, Amazon
 * SNS, Apple's unsubscribe request, Mailman's administrivia); an attached
 * original. Only then do the phrasings of signatures.h (subject, and the
 * notice's own text before any copy of the original) raise confidence and
 * decide the kind. Auto-Submitted: auto-generated is ordinary mail; iTIP
 * calendar replies are never notices; a reply or forward ("Re:", "Fwd:")
 * or list post with no program as sender is a person's mail.
 */
#ifndef BSF_CLASSIFY_H
#define BSF_CLASSIFY_H

#include "context.h"
#include "kinds.h"
#include "header.h"
#include "input.h"
#include "mime.h"
#include "notice.h"
#include "signatures.h"

enum classify_signal {
  SIGNAL_REPORT        = 1u << 0,  /* a multipart/report container */
  SIGNAL_NULL_SENDER   = 1u << 1,  /* envelope or Return-Path null, or MAILER-DAEMON */
  SIGNAL_AUTO_REPLY    = 1u << 2,  /* auto-reply by its headers (RFC 3834 & co.) */
  SIGNAL_PHRASE        = 1u << 3,  /* a known bounce/notice phrasing matched */
  SIGNAL_ORIGINAL      = 1u << 4,  /* an attached original message or headers */
  SIGNAL_DAEMON_FROM   = 1u << 5,  /* From a program (postmaster, LIST-admin, ...) */
  SIGNAL_VENDOR_NOTICE = 1u << 6,  /* a vendor's notice field */
  SIGNAL_LIST          = 1u << 7,  /* List-Id or List-Post: relayed by a list */
  SIGNAL_QUOTED_ORIGINAL = 1u << 8, /* an original's header copied into the text
                                      (set only when nothing else is structural) */
};

struct classification {
  enum notice_kind kind;
  unsigned signals;        /* classify_signal bits */
  char signature[80];      /* what recognised it: "delivery-status", "exim", ... */
};

/* Classify a notice with the shipped signatures and the site's (`site`,
 * may be NULL; tried first). Always succeeds. */
void classify_notice(const struct notice *notice, const struct context *context,
                     const struct signature_set *site,
                     struct classification *classification);

/* From the top header alone (notice_parse_header): may this message be
 * bounce-like for any reason but a "strong" phrase in its text? If not,
 * the caller skips the MIME walk (notice_parse_text instead of
 * notice_parse_mime): most mail is ordinary, and the walk is the cost. */
int classify_needs_mime(const struct notice *notice, const struct context *context,
                        const struct signature_set *site);

/* May this notice's original count against us? Only when something
 * but a header block copied into its text made it a notice: a person can
 * paste a bounce into a message, a program as sender cannot be faked by
 * one, nor a MIME structure written by a mail client. */
int classify_original_is_evidence(const struct classification *classification);

/* Does the notice's own In-Reply-To name the original it is about? Only
 * for a notice that answers by its headers (RFC 3834 and the vendor
 * auto-reply fields, or an auto-reply sent with the null sender) and did
 * not come through a list: the In-Reply-To of any other message is a
 * thread, which proves nothing about our mail. */
int classify_in_reply_to_names_original(const struct classification *classification);

/* Is a header block (of an attached or quoted original) itself a notice:
 * a multipart/report, a null Return-Path, X-Failed-Recipients, or a
 * daemon's From with a notice's subject? The true original of a bounce of
 * a bounce is the message inside it. */
int classify_header_is_notice(const char *block, size_t length);

/* Is the envelope sender the null sender? "" "<>" "MAILER-DAEMON" (any case,
 * with or without @domain, which is how Postfix's pipe(8) writes it). */
int classify_is_null_sender(const char *sender);

#endif
