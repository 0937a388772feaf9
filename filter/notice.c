/* SPDX-License-Identifier: GPL-3.0-or-later */
/* notice.c: the notice, the bounded flat view of one message every later
 * stage works on: its top header block (notice_parse_header), the start
 * of the body as plain text for the last-resort search
 * (notice_load_raw_body), and freeing it. The MIME walk that fills its
 * parts is mime.c's. Limits: the header at most CAP_HEADER_BLOCK_BYTES,
 * the raw body at most CAP_ORIGINAL_BYTES.
 */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <mailutils/mailutils.h>
#include "caps.h"
#include "header.h"
#include "mime.h"
#include "notice.h"

size_t
notice_text_body_bytes(const struct notice *notice)
{
  char type[80];
  if (header_field(notice->header, notice->header_length, "Content-Type", type,
                   sizeof type) < 0 || !type[0])
    return CAP_TEXT_RAW_BYTES;              /* text/plain by default */
  return strncasecmp(type, "text/", 5) == 0 ? CAP_TEXT_RAW_BYTES : 0;
}

int
notice_parse_header(struct input *input, struct notice *notice,
                    struct failure *failure)
{
  int truncated = 0, rc;

  memset(notice, 0, sizeof *notice);
  snprintf(notice->content_type, sizeof notice->content_type, "text/plain");
  rc = mu_stream_seek(input->raw, 0, MU_SEEK_SET, NULL);
  if (rc == 0 && input->has_from_line) {
    char skip[CAP_LINE_BYTES];
    size_t n = 0;
    rc = mu_stream_readline(input->raw, skip, sizeof skip, &n);
    /* With classic-Mac line ends the "From " line ends at its first CR. */
    const char *cr = rc == 0 ? memchr(skip, '\r', n) : NULL;
    if (cr && cr + 1 < skip + n && cr[1] != '\n')
      rc = mu_stream_seek(input->raw, cr + 1 - skip, MU_SEEK_SET, NULL);
  }
  if (rc == 0)
    rc = mime_read_bounded_until(input->raw, CAP_HEADER_BLOCK_BYTES, 1,
                            &notice->header, &notice->header_length,
                            &truncated);
  if (rc)
    return failure_set(failure, FAILURE_INPUT, "cannot read the header: %s",
                       mu_strerror(rc));
  notice->header_length = mime_text_normalise(notice->header, notice->header_length);
  size_t header_length = header_block_length(notice->header, notice->header_length);
  if (truncated && header_length == notice->header_length)
    notice->caps_hit |= CAP_HIT_HEADER_BLOCK;
  notice->header_length = header_length;
  notice->header = mime_keep_only(notice->header, header_length);
  if (header_each(notice->header, notice->header_length, NULL, NULL) < 0)
    notice->caps_hit |= CAP_HIT_HEADER_FIELDS;
  return 0;
}

int
notice_load_raw_body(struct input *input, struct notice *notice,
                     struct failure *failure)
{
  char *text = NULL;
  size_t length = 0;
  int truncated = 0, rc;

  if (notice->raw_body)
    return 0;
  rc = mu_stream_seek(input->raw, 0, MU_SEEK_SET, NULL);
  if (rc == 0)
    rc = mime_read_bounded(input->raw, CAP_ORIGINAL_BYTES, &text, &length, &truncated);
  if (rc)
    return failure_set(failure, FAILURE_INPUT, "cannot read the body: %s",
                       mu_strerror(rc));
  length = mime_text_normalise(text, length);
  size_t start = 0;
  if (input->has_from_line) {
    const char *newline = memchr(text, '\n', length);
    start = newline ? (size_t) (newline - text) + 1 : length;
  }
  start += header_block_length(text + start, length - start);
  memmove(text, text + start, length - start);
  text[length - start] = '\0';
  notice->raw_body = mime_keep_only(text, length - start);
  notice->raw_body_length = length - start;
  return 0;
}

void
notice_free(struct notice *notice)
{
  free(notice->raw_body);
  free(notice->header);
  for (size_t i = 0; i < notice->part_count; i++)
    free(notice->parts[i].content);
  free(notice->parts);
  memset(notice, 0, sizeof *notice);
}

