/* SPDX-License-Identifier: GPL-3.0-or-later */
/* classify.h: is this message bounce-like, and of which kind?
 *
 * Works only on the bounded notice (notice.h) and the caller's context, so
 * it costs nothing beyond what the walk already kept. Bounce-likeness
 * rests on structure, never on words alone: a report part (multipart/report
 * with report-type delivery-status, disposition-notification,
 * feedback-report, or their RFC 6533 global forms, at any depth); a null
 * sender (Return-Path: <>, an empty SENDER, From MAILER-DAEMON or "<>"); a
 * daemon's From address (postmaster, a list manager's LIST-admin with its
 * list fields, the "from" signatures over its local part: never the
 * display name, free text a person sets); RFC 3834
 * Auto-Submitted: auto-replied and the vendor auto-reply fields; a vendor's
 * notice field (X-Failed-Recipients, X-MS-Exchange-Message-Is-Ndr, Amazon
 * SNS, Apple's unsubscribe request, Mailman's administrivia); an attached
 * original. Only then do the phrasings of signatures.h (subject, and the
 * notice's own text before any copy of the original, never a line that
 * lists a message's "Subject:") raise confidence and decide the kind. Auto-Submitted: auto-generated is ordinary mail; iTIP
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
  SIGNAL_REPORT        = 1u << 0,  /* a report part (multipart/report, or a
                                      DSN/MDN/ARF part) of its own, not inside
                                      an attached message */
  SIGNAL_NULL_SENDER   = 1u << 1,  /* envelope or Return-Path null, or a From
                                      address <> or MAILER-DAEMON */
  SIGNAL_AUTO_REPLY    = 1u << 2,  /* auto-reply by its headers (RFC 3834 & co.) */
  SIGNAL_PHRASE        = 1u << 3,  /* a known bounce/notice phrasing matched */
  SIGNAL_ORIGINAL      = 1u << 4,  /* an attached original message or headers */
  SIGNAL_DAEMON_FROM   = 1u << 5,  /* From a program's address (postmaster@,
                                      LIST-admin@, ...; not its display name) */
  SIGNAL_VENDOR_NOTICE = 1u << 6,  /* a vendor's notice field */
  SIGNAL_LIST          = 1u << 7,  /* List-Id or List-Post: relayed by a list */
  SIGNAL_QUOTED_ORIGINAL = 1u << 8, /* an original's header copied into the text
                                      (set only when nothing else is structural) */
  SIGNAL_OWN_HEADER_ORIGINAL = 1u << 9, /* the notice's own header block is the
                                      original's (Hotmail's older complaints) */
  SIGNAL_CARRIED_REPORT = 1u << 10, /* a report part only inside an attached
                                      message: a notice passed on (a ticket
                                      made from a bounce, a forward) */
};

/* Header fields only the writers of notices set. */
enum vendor_notice {
  VENDOR_NONE,
  VENDOR_FAILED_RECIPIENTS,  /* Exim's X-Failed-Recipients */
  VENDOR_EXCHANGE_NDR,       /* X-MS-Exchange-Message-Is-Ndr */
  VENDOR_SNS,                /* Amazon SNS (SES notifications by e-mail) */
  VENDOR_UNSUBSCRIBE,        /* Apple Mail's one-click unsubscribe request */
  VENDOR_ADMINISTRIVIA,      /* Mailman's own notices */
  VENDOR_CHALLENGE,          /* Bluebottle's challenge */
  VENDOR_NOTES_AUTO,         /* Lotus Notes' out-of-office agent: "AUTO: " */
  VENDOR_HOTMAIL_JMR,        /* Hotmail's older complaint: the original itself,
                                relayed with X-HmXmrOriginalRecipient */
};

/* What the top header alone says (classify_header), worked out once as
 * soon as the header is read: it chooses the MIME walk
 * (classify_needs_mime) and is the header's share of classify_notice.
 * Holds no pointer into the notice; subject_phrase points into the
 * signatures (the shipped table or `site`), which must outlive it. */
