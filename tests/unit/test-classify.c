/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-classify.c: kinds of automatic mail, from shipped examples, the
 * real messages of tests/fixtures and small constructed messages. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "classify.h"
#include "fixture.h"
#include "../tap.h"

struct file_case {
  const char *file;
  const char *sender;        /* SENDER as the MDA sets it; NULL: unset */
  enum notice_kind kind;
};

static const struct file_case file_cases[] = {
  { "examples/messages/exim-genuine.eml", NULL, KIND_NDR },
  { "examples/messages/exim-forged.eml", NULL, KIND_NDR },
  { "examples/messages/office365-forged.eml", NULL, KIND_DSN },
  { "examples/messages/exchange-forged.eml", NULL, KIND_NDR },
  { "examples/messages/groupwise-forged.eml", NULL, KIND_NDR },
  { "examples/messages/autoreply-genuine.eml", NULL, KIND_AUTOREPLY },
  { "examples/messages/ordinary.eml", NULL, KIND_NONE },
  { "examples/messages/ordinary.eml", "old.friend@example.net", KIND_NONE },
  { "examples/messages/sent.eml", NULL, KIND_NONE },
  { "tests/fixtures/flufl.bounce/exim_01.txt", NULL, KIND_NDR },
  { "tests/fixtures/flufl.bounce/groupwise_01.txt", NULL, KIND_NDR },
  { "tests/fixtures/bounceparser/exchange.unknown.msg", NULL, KIND_NDR },
  { "tests/fixtures/flufl.bounce/dsn_01.txt", NULL, KIND_DSN },
  { "tests/fixtures/flufl.bounce/qmail_01.txt", NULL, KIND_NDR },
  /* Regressions found by the corpus evaluation (EVALUATION.md). */
  { "tests/fixtures/flufl.bounce/dumbass_01.txt", NULL, KIND_NDR },
  { "tests/fixtures/flufl.bounce/microsoft_02.txt", NULL, KIND_NDR },
  { "tests/fixtures/flufl.bounce/simple_39.txt", NULL, KIND_NDR },
  { "tests/fixtures/flufl.bounce/llnl_01.txt", NULL, KIND_NDR },
  { "tests/fixtures/flufl.bounce/simple_22.txt", NULL, KIND_NDR },
  { "tests/fixtures/flufl.bounce/bounce_01.txt", NULL, KIND_NDR },
  { "tests/fixtures/bounceparser/warning-5.msg", NULL, KIND_NDR },
  { "tests/fixtures/bounceparser/autoreply.msg", NULL, KIND_AUTOREPLY },
  { "tests/fixtures/bounceparser/polish-autoreply.msg", NULL, KIND_AUTOREPLY },
  { "tests/fixtures/bounceparser/bluebottle.msg", NULL, KIND_CHALLENGE },
  { "tests/fixtures/bounceparser/boxbe-cr.msg", NULL, KIND_CHALLENGE },
};

struct text_case {
  const char *name;
  const char *message;
  const char *sender;
  enum notice_kind kind;
};

