/* SPDX-License-Identifier: GPL-3.0-or-later */
/* header.h: raw header blocks (RFC 5322 section 2.2): where one ends, also
 * as its bytes arrive in pieces; whether every line starts or continues a
 * field; each field in turn; one field's value unfolded. No allocation;
 * at most CAP_HEADER_FIELDS fields; bounded by the block's length.
 */
#ifndef BSF_HEADER_H
#define BSF_HEADER_H

#include <stddef.h>

/* Where a raw header block ends, found as its bytes arrive in pieces of
 * any size (LF or CRLF line ends, or classic-Mac CR ones when the header
 * has no LF before its empty line; nothing copied): input_read_kept, the
 * top header read and import's message files use it. The fields are the
 * scanner's own. */
struct header_scan {
  enum { HEADER_SCAN_LINE_START, HEADER_SCAN_CR_AT_LINE_START,
         HEADER_SCAN_IN_LINE, HEADER_SCAN_CR_IN_LINE, HEADER_SCAN_CR_CR } state;
  int lf_seen;            /* until then a CR alone ends a line too */
  unsigned long long scanned, limit;
};

/* Begin a scan that takes the block as ended after `limit` bytes. */
void header_scan_start(struct header_scan *scan, unsigned long long limit);

/* The next `length` bytes: how many of them still belong to the header
 * block (its empty line included) once it has ended in them, or -1 when
 * all of them do and it goes on. Not to be fed after it has ended. */
long header_scan_feed(struct header_scan *scan, const char *data, size_t length);

/* Length of the header block at the start of data: up to and including
 * the empty line, or all of it when there is none. */
size_t header_block_length(const char *data, size_t length);

/* Does every line start a field ("name:") or continue one? */
int header_is_wellformed(const char *block, size_t length);

/* Value of the first header field `name` (case-insensitive) in a header
 * block, unfolded (CRLF/LF + WSP -> one space) and trimmed, copied into
 * out (truncated to size - 1). Returns the full unfolded length, or -1
 * when absent. No allocation; bounded by the block's length. */
long header_field(const char *block, size_t length, const char *name,
                  char *out, size_t size);

/* Iterate over every field of a header block: calls `visit` with the name
 * and the raw (still folded) value. At most CAP_HEADER_FIELDS fields;
 * returns the number visited, or -(number) when the cap was hit.
 * `visit` may be NULL to count only. */
typedef void (*header_visit_fn)(void *cookie, const char *name, size_t name_length,
                                const char *value, size_t value_length);
long header_each(const char *block, size_t length, header_visit_fn visit,
                 void *cookie);

#endif
