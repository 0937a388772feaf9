/* SPDX-License-Identifier: GPL-3.0-or-later */
/* copymark-cases.h: one bounce per mark of copymarks.h, as the mail
 * servers that write it spell it, for test-classify.c and
 * test-references.c. Each bounce names its failed recipient, then the mark,
 * then a copy of the original whose first fields would mislead if the mark
 * were missed: a challenge system's phrase in the copy's Subject (the kind
 * would be "challenge") and another address in its To (a second "failed
 * recipient"). The copy's Message-ID is the original's. */
#ifndef BSF_TEST_COPYMARK_CASES_H
#define BSF_TEST_COPYMARK_CASES_H

#include <stdio.h>
#include <string.h>
#include "copymarks.h"

struct copymark_case {
  const char *writer;        /* who writes this line */
  const char *line;          /* the mark's line, as written */
  int blank_after;           /* an announcement: a blank line before the copy */
};

static const struct copymark_case copymark_cases[] = {
  { "a copied header block (most servers)", "Received: from mx.ours.example by mx.far.example", 0 },
  { "a copied header block", "Return-Path: <me@ours.example>", 0 },
  { "a copied header block", "Message-ID: <original@ours.example>", 0 },
  { "a submission server's copy of DKIM-signed mail",
    "DKIM-Signature: v=1; a=rsa-sha256; d=ours.example; s=s1; h=From:To:Subject", 0 },
  { "a MIME part in a body read as text", "Content-Type: message/rfc822", 1 },
  { "a MIME part of headers in a body read as text", "Content-Type: text/rfc822-headers", 1 },
  { "Exim", "------ This is a copy of the message, including all the headers. ------", 1 },
  { "qmail", "--- Below this line is a copy of the message.", 1 },
  { "sendmail", "   ----- Original message follows -----", 1 },
  { "Outlook, quoted", "> ----- Original Message -----", 1 },
  { "Outlook", "-----Original Message-----", 1 },
  { "generic", "Original message follows.", 1 },
  { "Exchange", "Original message headers:", 1 },
  { "a Japanese carrier's English part", "--- The header of the original message is following. ---", 1 },
  { "a gateway", "---- Header of the source message follows ----", 1 },
};

#define COPYMARK_CASE_COUNT (sizeof copymark_cases / sizeof copymark_cases[0])

/* The bounce of case i, in buffer (size bytes). */
static inline const char *
copymark_bounce(size_t i, char *buffer, size_t size)
{
  snprintf(buffer, size,
           "Return-Path: <>\n"
           "From: Mail Delivery System <MAILER-DAEMON@mx.far.example>\n"
           "To: me@ours.example\n"
           "Subject: Mail delivery failed: returning message to sender\n\n"
           "This message was created automatically by mail delivery software.\n\n"
           "A message that you sent could not be delivered to one or more of its\n"
           "recipients. This is a permanent error. The following address(es) failed:\n\n"
           "  lost@far.example\n"
           "    550 5.1.1 User unknown\n\n"
           "%s\n%s"
           "Subject: protected by Bluebottle\n"
           "From: me@ours.example\n"
           "To: other@far.example\n"
           "Message-ID: <original@ours.example>\n\n"
           "hello\n",
           copymark_cases[i].line, copymark_cases[i].blank_after ? "\n" : "");
  return buffer;
}

/* Is every mark of copymarks.h covered: a copy mark by a case here, the
 * transcript's by the caller's own test? The first mark without one, or
 * NULL. */
static inline const char *
copymark_without_case(void)
{
  for (size_t m = 0; m < copymark_count; m++) {
    int covered = copymarks[m].kind == COPYMARK_TRANSCRIPT;
    for (size_t i = 0; i < COPYMARK_CASE_COUNT && !covered; i++) {
      const char *line = copymark_cases[i].line;
      covered = copymark_find(line, strlen(line)) == &copymarks[m];
    }
    if (!covered)
      return copymarks[m].prefix;
  }
  return NULL;
}

#endif