static const struct text_case text_cases[] = {
  { "null SENDER alone makes a bounce",
    "From: someone@example.net\nSubject: hi\n\nhello\n", "", KIND_NDR },
  { "Postfix pipe's MAILER-DAEMON sender",
    "From: x@example.net\nSubject: hi\n\nhello\n", "MAILER-DAEMON", KIND_NDR },
  { "Return-Path <> makes a bounce",
    "Return-Path: <>\nFrom: x@example.net\nSubject: hi\n\nhello\n", NULL, KIND_NDR },
  { "a person quoting a bounce on a list stays ordinary",
    "From: dev@example.com\nList-Id: <dev.lists.example.com>\nSubject: why?\n\n"
    "I got: This message was created automatically by mail delivery software.\n",
    "dev-bounces@lists.example.com", KIND_NONE },
  { "Auto-Submitted: auto-generated alone is ordinary (cron, trackers)",
    "From: cron@example.org\nAuto-Submitted: auto-generated\nSubject: job\n\nok\n",
    NULL, KIND_NONE },
  { "Auto-Submitted: auto-replied is an auto-reply",
    "From: a@example.net\nAuto-Submitted: auto-replied\nSubject: away\n\nback soon\n",
    NULL, KIND_AUTOREPLY },
  { "X-Autoreply is an auto-reply",
    "From: a@example.net\nX-Autoreply: yes\nSubject: Re: x\n\nback soon\n",
    NULL, KIND_AUTOREPLY },
  { "Precedence: auto_reply is an auto-reply",
    "From: a@example.net\nPrecedence: auto_reply\nSubject: Re: x\n\nback soon\n",
    NULL, KIND_AUTOREPLY },
  { "out-of-office subject",
    "From: a@example.net\nSubject: Out of Office: Re: x\n\nback soon\n",
    NULL, KIND_AUTOREPLY },
  { "virus notice subject",
    "From: postmaster@example.net\nSubject: VIRUS in message you sent\n\nremoved\n",
    NULL, KIND_VIRUS },
  { "challenge subject",
    "From: verify@example.net\nSubject: Please confirm your message\n\nclick\n",
    NULL, KIND_CHALLENGE },
  { "MDN by report-type",
    "From: a@example.net\nContent-Type: multipart/report; "
    "report-type=disposition-notification; boundary=B\n\n--B\nContent-Type: text/plain\n\n"
    "read\n--B\nContent-Type: message/disposition-notification\n\n"
    "Disposition: manual-action/MDN-sent-manually; displayed\n--B--\n",
    NULL, KIND_MDN },
  { "ARF by report-type",
    "From: abuse@example.net\nContent-Type: multipart/report; "
    "report-type=feedback-report; boundary=B\n\n--B\nContent-Type: message/feedback-report\n\n"
    "Feedback-Type: abuse\n--B--\n",
    NULL, KIND_ARF },
  { "a list post with a bounce-like subject stays ordinary",
    "From: dev@example.com\nList-Id: <dev.lists.example.com>\n"
    "Subject: Mail delivery failed for one user\n\nHow do I debug this?\n",
    NULL, KIND_NONE },
  { "a person's reply to a bounce stays ordinary",
    "From: dev@example.com\nSubject: Re: Undeliverable: report\n\nFixed the address.\n",
    NULL, KIND_NONE },
  { "Exim's auto-replied bounce is a bounce, not an auto-reply",
    "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\nAuto-Submitted: auto-replied\n"
    "Subject: Mail delivery failed: returning message to sender\n\nA message that you sent\n",
    NULL, KIND_NDR },
  { "an encoded virus subject early wins over a later bounce word",
    "From: postmaster@example.net\nSubject: =?utf-8?q?Virus_found_in_undeliverable_mail?=\n\nx\n",
    NULL, KIND_VIRUS },
  { "a postmaster writing a normal message stays ordinary",
    "From: postmaster@example.net\nSubject: maintenance tonight\n\nthe server reboots\n",
    NULL, KIND_NONE },
};


/* The phrase search done the slow, obvious way (strncasecmp at every
 * position): the oracle the fast search must agree with. */
static int
reference_contains(const char *haystack, size_t length, const char *needle)
{
  size_t needle_length = strlen(needle);
  if (needle_length == 0 || needle_length > length)
    return needle_length == 0;
  for (size_t p = 0; p + needle_length <= length; p++)
    if (strncasecmp(haystack + p, needle, needle_length) == 0)
      return 1;
  return 0;
}

/* Does a site "from" signature with this phrase make this From value look
 * automatic? (classify_needs_mime, with nothing else in the header.) */
static int
from_matches(const char *from, const char *phrase)
{
  struct signature item = { PLACE_FROM, KIND_NDR, "test", phrase };
  struct signature_set site = { &item, 1, NULL };
  char message[512];
  struct input input;
  struct notice notice;
  struct failure failure;
  snprintf(message, sizeof message, "From: %s\n\n", from);
  if (input_from_buffer(message, strlen(message), &input, &failure) < 0)
    return -1;
  notice_parse_header(&input, &notice, &failure);
  int needs = classify_needs_mime(&notice, NULL, &site);
  notice_free(&notice);
  input_free(&input);
  return needs;
}

/* Classify a message with the given site signatures; the kind and what
 * recognised it ("kind/signature"). */
