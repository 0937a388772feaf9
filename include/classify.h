/* SPDX-License-Identifier: GPL-3.0-or-later */
/* classify.h: is this message bounce-like, and of which kind?
 *
 * Works only on the bounded notice (message.h) and the caller's context, so
 * it costs nothing beyond what the walk already kept. Signals, strongest
 * first: a report part (multipart/report with report-type delivery-status,
 * disposition-notification, feedback-report, or their RFC 6533 global
 * forms, at any depth); RFC 3834 Auto-Submitted and its look-alikes; the
 * null sender (Return-Path: <>, an empty SENDER, From MAILER-DAEMON or
 * postmaster); and the phrasings of known non-standard bounces, matched
 * case-insensitively against the subject and the start of text parts.
 */
#ifndef BSF_CLASSIFY_H
#define BSF_CLASSIFY_H

#include "context.h"
#include "kinds.h"
#include "message.h"
#include "signatures.h"

enum classify_signal {
  SIGNAL_REPORT        = 1u << 0,  /* a multipart/report container */
  SIGNAL_NULL_SENDER   = 1u << 1,  /* envelope or Return-Path null, or MAILER-DAEMON */
  SIGNAL_AUTO_HEADER   = 1u << 2,  /* Auto-Submitted & co. */
  SIGNAL_PHRASE        = 1u << 3,  /* a known bounce/notice phrasing matched */
  SIGNAL_ORIGINAL      = 1u << 4,  /* an attached original message or headers */
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

/* Is the envelope sender the null sender? "" "<>" "MAILER-DAEMON" (any case,
 * with or without @domain, which is how Postfix's pipe(8) writes it). */
int classify_is_null_sender(const char *sender);

#endif
