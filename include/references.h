/* SPDX-License-Identifier: GPL-3.0-or-later */
/* references.h: what a notice says about the original message it refers to.
 *
 * Sources, in order of trust: the attached original's header block, attached
 * original headers, headers quoted in the text ("Message-ID:" lines of a
 * copy), Original-Envelope-Id, X-Microsoft-Original-Message-ID and a read
 * receipt's Original-Message-ID, then In-Reply-To and References. Also: failed recipients
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
  const char *msgid;              /* normalised (mailid.h), at most CAP_ID_BYTES */
};

/* Where the strings of a references live (references.c): blocks that
 * never move, so the pointers into them stay valid. */
struct references_text;

/* What a notice refers to, sized to the notice: each list grows as
 * entries are found, up to its cap, and the strings are kept in
 * references_text. A zeroed struct references is empty;
 * references_free() frees what an extraction kept. Every cap is counted
 * in caps_hit when reached, and so is memory running out while an entry
 * is kept (it is dropped, as past its cap: such a notice is not proven). */
struct references {
  struct reference *ids;          /* id_count, at most CAP_REFERENCED_IDS */
  size_t id_count;
  const char **recipients;        /* failed recipients, recipient_count, at most
                                     CAP_RECIPIENTS of CAP_ADDRESS_BYTES */
  size_t recipient_count;
  char original_from[CAP_ADDRESS_BYTES + 1];   /* "" when not known */
  char original_date[128];                     /* its Date field, "" when not known */
  int original_is_senders;        /* original_from is the notice's own From: its
                                     sender's mail, not ours; its IDs count
                                     against nothing */
  const char **received_hosts;    /* lower case, received_count, at most
                                     CAP_RECEIVED_HOSTS of CAP_HOST_BYTES */
  size_t received_count;
  unsigned caps_hit;
  /* Storage: entries allocated in each list, and the strings. */
  size_t id_room, recipient_room, received_room;
  struct references_text *text;
};

/* Fill *references from a notice (never fails; duplicates are dropped),
 * replacing what it held. Only the notice's original is evidence against
 * us: IDs of the attached or copied original, of the DSN/MDN fields, and
 * the In-Reply-To of a notice that answers by its headers
 * (classify_in_reply_to_names_original) get `against`; the References and
 * any other In-Reply-To only name a thread, and may only show that we did
 * send the original. An original that is itself a notice (a bounce of a
 * bounce) is read after the originals inside it, so ids[0] names the
 * message we would have sent. A bare Message-ID without '@' in an
 * original's Message-ID field counts (mailid.h msgid_scan_own). The raw
 * body is not read here (references_add_raw_body). */
void references_extract(const struct notice *notice,
                        const struct classification *classification,
                        struct references *references);

/* After references_extract: is the last resort, a search of the raw body
 * for quoted header blocks, wanted? For a notice in which nothing named a
 * Message-ID (some servers write broken MIME headers, or quote the
 * original in a part of an unexpected type). The caller then loads it
 * (notice_load_raw_body) and calls references_add_raw_body. */
int references_want_raw_body(const struct classification *classification,
                             const struct references *references);

/* The last resort: the header blocks quoted anywhere in notice->raw_body,
 * added to what references_extract found (its recipients, From, Date and
 * Received hosts stay; as it found no ID, the raw body's come first).
 * Does nothing unless references_want_raw_body() and the raw body is
 * loaded. */
void references_add_raw_body(const struct notice *notice,
                             const struct classification *classification,
                             struct references *references);

/* Free what references_extract kept; *references is empty again. */
void references_free(struct references *references);

const char *reference_source_name(enum reference_source source);

#endif