static const char *
classify_with(const char *message, const struct signature *items, size_t count,
              char *out, size_t size)
{
  struct signature_set site = { (struct signature *) items, count, NULL };
  struct input input;
  struct notice notice;
  struct failure failure;
  struct classification classification;
  input_from_buffer(message, strlen(message), &input, &failure);
  notice_parse(&input, &notice, &failure);
  classify_notice(&notice, NULL, &site, &classification);
  snprintf(out, size, "%s/%s", kind_name(classification.kind), classification.signature);
  notice_free(&notice);
  input_free(&input);
  return out;
}

static void
test_phrase_search(void)
{
  static const struct { const char *from; const char *phrase; int found; } cases[] = {
    { "Zebra Crossing", "zebra", 1 },               /* at the start */
    { "Zebra Crossing", "crossing", 1 },            /* at the end */
    { "Zebra Crossing", "zebra crossing", 1 },      /* the whole text */
    { "ZeBrA", "zebra", 1 },                        /* mixed case */
    { "zebra", "ZEBRA", 1 },                        /* regression: a capital first letter
                                                       matched only as written */
    { "Zebra", "ZEBRA", 1 },
    { "zeb", "zebra", 0 },                          /* phrase longer than text */
    { "z", "zz", 0 },
    { "aaaaaaab", "aaab", 1 },                      /* overlapping partial matches */
    { "aaaaaaa", "aaab", 0 },
    { "xq-qx", "-q", 1 },                           /* first byte not a letter */
    { "xQ-Qx", "-q", 1 },
    { "n'a pas pu \xc3\xaatre remis", "\xc3\xaatre", 1 },  /* UTF-8: exact */
    { "n'a pas pu \xc3\x8aTRE remis", "\xc3\xaatre", 0 },
    { "postmasterX", "masterx", 1 },
    { "abc", "abd", 0 },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    TAP_INT(from_matches(cases[i].from, cases[i].phrase), cases[i].found,
            "phrase '%s' in '%s'", cases[i].phrase, cases[i].from);

  /* Many random texts and phrases over a small alphabet (so that partial
   * matches abound) against the obvious search. */
  static const char alphabet[] = "abAB-.";
  unsigned seed = 12345, disagreements = 0, tried = 0, found = 0;
  for (int round = 0; round < 3000; round++) {
    char text[48], phrase[8];
    size_t text_length = 1 + (seed = seed * 1103515245u + 12345u) / 65536 % 40;
    size_t phrase_length = 1 + (seed = seed * 1103515245u + 12345u) / 65536 % 6;
    for (size_t i = 0; i < text_length; i++)
      text[i] = alphabet[(seed = seed * 1103515245u + 12345u) / 65536 % 6];
    for (size_t i = 0; i < phrase_length; i++)
      phrase[i] = alphabet[(seed = seed * 1103515245u + 12345u) / 65536 % 6];
    text[text_length] = phrase[phrase_length] = '\0';
    int want = reference_contains(text, text_length, phrase);
    int got = from_matches(text, phrase);
    tried++;
    found += want;
    if (got != want && disagreements++ < 5)
      printf("# '%s' in '%s': got %d, want %d\n", phrase, text, got, want);
  }
  TAP_INT(disagreements, 0, "random phrases: same as a naive case-insensitive search (%u tried, %u found)",
          tried, found);
  TAP_OK(found > 300 && found < tried - 300, "random phrases: both outcomes well covered");

  /* The first signature of the table that occurs wins, wherever it is;
   * in the subject, the phrase that starts earliest wins, in any case. */
  static const struct signature strong[] = {
    { PLACE_STRONG, KIND_CHALLENGE, "second-in-text", "zebra crossing" },
    { PLACE_STRONG, KIND_VIRUS, "first-in-text", "yellow kiwi" },
  };
  static const struct signature subject[] = {
    { PLACE_SUBJECT, KIND_CHALLENGE, "alpha", "alpha" },
    { PLACE_SUBJECT, KIND_VIRUS, "beta", "Beta" },
  };
  static const struct {
    const struct signature *site;
    const char *message, *want, *name;
  } order_cases[] = {
    { strong, "Subject: hi\n\nA Yellow Kiwi met a ZEBRA CROSSING.\n",
      "challenge/second-in-text", "first signature in table order wins" },
    { strong, "Subject: hi\n\nA Yellow Kiwi only.\n",
      "virus/first-in-text", "a later signature when the first is absent" },
    { strong, "Subject: hi\n\nyellow kiw\n",
      "none/", "a phrase cut short at the end of the text does not match" },
    { subject, "Subject: beta alpha Beta\n\nx\n",
      "virus/beta", "subject: earliest position, in any case, of a found phrase" },
    { subject, "Subject: beta alpha beta\n\nx\n",
      "virus/beta", "subject: a capitalised phrase is found in lower case too (regression)" },
    { subject, "Subject: gamma ALPHA Beta\n\nx\n",
      "challenge/alpha", "subject: the earlier of two found phrases" },
  };
  for (size_t i = 0; i < sizeof order_cases / sizeof order_cases[0]; i++) {
    char message[256], out[128];
    snprintf(message, sizeof message, "From: a@example.net\n%s", order_cases[i].message);
    TAP_STR(classify_with(message, order_cases[i].site, 2, out, sizeof out),
            order_cases[i].want, "%s", order_cases[i].name);
  }
}

int
main(void)
{
  for (size_t i = 0; i < sizeof file_cases / sizeof file_cases[0]; i++) {
    const struct file_case *c = &file_cases[i];
    struct input input;
    struct notice notice;
    struct classification classification;
    struct context context = { .sender = c->sender };
    if (fixture_notice(c->file, &input, &notice) < 0) {
      TAP_OK(0, "%s readable", c->file);
      continue;
    }
    classify_notice(&notice, &context, NULL, &classification);
    TAP_STR(kind_name(classification.kind), kind_name(c->kind), "%s (sender %s)",
            c->file, c->sender ? c->sender : "unset");
    notice_free(&notice);
    input_free(&input);
  }
  for (size_t i = 0; i < sizeof text_cases / sizeof text_cases[0]; i++) {
    const struct text_case *c = &text_cases[i];
    struct input input;
    struct notice notice;
    struct failure failure;
    struct classification classification;
    struct context context = { .sender = c->sender };
    input_from_buffer(c->message, strlen(c->message), &input, &failure);
    notice_parse(&input, &notice, &failure);
    classify_notice(&notice, &context, NULL, &classification);
    TAP_STR(kind_name(classification.kind), kind_name(c->kind), "%s", c->name);
    notice_free(&notice);
    input_free(&input);
  }
  /* classify_needs_mime: from the header alone, must the body be walked? */
  static const struct { const char *message; const char *sender; int needs; } headers[] = {
    { "From: a@b.example\nSubject: hello\n\n", NULL, 0 },
    { "From: a@b.example\nSubject: hello\n\n", "", 1 },
    { "Return-Path: <>\nFrom: a@b.example\n\n", NULL, 1 },
    { "From: MAILER-DAEMON@x.example\n\n", NULL, 1 },
    { "From: a@b.example\nContent-Type: multipart/report; report-type=x\n\n", NULL, 1 },
    { "From: a@b.example\nAuto-Submitted: auto-replied\n\n", NULL, 1 },
    { "From: a@b.example\nSubject: Undeliverable: x\n\n", NULL, 1 },
    { "From: a@b.example\nSubject: Re: Undeliverable: x\n\n", NULL, 0 },
    { "From: a@b.example\nContent-Type: multipart/mixed; boundary=x\n\n", NULL, 0 },
  };
  for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
    struct input input;
    struct notice notice;
    struct failure failure;
    struct context context = { .sender = headers[i].sender };
    input_from_buffer(headers[i].message, strlen(headers[i].message), &input, &failure);
    notice_parse_header(&input, &notice, &failure);
    TAP_INT(classify_needs_mime(&notice, &context, NULL), headers[i].needs,
            "needs_mime %zu (sender %s)", i, headers[i].sender ? headers[i].sender : "unset");
    notice_free(&notice);
    input_free(&input);
  }

  static const struct { const char *sender; int null; } senders[] = {
    { "", 1 }, { "<>", 1 }, { " ", 1 }, { "MAILER-DAEMON", 1 },
    { "mailer-daemon@mx.example.net", 1 }, { "<MAILER-DAEMON@x>", 1 },
    { "user@example.org", 0 }, { "mailer-daemonx@example.org", 0 }, { NULL, 0 },
  };
  for (size_t i = 0; i < sizeof senders / sizeof senders[0]; i++)
    TAP_INT(classify_is_null_sender(senders[i].sender), senders[i].null,
            "null sender '%s'", senders[i].sender ? senders[i].sender : "(unset)");
  test_phrase_search();
  return tap_done();
}
