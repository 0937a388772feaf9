/* SPDX-License-Identifier: GPL-3.0-or-later */
/* notice.h: the notice, the bounded flat view of one message every later
 * stage works on: the top header block (LF line ends), the top-level
 * Content-Type, and the parts the MIME walk kept (mime.h): the decoded
 * start of each text part (CAP_TEXT_BYTES), delivery-status and similar
 * report parts, and the header block of each attached original
 * (message/rfc822, message/global, text/rfc822-headers,
 * message/global-headers) whatever its transfer encoding.
 * notice_parse_header() reads only up to the end of the top header block.
 */
#ifndef BSF_NOTICE_H
#define BSF_NOTICE_H

#include <stddef.h>
#include "caps.h"
#include "failure.h"
#include "input.h"

enum part_role {
  PART_TEXT,              /* text/plain, text/html: decoded start kept */
  PART_DELIVERY_STATUS,   /* message/delivery-status, message/global-delivery-status */
  PART_DISPOSITION,       /* message/disposition-notification (MDN) */
  PART_FEEDBACK,          /* message/feedback-report (ARF) */
  PART_ORIGINAL_MESSAGE,  /* message/rfc822, message/global: its header block */
  PART_ORIGINAL_HEADERS,  /* text/rfc822-headers, message/global-headers */
  PART_REPORT,            /* a multipart/report container; report_type set */
};

struct notice_part {
  enum part_role role;
  unsigned depth;           /* 0: the top-level body */
  char content_type[80];    /* "type/subtype", lower case */
  char report_type[40];     /* for PART_REPORT, lower case */
  char *content;            /* decoded bytes, LF line ends, NUL terminated */
  size_t length;
};

struct notice {
  char *header;             /* top-level header block, LF, NUL terminated */
  size_t header_length;
  char content_type[80];    /* top-level "type/subtype", lower case */
  struct notice_part *parts;
  size_t part_count;
  unsigned caps_hit;        /* CAP_HIT_* bits */
  int body_unparsed;        /* a malformed header: the body is not walked
                               (mime.c; Mailutils rejects such a message) */
  char *raw_body;           /* notice_load_raw_body: the body as text, or NULL */
  size_t raw_body_length;
};

/* Read only the top header block into *notice (no MIME walk): what
 * `record` needs, and the first step of check (then notice_parse_mime or
 * notice_parse_text, mime.h). Returns 0, or -1 when not even the header
 * could be read (*notice is then empty but valid for notice_free). */
int notice_parse_header(struct input *input, struct notice *notice,
                        struct failure *failure);

/* Body bytes notice_parse_text can use for this header: CAP_TEXT_RAW_BYTES
 * for a text/ body (or no Content-Type), 0 for anything else. */
size_t notice_text_body_bytes(const struct notice *notice);

/* Load the start of the body (CAP_ORIGINAL_BYTES, LF line ends) as plain
 * text into notice->raw_body, for the last-resort search for quoted
 * headers when the MIME walk found no original: some servers write broken
 * MIME headers, or quote the original in a part of an unexpected type.
 * 0 or -1. */
int notice_load_raw_body(struct input *input, struct notice *notice,
                         struct failure *failure);

void notice_free(struct notice *notice);

#endif
