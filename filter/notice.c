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
#include <stdio.h>
#include <string.h>
#include <strings.h>
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

/* Where the header starts: past an mbox "From " line (looked at up to
 * CAP_LINE_BYTES - 1 bytes: a longer one is junk, and the header is taken
 * to start there). With classic-Mac line ends the line ends at its first
 * CR. 0 or an errno. */
static int
header_start(struct input *input, unsigned long long *start)
{
  char skip[CAP_LINE_BYTES];
  struct byte_source source;
  size_t n = 0;

  *start = 0;
  if (!input->has_from_line)
    return 0;
  byte_source_spool(&source, &input->spool, 0);
  int rc = byte_source_read(&source, skip, sizeof skip - 1, &n);
  if (rc)
    return rc;
  const char *newline = memchr(skip, '\n', n);
  if (newline)
    n = (size_t) (newline - skip) + 1;
  const char *cr = memchr(skip, '\r', n);
  *start = cr && cr + 1 < skip + n && cr[1] != '\n' ? (size_t) (cr + 1 - skip) : n;
  return 0;
}

int
notice_parse_header(struct input *input, struct notice *notice,
                    struct failure *failure)
{
  struct byte_source source;
  unsigned long long start;
  int truncated = 0;

  memset(notice, 0, sizeof *notice);
  snprintf(notice->content_type, sizeof notice->content_type, "text/plain");
  int rc = header_start(input, &start);
  if (rc == 0) {
    byte_source_spool(&source, &input->spool, start);
    rc = mime_read_bounded_until(&source, CAP_HEADER_BLOCK_BYTES, 1, &notice->header,
                                 &notice->header_length, &truncated);
  }
  if (rc)
    return failure_set(failure, FAILURE_INPUT, "cannot read the header: %s",
                       strerror(rc));
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
  struct byte_source source;
  char *text = NULL;
  size_t length = 0;
  int truncated = 0, rc;

  if (notice->raw_body)
    return 0;
  byte_source_spool(&source, &input->spool, 0);
  rc = mime_read_bounded(&source, CAP_ORIGINAL_BYTES, &text, &length, &truncated);
  if (rc)
    return failure_set(failure, FAILURE_INPUT, "cannot read the body: %s",
                       strerror(rc));
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

