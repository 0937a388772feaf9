/* SPDX-License-Identifier: GPL-3.0-or-later */
/* copymarks.c: where a notice's quoted copy of the original begins, for
 * classify.c and references.c (include/copymarks.h). One list, so that
 * the text that decides a notice's kind and the text that names its
 * failed recipients end at the same line. It is the union of the two
 * lists those modules kept before, with two deliberate exceptions:
 * - "Content-Type: message/rfc822" and "text/rfc822-headers" only, not
 *   any Content-Type (references.c had that): a body read as text (no
 *   MIME header) shows its parts' headers, and its first part's
 *   "Content-Type: text/plain" comes before the notice's own words
 *   (flufl.bounce microsoft_02: its failed recipient was lost);
 * - the transcript ends the list of failed recipients only
 *   (COPYMARK_TRANSCRIPT): it is the notice's own words, not a copy.
 * A copied header block starts with Received, Return-Path, Message-ID or,
 * when the copy is made before any Received is added (a submission
 * server's own bounce of DKIM-signed mail), DKIM-Signature. "original
 * message" as a prefix covers "Original message follows" and Exchange's
 * "Original message headers:"; the dashed forms are Outlook's.
 * A mark cut too early costs words, never precision: fewer words make
 * fewer notices, and fewer recipients (which only ever prove mail ours).
 * Measured on tests/corpus (make evaluate, and an --explain trace of each
 * file): the union changes one trace (microsoft_02 above) and no figure.
 */
#include <config.h>
#include <string.h>
#include <strings.h>
#include "copymarks.h"

/* Who writes each, as they spell it: tests/unit/test-classify.c and
 * test-references.c (a case per mark). */
const struct copymark copymarks[] = {
  { "received:", COPYMARK_ORIGINAL },
  { "return-path:", COPYMARK_ORIGINAL },
  { "message-id:", COPYMARK_ORIGINAL },
  { "dkim-signature:", COPYMARK_ORIGINAL },
  { "content-type: message/rfc822", COPYMARK_ORIGINAL },
  { "content-type: text/rfc822-headers", COPYMARK_ORIGINAL },
  { "------ this is a copy", COPYMARK_ORIGINAL },          /* Exim */
  { "--- below this line is a copy", COPYMARK_ORIGINAL },  /* qmail */
  { "----- original message", COPYMARK_ORIGINAL },         /* sendmail, Outlook */
  { "-----original message", COPYMARK_ORIGINAL },          /* Outlook */
  { "original message", COPYMARK_ORIGINAL },               /* generic, Exchange */
  { "--- the header of the original", COPYMARK_ORIGINAL },
  { "---- header of the source", COPYMARK_ORIGINAL },
  { "----- transcript", COPYMARK_TRANSCRIPT },             /* sendmail */
};

const size_t copymark_count = sizeof copymarks / sizeof copymarks[0];

const struct copymark *
copymark_find(const char *line, size_t length)
{
  while (length > 0 && (*line == ' ' || *line == '\t' || *line == '>')) {
    line++;
    length--;
  }
  for (size_t i = 0; i < copymark_count; i++) {
    size_t n = strlen(copymarks[i].prefix);
    if (length >= n && strncasecmp(line, copymarks[i].prefix, n) == 0)
      return &copymarks[i];
  }
  return NULL;
}
