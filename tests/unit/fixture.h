/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fixture.h: loading test messages from the source tree ($BSF_SRCDIR):
 * examples/messages, tests/messages (see its README) and tests/fixtures
 * (real messages, see its SOURCES); and parsing and classifying one the
 * way check does. */
#ifndef BSF_TEST_FIXTURE_H
#define BSF_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include "classify.h"
#include "header.h"
#include "input.h"
#include "mime.h"
#include "notice.h"

/* The whole parse of a message as the tests want it: the top header, then
 * the MIME walk (check itself chooses the walk: check.h). */
static inline int
fixture_notice_parse(struct input *input, struct notice *notice,
                     struct failure *failure)
{
  if (notice_parse_header(input, notice, failure) < 0)
    return -1;
  return notice_parse_mime(input, notice, failure);
}

/* Classify as check does: what the header says, then the notice. */
static inline void
fixture_classify(const struct notice *notice, const struct context *context,
                 const struct signature_set *site,
                 struct classification *classification)
{
  struct header_signals header;
  classify_header(notice, context, site, &header, NULL);
  classify_notice(notice, &header, classification, NULL);
}

/* Read a file relative to $BSF_SRCDIR (default ".") into a malloc'ed
 * buffer; NULL when unreadable. */
static inline char *
fixture_read(const char *relative, size_t *length)
{
  const char *top = getenv("BSF_SRCDIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", top ? top : ".", relative);
  FILE *file = fopen(path, "rb");
  if (!file)
    return NULL;
  size_t allocated = 65536, used = 0;
  char *data = malloc(allocated);
  size_t n;
  while (data && (n = fread(data + used, 1, allocated - used, file)) > 0) {
    used += n;
    if (used == allocated) {
      char *bigger = realloc(data, allocated * 2);
      if (!bigger) {
        free(data);
        data = NULL;
        break;
      }
      data = bigger;
      allocated *= 2;
    }
  }
  fclose(file);
  if (length)
    *length = used;
  return data;
}

/* Parse a fixture into input + notice. Returns 0, or -1 (file missing). */
static inline int
fixture_notice(const char *relative, struct input *input, struct notice *notice)
{
  size_t length;
  struct failure failure;
  char *data = fixture_read(relative, &length);
  if (!data)
    return -1;
  int rc = input_from_buffer(data, length, input, &failure);
  free(data);
  if (rc < 0)
    return -1;
  return fixture_notice_parse(input, notice, &failure);
}

#endif
