/* SPDX-License-Identifier: GPL-3.0-or-later */
/* references.h: what a notice says about the original message it refers to.
 *
 * Sources, in order of trust: the attached original's header block, attached
 * original headers, headers quoted in the text ("Message-ID:" lines of a
 * copy), Original-Envelope-Id and X-Microsoft-Original-Message-ID, then
 * In-Reply-To and References. Also: failed recipients
 * (Final-Recipient, Original-Recipient, X-Failed-Recipients, and for
 * non-standard bounces the addresses their text names before the copy of
 * the original), the original's From and Date, and the hosts of its
 * Received lines. Everything is bounded by caps.h.
 */
#ifndef BSF_REFERENCES_H
#define BSF_REFERENCES_H

#include "caps.h"
#include "classify.h"
#include "header.h"
#include "input.h"
#include "mime.h"
#include "notice.h"

enum reference_source {
  SOURCE_ATTACHED_MESSAGE,   /* message/rfc822, message/global */
  SOURCE_ATTACHED_HEADERS,   /* text/rfc822-headers, message/global-headers */
  SOURCE_QUOTED_TEXT,        /* a Message-ID: line quoted in a text part */
  SOURCE_ENVELOPE_ID,        /* Original-Envelope-Id in a delivery-status part */
  SOURCE_MICROSOFT_ORIGINAL, /* X-Microsoft-Original-Message-ID */
  SOURCE_IN_REPLY_TO,
  SOURCE_REFERENCES,
  SOURCE_MDN_ORIGINAL,       /* Original-Message-ID of a read receipt */
};

struct reference {
  enum reference_source source;
  int against;                    /* may its absence from the store count
                                     against the notice? (references_extract) */
  char msgid[CAP_ID_BYTES + 1];   /* normalised (mailid.h) */
};

struct references {
  struct reference ids[CAP_REFERENCED_IDS];
  size_t id_count;
  char recipients[CAP_RECIPIENTS][CAP_ADDRESS_BYTES + 1];  /* failed recipients */
  size_t recipient_count;
  char original_from[CAP_ADDRESS_BYTES + 1];   /* "" when not known */
  char original_date[128];                     /* its Date field, "" when not known */
  char received_hosts[CAP_RECEIVED_HOSTS][256];
  size_t received_count;
  unsigned caps_hit;
};

/* Fill *references from a notice (never fails; duplicates are dropped).
 * Only the notice's original is evidence against us: IDs of the attached
 * or copied original, of the DSN/MDN fields, and the In-Reply-To of a
 * notice that answers by its headers (classify_in_reply_to_names_original)
 * get `against`; the References and any other In-Reply-To only name a
 * thread, and may only show that we did send the original. An original
 * that is itself a notice (a bounce of a bounce) is read after the
 * originals inside it, so ids[0] names the message we would have sent. A
 * bare Message-ID without '@' in an original's Message-ID field counts
 * (mailid.h msgid_scan_own). */
void references_extract(const struct notice *notice,
                        const struct classification *classification,
                        struct references *references);

const char *reference_source_name(enum reference_source source);

#endif
