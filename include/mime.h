/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mime.h: the MIME splitter. After notice_parse_header (notice.h), walk
 * the spooled message's body into the notice's parts with our own
 * streaming splitter (CRLF and a leading mbox "From " line handled as it
 * reads; the spool's bytes read in place, or 64 KB reads past its memory,
 * so a spilled message is never held whole in memory), bounded by
 * CAP_MIME_DEPTH and CAP_MIME_PARTS; Content-Type values parsed in one
 * bounded pass (content_type_parse: Mailutils' parser is quadratic in the
 * number of parameters); transfer encodings undone with Mailutils' filters,
 * in our plugin (muplugin.h), loaded only for a part that is encoded.
 */
#ifndef BSF_MIME_H
#define BSF_MIME_H

#include <stddef.h>
#include "caps.h"
#include "failure.h"
#include "input.h"
#include "notice.h"

/* What is read of a Content-Type value (content_type_parse). */
struct content_type {
  char type[80];            /* "type/subtype", lower case; "" when malformed */
  /* "" when absent, or too long to match a delimiter line (CAP_LINE_BYTES) */
  char boundary[CAP_LINE_BYTES + 1];
  char report_type[40];     /* lower case; "" when absent or longer */
};

/* Parse a Content-Type value of `length` bytes (folded or not: a line
 * break is removed from a quoted string, the blank after it kept) in one pass
 * over it, whatever its number of parameters: the type and subtype, and of
 * the parameters only boundary and report-type. RFC 2045 syntax with
 * comments and quoted strings, leniently (junk is skipped to the next
 * ';'); a parameter given twice keeps its first value; RFC 2231 sections
 * (name*0, name*1*, ...: at most CAP_PARAMETER_SECTIONS) and extended
 * values (name*=charset'lang'%XX) are joined and decoded when no plain
 * value is given. No allocation. */
void content_type_parse(const char *value, size_t length, struct content_type *parsed);

/* After notice_parse_header: the MIME walk. 0 (body_unparsed set when
 * only the header could be used), or -1. A transfer-encoded part is
 * decoded by our Mailutils plugin (muplugin.h), loaded only then; when it
 * cannot be loaded the walk still ends, keeping every part it could read,
 * and returns -1 with FAILURE_PLUGIN: the notice is judged on those. */
int notice_parse_mime(struct input *input, struct notice *notice,
                      struct failure *failure);

/* After notice_parse_header, instead of the MIME walk, for mail whose header
 * shows nothing automatic: a single text body (text/ any subtype)'s start
 * (CAP_TEXT_BYTES, decoded) becomes the one text part; other types keep no
 * part, and nothing past CAP_TEXT_BYTES of the body is read. A base64 or
 * quoted-printable body needs the plugin: without it, no part and -1 with
 * FAILURE_PLUGIN. */
int notice_parse_text(struct input *input, struct notice *notice,
                      struct failure *failure);

/* Text helpers shared with notice.c. */

/* Replace CRLF by LF and NUL by space in place (classic-Mac CR-only text:
 * each CR becomes LF), NUL-terminate; the new length. */
size_t mime_text_normalise(char *data, size_t length);

/* `data` (allocated) cut to its first `length` bytes in a block of their
 * own size, NUL terminated. */
char *mime_keep_only(char *data, size_t length);

/* Read at most `cap` bytes of `source` (from where it is) into a new
 * NUL-terminated buffer; with `header_only`, stop once a header block has
 * ended. *truncated when more was there. 0 or an errno (ENOMEM, or why
 * the source could not be read: nothing is allocated then). */
int mime_read_bounded_until(struct byte_source *source, size_t cap, int header_only,
                            char **out, size_t *length, int *truncated);
int mime_read_bounded(struct byte_source *source, size_t cap, char **out,
                      size_t *length, int *truncated);

#endif
