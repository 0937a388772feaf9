/* SPDX-License-Identifier: GPL-3.0-or-later */
/* signatures.c: loading a site's own signatures file (the shipped ones are
 * compiled in: signature-table.c, generated from rules/signatures.txt).
 * Same format as rules/signatures.txt; bounded by CAP_RULE_FILE_BYTES,
 * CAP_SITE_SIGNATURES lines and CAP_LINE_BYTES per line. The file decides
 * what is filed as backscatter, so it is read as the rule file is: opened
 * once, its owner, mode and directories checked on that descriptor
 * (conffile.h), read whole from it. */
#include <config.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "caps.h"
#include "conffile.h"
#include "signatures.h"

static int
parse_place(const char *word, enum signature_place *place)
{
  static const char *const names[] = { "subject", "body", "strong", "from" };
  for (int i = 0; i < 4; i++)
    if (strcmp(word, names[i]) == 0) {
      *place = (enum signature_place) i;
      return 0;
    }
  return -1;
}

/* Next blank-separated word of *cursor, NUL-terminated in place. */
static char *
next_word(char **cursor)
{
  char *p = *cursor;
  while (*p == ' ' || *p == '\t')
    p++;
  if (!*p)
    return NULL;
  char *word = p;
  while (*p && *p != ' ' && *p != '\t')
    p++;
  if (*p)
    *p++ = '\0';
  *cursor = p;
  return word;
}

int
signatures_load(struct signature_set *set, const char *path, struct failure *failure)
{
  size_t length = 0;
  memset(set, 0, sizeof *set);
  if (conffile_read(path, "signatures file", &set->text, &length,
                    failure) < 0)
    return -1;
  set->items = calloc(CAP_SITE_SIGNATURES, sizeof *set->items);
  if (!set->items) {
    signatures_free(set);
    return failure_set(failure, FAILURE_MEMORY, "%s: out of memory", path);
  }
  if (memchr(set->text, '\0', length)) {
    signatures_free(set);
    return failure_set(failure, FAILURE_CONFIG, "%s: contains a NUL byte "
                       "(expected a text file)", path);
  }
  char *line = set->text;
  for (unsigned number = 1; line && *line; number++) {
    char *end = strchr(line, '\n');
    if (end)
      *end = '\0';
    if (strlen(line) > CAP_LINE_BYTES) {
      signatures_free(set);
      return failure_set(failure, FAILURE_CONFIG, "%s:%u: line too long", path, number);
    }
    char *cursor = line, *place = next_word(&cursor);
    if (place && place[0] != '#') {
      char *kind = next_word(&cursor), *family = next_word(&cursor);
      while (*cursor == ' ' || *cursor == '\t')
        cursor++;
      char *tail = cursor + strlen(cursor);
      while (tail > cursor && (tail[-1] == ' ' || tail[-1] == '\t' || tail[-1] == '\r'))
        *--tail = '\0';
      struct signature signature = { .family = family, .phrase = cursor };
      if (!kind || !family || !*cursor || parse_place(place, &signature.place) < 0
          || kind_parse(kind, &signature.kind) < 0) {
        signatures_free(set);
        return failure_set(failure, FAILURE_CONFIG,
                           "%s:%u: expected PLACE KIND FAMILY PHRASE", path, number);
      }
      if (set->count == CAP_SITE_SIGNATURES) {
        signatures_free(set);
        return failure_set(failure, FAILURE_CONFIG, "%s:%u: more than %d signatures",
                           path, number, CAP_SITE_SIGNATURES);
      }
      set->items[set->count++] = signature;
    }
    line = end ? end + 1 : NULL;
  }
  return 0;
}

void
signatures_free(struct signature_set *set)
{
  free(set->items);
  free(set->text);
  memset(set, 0, sizeof *set);
}