struct header_signals {
  const struct signature_set *site;  /* the site signatures used (may be NULL) */
  unsigned signals;          /* SIGNAL_NULL_SENDER (envelope, Return-Path or
                                From), SIGNAL_DAEMON_FROM, SIGNAL_AUTO_REPLY,
                                SIGNAL_VENDOR_NOTICE, SIGNAL_LIST */
  int auto_reply_fields;     /* RFC 3834 or an older responder's field (what
                                SIGNAL_AUTO_REPLY is without vacation(1)'s
                                "Precedence: junk" and its subject) */
  enum vendor_notice vendor; /* the first vendor's notice field, or VENDOR_NONE */
  int report_type;           /* Content-Type multipart/report or message/... */
  int mixed;                 /* Content-Type multipart/mixed */
  int reply_subject;         /* "Re:", "Fwd:", ... */
  int calendar_subject;      /* "Accepted:", "Declined:", ... */
  const struct signature *subject_phrase;  /* the subject signature that
                                              starts earliest, or NULL */
  /* The three above are read from the Subject as written. One with RFC
   * 2047 words is decoded (by our Mailutils plugin, muplugin.h) only for
   * a notice candidate: by classify_notice once a structural signal is
   * seen, or here for "Precedence: junk" (vacation(1)'s mark); ordinary
   * mail never loads the plugin. */
  int subject_encoded;       /* the Subject still has encoded words */
};

struct classification {
  enum notice_kind kind;
  unsigned signals;        /* classify_signal bits */
  char signature[80];      /* what recognised it: "delivery-status", "exim", ... */
};

/* Work out what the top header says (notice_parse_header is enough;
 * nothing of the body is read), with the shipped signatures and the
 * site's (`site`, may be NULL; tried first) and the envelope sender of
 * `context` (may be NULL). Always succeeds; on an empty notice (the header
 * could not be read) it says nothing. */
void classify_header(const struct notice *notice, const struct context *context,
                     const struct signature_set *site, struct header_signals *header,
                     struct failure *failure);

/* Classify a notice (its parts as the walk kept them) whose header says
 * *header (classify_header of the same notice). Always classifies. When a
 * candidate's encoded subject must be decoded and our Mailutils plugin
 * cannot be loaded, it is read as written and *failure (may be NULL)
 * gets FAILURE_PLUGIN, which the caller hands on as trouble. (So may
 * classify_header's, for "Precedence: junk".) */
void classify_notice(const struct notice *notice, const struct header_signals *header,
                     struct classification *classification, struct failure *failure);

/* From the header alone: may this message be bounce-like for any reason
 * but a "strong" phrase in its text? If not, the caller skips the MIME
 * walk (notice_parse_text instead of notice_parse_mime): most mail is
 * ordinary, and the walk is the cost. */
int classify_needs_mime(const struct header_signals *header);

/* May this notice's original count against us? Only when a program sent
 * it: a null or daemon sender, RFC 3834 (or vendor) auto-reply fields, a
 * vendor's notice field, or a report part (DSN, MDN, ARF). An original
 * copied into the text or attached as message/rfc822 alone is not: a
 * person pastes a bounce into a message, or forwards one (or the mail it
 * returned) as an attachment, with words of a notice in the subject. */
int classify_original_is_evidence(const struct classification *classification);

/* Does the notice's own In-Reply-To name the original it is about? Only
 * for a notice that answers by its headers (RFC 3834 and the vendor
 * auto-reply fields, or an auto-reply sent with the null sender) and did
 * not come through a list: the In-Reply-To of any other message is a
 * thread, which proves nothing about our mail. */
int classify_in_reply_to_names_original(const struct classification *classification);

/* Is a header block (of an attached or quoted original) itself a notice:
 * a multipart/report, a null Return-Path, X-Failed-Recipients, or a
 * daemon's From address (as classify_header reads it) with a notice's
 * subject? The true original of a bounce of
 * a bounce is the message inside it. */
int classify_header_is_notice(const char *block, size_t length);

/* Is the envelope sender the null sender? "" "<>" "MAILER-DAEMON" (any case,
 * with or without @domain, which is how Postfix's pipe(8) writes it). */
int classify_is_null_sender(const char *sender);

#endif
