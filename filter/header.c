/* SPDX-License-Identifier: GPL-3.0-or-later */
/* header.c: raw header blocks: where one ends (also as its bytes arrive),
 * whether it is well formed, its fields one by one and a field's value.
 * Limits: at most CAP_HEADER_FIELDS fields are visited; nothing is
 * allocated; every loop is bounded by the block's length.
 */
#include <config.h>
#include <string.h>
#include <strings.h>
#include "caps.h"
#include "header.h"

void
header_scan_start(struct header_scan *scan, unsigned long long limit)
{
  scan->state = HEADER_SCAN_LINE_START;
  scan->scanned = 0;
  scan->lf_seen = 0;
  scan->limit = limit;
}

/* Line ends: LF (a CR before it is part of it), and, until the first LF
 * is seen, a CR followed by anything else (classic-Mac mail has no LF at
 * all: without this its header would run to the limit). A CR-only empty
 * line ("\r\r", or a CR first) ends the block before the byte after it,
 * which is needed to tell it from "\r\r\n" (a line end with a stray CR). */
long
header_scan_feed(struct header_scan *scan, const char *data, size_t length)
{
  const unsigned long long limit = scan->limit;
  for (size_t i = 0; i < length; i++) {
    char c = data[i];
    if (++scan->scanned >= limit)
      return (long) i + 1;
    switch (scan->state) {
    case HEADER_SCAN_LINE_START:
      if (c == '\n')
        return (long) i + 1;
      scan->state = c == '\r' ? HEADER_SCAN_CR_AT_LINE_START : HEADER_SCAN_IN_LINE;
      break;
    case HEADER_SCAN_CR_AT_LINE_START:
    case HEADER_SCAN_CR_CR:
      if (c == '\n' && scan->state == HEADER_SCAN_CR_AT_LINE_START)
        return (long) i + 1;
      if (c == '\n') {                    /* "\r\r\n": one line end */
        scan->lf_seen = 1;
        scan->state = HEADER_SCAN_LINE_START;
        break;
      }
      if (!scan->lf_seen) {
        scan->scanned--;                   /* byte i is the body's */
        return (long) i;
      }
      scan->state = HEADER_SCAN_IN_LINE;
      break;
    case HEADER_SCAN_CR_IN_LINE:           /* no LF seen yet */
      if (c == '\n') {
        scan->lf_seen = 1;
        scan->state = HEADER_SCAN_LINE_START;
      } else {
        scan->state = c == '\r' ? HEADER_SCAN_CR_CR : HEADER_SCAN_IN_LINE;
      }
      break;
    default: {                           /* HEADER_SCAN_IN_LINE */
      if (!scan->lf_seen) {
        if (c == '\n') {
          scan->lf_seen = 1;
          scan->state = HEADER_SCAN_LINE_START;
        } else if (c == '\r') {
          scan->state = HEADER_SCAN_CR_IN_LINE;
        }
        break;
      }
      const char *newline = memchr(data + i, '\n', length - i);
      /* Bytes i+1 .. i+skipped of this line (to its LF, or to the end). */
      size_t skipped = newline ? (size_t) (newline - (data + i)) : length - i - 1;
      if (scan->scanned + skipped >= limit)
        return (long) (i + (limit - scan->scanned) + 1);
      scan->scanned += skipped;
      if (!newline)
        return -1;
      i += skipped;
      scan->state = HEADER_SCAN_LINE_START;
      break;
    }
    }
  }
  return -1;
}

static int
is_blank(char c)
{
  return c == ' ' || c == '\t';
}

/* Length of the header block at the start of data: up to and including
 * the empty line, or all of it when there is none. */
size_t
header_block_length(const char *data, size_t length)
{
  if (length > 0 && data[0] == '\n')
    return 1;
  for (size_t i = 0; i + 1 < length; i++) {
    if (data[i] == '\n' && data[i + 1] == '\n')
      return i + 2;
    if (data[i] == '\n' && data[i + 1] == '\r' && i + 2 < length
        && data[i + 2] == '\n')
      return i + 3;
  }
  return length;
}

long
header_each(const char *block, size_t length, header_visit_fn visit, void *cookie)
{
  size_t i = 0;
  long fields = 0;

  while (i < length) {
    size_t line_end = i;
    while (line_end < length && block[line_end] != '\n')
      line_end++;
    if (line_end == i || (line_end == i + 1 && block[i] == '\r'))
      break;                               /* the empty line ends the block */
    const char *colon = memchr(block + i, ':', line_end - i);
    if (!colon || is_blank(block[i])) {
      i = line_end + 1;                    /* not a field: skip the line */
      continue;
    }
    size_t name_end = (size_t) (colon - block);
    while (name_end > i && is_blank(block[name_end - 1]))
      name_end--;
    /* The value runs over continuation lines. */
    size_t value_start = (size_t) (colon - block) + 1, value_end = line_end;
    while (value_end + 1 < length && is_blank(block[value_end + 1])) {
      value_end++;
      while (value_end < length && block[value_end] != '\n')
        value_end++;
    }
    if (fields == CAP_HEADER_FIELDS)
      return -fields;
    fields++;
    if (name_end > i && visit)
      visit(cookie, block + i, name_end - i, block + value_start,
            value_end - value_start);
    i = value_end + 1;
  }
  return fields;
}

/* Does every line start a field ("name:") or continue one? */
int
header_is_wellformed(const char *block, size_t length)
{
  size_t i = 0;
  while (i < length) {
    const char *newline = memchr(block + i, '\n', length - i);
    size_t end = newline ? (size_t) (newline - block) : length;
    if (end == i)
      break;
    if (!is_blank(block[i]) && !memchr(block + i, ':', end - i))
      return 0;
    i = end + 1;
  }
  return 1;
}

struct field_search {
  const char *name;
  size_t name_length;
  char *out;
  size_t size;
  long found_length;
};

/* Copy value unfolded: runs of CR, LF and blanks become one space; trim. */
static size_t
unfold_copy(const char *value, size_t length, char *out, size_t size)
{
  size_t used = 0, total = 0;
  int pending_space = 0;

  for (size_t i = 0; i < length; i++) {
    char c = value[i];
    if (c == '\r' || c == '\n' || is_blank(c)) {
      pending_space = total > 0;
      continue;
    }
    if (pending_space) {
      if (used + 1 < size)
        out[used++] = ' ';
      total++;
      pending_space = 0;
    }
    if (used + 1 < size)
      out[used++] = c;
    total++;
  }
  if (size > 0)
    out[used] = '\0';
  return total;
}

static void
field_search_visit(void *cookie, const char *name, size_t name_length,
                   const char *value, size_t value_length)
{
  struct field_search *search = cookie;
  if (search->found_length >= 0 || name_length != search->name_length
      || strncasecmp(name, search->name, name_length) != 0)
    return;
  search->found_length = (long) unfold_copy(value, value_length, search->out,
                                            search->size);
}

long
header_field(const char *block, size_t length, const char *name,
             char *out, size_t size)
{
  struct field_search search = { name, strlen(name), out, size, -1 };
  if (size > 0)
    out[0] = '\0';
  if (block)
    header_each(block, length, field_search_visit, &search);
  return search.found_length;
}

