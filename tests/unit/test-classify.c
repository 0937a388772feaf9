/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-classify.c: kinds of automatic mail, from shipped examples, the
 * real messages of tests/fixtures and small constructed messages. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "classify.h"
#include "copymark-cases.h"
#include "fixture.h"
#include "muplugin.h"
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
  /* Issue 13: ordinary mail that speaks of viruses, vacations and
   * undeliverable things, and the notices nobody here wrote. */
  { "tests/messages/rt-virus-alert.eml", NULL, KIND_NONE },
  { "tests/messages/jira-out-of-office.eml", NULL, KIND_NONE },
  { "tests/messages/vacation-schedule.eml", NULL, KIND_NONE },
  { "tests/messages/invoice-thanks.eml", NULL, KIND_NONE },
  { "tests/messages/calendar-accepted.eml", NULL, KIND_NONE },
  { "tests/messages/calendar-accepted.eml", "", KIND_NONE },
  { "tests/messages/autoreply-foreign.eml", NULL, KIND_AUTOREPLY },
  { "tests/messages/sms-gateway-bounce.eml", NULL, KIND_NDR },
  { "tests/messages/shapes/jmrp-complaint.eml", NULL, KIND_ARF }, /* Hotmail JMRP */
  { "tests/messages/shapes/apple-unsubscribe.eml", NULL, KIND_ARF }, /* unsubscribe */
  { "tests/messages/shapes/ses-sns-bounce.eml", NULL, KIND_NDR },
  { "tests/messages/shapes/ses-sns-bounce-wrapped.eml", NULL, KIND_NDR },
  { "tests/messages/shapes/ses-sns-complaint.eml", NULL, KIND_ARF },
  { "tests/messages/shapes/ses-sns-delivery.eml", NULL, KIND_NONE }, /* delivered */
  { "tests/messages/shapes/fml-not-member.eml", NULL, KIND_NDR }, /* not member */
  { "tests/messages/shapes/googlegroups-may-not-exist.eml", NULL, KIND_NDR },
  { "tests/messages/shapes/carrier-iso2022jp.eml", NULL, KIND_NDR }, /* ISO-2022-JP */
  { "tests/messages/shapes/postfix-dsn-bare-id.eml", NULL, KIND_DSN },
  { "tests/messages/shapes/isp-quoted-postfix-dsn.eml", NULL, KIND_NDR },
  { "tests/messages/shapes/person-fwd-sendmail-bounce.eml", NULL, KIND_NONE }, /* Fwd by a person */
  { "tests/messages/shapes/gateway-wrapped-dsn.eml", NULL, KIND_DSN },
  { "tests/messages/shapes/carrier-quoted-cr.eml", NULL, KIND_NDR }, /* CR only */
  { "tests/messages/shapes/gateway-wrapped-dsn-cr.eml", NULL, KIND_DSN },
  /* Shapes of public bounce collections not in tests/corpus. */
  { "tests/messages/shapes/arf-unfolded-boundary.eml", NULL, KIND_ARF },
  { "tests/messages/shapes/hotmail-jmr-inline.eml", NULL, KIND_ARF },
  { "tests/messages/shapes/ticket-answer-empty-x-autoreply.eml", NULL, KIND_NONE },
  { "tests/messages/shapes/arf-id-in-words.eml", NULL, KIND_ARF },
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
  { "out-of-office subject with a null Return-Path",
    "Return-Path: <>\nFrom: a@example.net\nSubject: Out of Office: Re: x\n\nback soon\n",
    NULL, KIND_AUTOREPLY },
  { "an out-of-office subject alone is a person's mail",
    "From: a@example.net\nSubject: Out of Office: Re: x\n\nback soon\n",
    NULL, KIND_NONE },
  { "virus notice subject",
    "From: postmaster@example.net\nSubject: VIRUS in message you sent\n\nremoved\n",
    NULL, KIND_VIRUS },
  { "challenge subject on an auto-reply",
    "From: verify@example.net\nAuto-Submitted: auto-replied\n"
    "Subject: Please confirm your message\n\nclick\n",
    NULL, KIND_CHALLENGE },
  { "a challenge subject alone is ordinary",
    "From: verify@example.net\nSubject: Please confirm your message\n\nclick\n",
    NULL, KIND_NONE },
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
  { "Auto-Submitted: auto-generated with a virus subject is ordinary (tickets)",
    "From: help@help.example\nAuto-Submitted: auto-generated\n"
    "Subject: [help #1] Virus alert on my laptop\nIn-Reply-To: <t@help.example>\n\nscanned\n",
    NULL, KIND_NONE },
  { "a subject phrase alone makes nothing a notice",
    "From: a@example.net\nSubject: Undeliverable parcels\n\nback to the desk\n",
    NULL, KIND_NONE },
  { "a strong phrase alone makes nothing a notice",
    "From: a@example.net\nSubject: hi\n\nI use a challenge-response filter.\n",
    NULL, KIND_NONE },
  { "a body phrase with an auto-generated header is ordinary",
    "From: ci@example.net\nAuto-Submitted: auto-generated\nSubject: build\n\n"
    "This message was created automatically by mail delivery software.\n",
    NULL, KIND_NONE },
  { "a vendor notice field: X-Failed-Recipients",
    "From: someone@example.net\nX-Failed-Recipients: lost@far.example\nSubject: x\n\ngone\n",
    NULL, KIND_NDR },
  { "a phrase only on a listed Subject: line is someone else's words",
    "From: dev-owner@lists.example\nX-Mailman-Version: 2.1.39\n"
    "Subject: Dev post from pat@else.example requires approval\n\n"
    "    From:    pat@else.example\n    Subject: Mail delivery failed again\n",
    NULL, KIND_NONE },
  { "... and counts in the notice's own words",
    "From: dev-owner@lists.example\nX-Mailman-Version: 2.1.39\n"
    "Subject: Dev post from pat@else.example\n\n"
    "Mail delivery failed again\n", NULL, KIND_NDR },
  { "a list manager's rejection from -admin@",
    "From: dev-admin@lists.example\nX-ML-Name: dev\n"
    "Subject: You user@example.org are not member (dev ML)\n\n"
    "You are not a member of this mailing list <dev@lists.example>.\n",
    NULL, KIND_NDR },
  { "an administrator's reply in a thread stays a person",
    "From: System Administrator <it@example.net>\nSubject: Re: Vacation schedule\n"
    "In-Reply-To: <v@example.org>\n\nI am on vacation too.\n",
    NULL, KIND_NONE },
  { "an attached original with a notice's subject (no sender signal)",
    "From: staff@mail.example\nSubject: complaint about message from 192.0.2.1\n"
    "Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: message/rfc822\n\n"
    "From: user@example.org\nMessage-ID: <c@example.org>\nSubject: hi\n\nhi\n--B--\n",
    NULL, KIND_ARF },
  { "a person forwarding a message as an attachment stays a person",
    "From: a@example.net\nSubject: Fwd: Undeliverable: report\n"
    "Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: message/rfc822\n\n"
    "From: MAILER-DAEMON@x.example\nMessage-ID: <c@x.example>\nSubject: Undeliverable\n\nx\n--B--\n",
    NULL, KIND_NONE },
  { "a copy of the original's X-Virus-Scanned does not make a virus notice",
    "Return-Path: <>\nFrom: Mail Delivery Subsystem <mailer-daemon@x.example>\n"
    "Subject: Delivery Status Notification (Failure)\n\nThe group may not exist.\n\n"
    "----- Original message -----\n\nX-Virus-Scanned: ClamAV\nMessage-ID: <o@example.org>\n\nhi\n",
    NULL, KIND_NDR },
  { "an original's headers copied into a notice's text (no sender signal)",
    "From: E500_Mail@example.org\nSubject: Returned Mail - Error During Delivery\n\n"
    "<userx@example.com>: mailbox unavailable\n-------- Returned Mail --------\n\n"
    "Received: from mx.example.org by mx.example.com\nMessage-ID: <m@example.org>\n"
    "Subject: hi\n\nhi\n", NULL, KIND_NDR },
  { "a list post pasting a bounce's copied headers stays a person's",
    "From: dev@example.com\nList-Id: <dev.lists.example.com>\n"
    "Subject: Returned Mail - Error During Delivery\n\nI got this:\n\n"
    "Received: from mx.example.org by mx.example.com\nMessage-ID: <m@example.org>\n"
    "Subject: hi\n\nhi\n", NULL, KIND_NONE },
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

/* Does a site subject signature with this phrase occur in this subject?
 * (The phrase search every place uses; the subject is read as written,
 * with no prefix to skip, and only the site's phrase counts.) */
static int
subject_matches(const char *subject, const char *phrase)
{
  struct signature item = { PLACE_SUBJECT, KIND_NDR, "test", phrase };
  struct signature_set site = { &item, 1, NULL };
  char message[512];
  struct input input;
  struct notice notice;
  struct failure failure;
  snprintf(message, sizeof message, "Subject: %s\n\n", subject);
  if (input_from_buffer(message, strlen(message), &input, &failure) < 0)
    return -1;
  notice_parse_header(&input, &notice, &failure);
  struct header_signals header;
  classify_header(&notice, NULL, &site, &header, NULL);
  int found = header.subject_phrase == &item;
  notice_free(&notice);
  input_free(&input);
  return found;
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
  fixture_notice_parse(&input, &notice, &failure);
  fixture_classify(&notice, NULL, &site, &classification);
  snprintf(out, size, "%s/%s", kind_name(classification.kind), classification.signature);
  notice_free(&notice);
  input_free(&input);
  return out;
}

static void
test_phrase_search(void)
{
  static const struct { const char *text; const char *phrase; int found; } cases[] = {
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
    TAP_INT(subject_matches(cases[i].text, cases[i].phrase), cases[i].found,
            "phrase '%s' in '%s'", cases[i].phrase, cases[i].text);

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
    int got = subject_matches(text, phrase);
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
      "ndr/null-sender", "a phrase cut short at the end of the text does not match" },
    { subject, "Subject: beta alpha Beta\n\nx\n",
      "virus/beta", "subject: earliest position, in any case, of a found phrase" },
    { subject, "Subject: beta alpha beta\n\nx\n",
      "virus/beta", "subject: a capitalised phrase is found in lower case too (regression)" },
    { subject, "Subject: gamma ALPHA Beta\n\nx\n",
      "challenge/alpha", "subject: the earlier of two found phrases" },
  };
  for (size_t i = 0; i < sizeof order_cases / sizeof order_cases[0]; i++) {
    char message[256], out[128];
    snprintf(message, sizeof message, "Return-Path: <>\nFrom: a@example.net\n%s",
             order_cases[i].message);
    TAP_STR(classify_with(message, order_cases[i].site, 2, out, sizeof out),
            order_cases[i].want, "%s", order_cases[i].name);
  }
}

/* The message with every line end (LF or CRLF) made `end` ("\r" classic
 * Mac, "\r\n" DOS, "\n"). */
static char *
with_line_ends(const char *data, size_t length, const char *end, size_t *out_length)
{
  size_t end_length = strlen(end), used = 0;
  char *out = malloc(length * 2 + 1);
  for (size_t i = 0; out && i < length; i++) {
    if (data[i] == '\r' && i + 1 < length && data[i + 1] == '\n')
      continue;
    if (data[i] == '\n' || data[i] == '\r') {
      memcpy(out + used, end, end_length);
      used += end_length;
    } else {
      out[used++] = data[i];
    }
  }
  *out_length = used;
  return out;
}

static enum notice_kind
kind_of_buffer(const char *data, size_t length, const char *sender)
{
  struct input input;
  struct notice notice;
  struct failure failure;
  struct classification classification;
  struct context context = { .sender = sender };
  if (input_from_buffer(data, length, &input, &failure) < 0)
    return KIND_COUNT;
  fixture_notice_parse(&input, &notice, &failure);
  fixture_classify(&notice, &context, NULL, &classification);
  notice_free(&notice);
  input_free(&input);
  return classification.kind;
}

/* CR-only and CRLF line ends are judged exactly like LF ones, at any
 * depth (issue 13: classic-Mac files were read as one header line). */
static void
test_line_ends(void)
{
  static const char *const ends[] = { "\r", "\r\n" };
  for (size_t i = 0; i < sizeof file_cases / sizeof file_cases[0]; i++) {
    size_t length;
    char *data = fixture_read(file_cases[i].file, &length);
    if (!data) {
      TAP_OK(0, "%s readable", file_cases[i].file);
      continue;
    }
    enum notice_kind want = kind_of_buffer(data, length, file_cases[i].sender);
    for (size_t e = 0; e < 2; e++) {
      size_t converted_length;
      char *converted = with_line_ends(data, length, ends[e], &converted_length);
      TAP_STR(kind_name(kind_of_buffer(converted, converted_length, file_cases[i].sender)),
              kind_name(want), "%s with %s line ends: as with LF", file_cases[i].file,
              e ? "CRLF" : "CR-only");
      free(converted);
    }
    free(data);
  }
  /* An attached original whose own lines end in CR only (base64 inside
   * an LF message): its header block is still read. */
  static const char nested[] =
    "Return-Path: <>\nFrom: MAILER-DAEMON@x.example\nSubject: Returned mail\n"
    "Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\n"
    "User unknown\n--B\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
    /* "From: user@example.org\rMessage-ID: <cr@example.org>\rSubject: hi\r\rhi\r" */
    "RnJvbTogdXNlckBleGFtcGxlLm9yZw1NZXNzYWdlLUlEOiA8Y3JAZXhhbXBsZS5vcmc+DVN1Ympl\n"
    "Y3Q6IGhpDQ1oaQ0=\n--B--\n";
  struct input input;
  struct notice notice;
  struct failure failure;
  struct classification classification;
  input_from_buffer(nested, sizeof nested - 1, &input, &failure);
  fixture_notice_parse(&input, &notice, &failure);
  fixture_classify(&notice, NULL, NULL, &classification);
  int found = 0;
  for (size_t i = 0; i < notice.part_count; i++)
    if (notice.parts[i].role == PART_ORIGINAL_MESSAGE && notice.parts[i].content)
      found |= strstr(notice.parts[i].content, "Message-ID: <cr@example.org>\n") != NULL;
  TAP_OK(found, "a CR-only original inside an LF bounce: its header read line by line");
  TAP_STR(kind_name(classification.kind), "ndr", "a CR-only original inside: kind ndr");
  notice_free(&notice);
  input_free(&input);
}

/* classify_header: what the top header alone says, and from it
 * classify_needs_mime: must the body be walked? */
static void
test_header_signals(void)
{
  static const struct {
    const char *message;
    const char *sender;            /* SENDER; NULL: unset */
    int needs;                     /* classify_needs_mime */
    unsigned signals;              /* header_signals.signals */
    enum vendor_notice vendor;
    int reply_subject;
    const char *subject_family;    /* of subject_phrase, NULL: none */
  } cases[] = {
    { "From: a@b.example\nSubject: hello\n\n", NULL, 0, 0, VENDOR_NONE, 0, NULL },
    { "From: a@b.example\nSubject: hello\n\n", "", 1, SIGNAL_NULL_SENDER, VENDOR_NONE,
      0, NULL },
    { "Return-Path: <>\nFrom: a@b.example\n\n", NULL, 1, SIGNAL_NULL_SENDER,
      VENDOR_NONE, 0, NULL },
    { "From: MAILER-DAEMON@x.example\n\n", NULL, 1,
      SIGNAL_NULL_SENDER | SIGNAL_DAEMON_FROM, VENDOR_NONE, 0, NULL },
    { "From: a@b.example\nContent-Type: multipart/report; report-type=x\n\n", NULL, 1, 0,
      VENDOR_NONE, 0, NULL },
    { "From: a@b.example\nContent-Type: message/rfc822\n\n", NULL, 1, 0, VENDOR_NONE, 0,
      NULL },
    { "From: a@b.example\nAuto-Submitted: auto-replied\n\n", NULL, 1, SIGNAL_AUTO_REPLY,
      VENDOR_NONE, 0, NULL },
    { "From: a@b.example\nX-Autoreply: yes\n\n", NULL, 1, SIGNAL_AUTO_REPLY,
      VENDOR_NONE, 0, NULL },
    /* An empty one, as ticket systems write into people's answers. */
    { "From: a@b.example\nX-Autoreply:\n\n", NULL, 0, 0, VENDOR_NONE, 0, NULL },
    { "From: a@b.example\nX-Autorespond: \n\n", NULL, 0, 0, VENDOR_NONE, 0, NULL },
    { "From: a@b.example\nSubject: Undeliverable: x\n\n", NULL, 0, 0, VENDOR_NONE, 0,
      "exchange" },
    { "From: a@b.example\nContent-Type: multipart/mixed; boundary=x\n"
      "Subject: Undeliverable: x\n\n", NULL, 1, 0, VENDOR_NONE, 0, "exchange" },
    { "From: a@b.example\nAuto-Submitted: auto-generated\n\n", NULL, 0, 0, VENDOR_NONE,
      0, NULL },
    { "From: a@b.example\nX-Failed-Recipients: b@c.example\n\n", NULL, 1,
      SIGNAL_VENDOR_NOTICE, VENDOR_FAILED_RECIPIENTS, 0, NULL },
    { "From: list-admin@b.example\nX-Mailman-Version: 2.1.39\n\n", NULL, 1,
      SIGNAL_DAEMON_FROM, VENDOR_NONE, 0, NULL },
    { "From: it-admin@b.example\n\n", NULL, 0, 0, VENDOR_NONE, 0, NULL },
    { "From: a@b.example\nSubject: Re: Undeliverable: x\n\n", NULL, 0, 0, VENDOR_NONE,
      1, "exchange" },
    { "From: a@b.example\nContent-Type: multipart/mixed; boundary=x\n"
      "Subject: Re: Undeliverable: x\n\n", NULL, 0, 0, VENDOR_NONE, 1, "exchange" },
    { "From: a@b.example\nContent-Type: multipart/mixed; boundary=x\n\n", NULL, 0, 0,
      VENDOR_NONE, 0, NULL },
    { "From: a@b.example\nList-Id: <l.b.example>\nSubject: hello\n\n", NULL, 0,
      SIGNAL_LIST, VENDOR_NONE, 0, NULL },
    /* vacation(1): "Precedence: junk" with an auto-reply's subject is an
     * auto-reply's header, but no RFC 3834 field: the walk is not needed. */
    { "From: a@b.example\nPrecedence: junk\nSubject: Out of office\n\n", NULL, 0,
      SIGNAL_AUTO_REPLY, VENDOR_NONE, 0, "autoreply" },
    { "From: a@b.example\nPrecedence: junk\nSubject: Re: Out of office\n\n", NULL, 0,
      0, VENDOR_NONE, 1, "autoreply" },
    /* ... but not with another RFC 3834 field, nor a list's or bulk sender's */
    { "From: a@b.example\nPrecedence: junk\nAuto-Submitted: auto-generated\n"
      "Subject: Out of office\n\n", NULL, 0, 0, VENDOR_NONE, 0, "autoreply" },
    { "From: a@b.example\nPrecedence: junk\nList-Unsubscribe: <mailto:u@b.example>\n"
      "Subject: Out of office\n\n", NULL, 0, 0, VENDOR_NONE, 0, "autoreply" },
    { "From: a@b.example\nX-Amz-Sns-Message-Id: 1\n\n", NULL, 1, SIGNAL_VENDOR_NOTICE,
      VENDOR_SNS, 0, NULL },
    { "From: a@b.example\nX-HmXmrOriginalRecipient: c@d.example\n\n", NULL, 1,
      SIGNAL_VENDOR_NOTICE, VENDOR_HOTMAIL_JMR, 0, NULL },
    { "From: a@b.example\nX-HmXmrOriginalRecipient:\n\n", NULL, 0, 0, VENDOR_NONE, 0,
      NULL },
    /* RFC 2047: the decoded subject is what is read. */
    { "From: a@b.example\nContent-Type: multipart/mixed; boundary=x\n"
      "Subject: =?UTF-8?Q?Undeliverable=3A_x?=\n\n", NULL, 1, 0, VENDOR_NONE, 0,
      "exchange" },
    { "", NULL, 0, 0, VENDOR_NONE, 0, NULL },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct input input;
    struct notice notice;
    struct failure failure;
    struct header_signals header;
    struct context context = { .sender = cases[i].sender };
    input_from_buffer(cases[i].message, strlen(cases[i].message), &input, &failure);
    notice_parse_header(&input, &notice, &failure);
    classify_header(&notice, &context, NULL, &header, NULL);
    TAP_INT(classify_needs_mime(&header), cases[i].needs, "header %zu (sender %s): needs_mime",
            i, cases[i].sender ? cases[i].sender : "unset");
    TAP_INT(header.signals, cases[i].signals, "header %zu: signals", i);
    TAP_INT(header.vendor, cases[i].vendor, "header %zu: vendor", i);
    TAP_INT(header.reply_subject, cases[i].reply_subject, "header %zu: reply subject", i);
    TAP_STR(header.subject_phrase ? header.subject_phrase->family : "(none)",
            cases[i].subject_family ? cases[i].subject_family : "(none)",
            "header %zu: subject signature", i);
    notice_free(&notice);
    input_free(&input);
  }
}

/* Who sent it: the From field's address makes a null or daemon sender,
 * never its display name (free text a person sets: "System
 * Administrator" <it@...> is a person). Each From value through
 * classify_header, with no envelope sender. */
static void
test_daemon_from(void)
{
  static const struct signature site_items[] = {
    { PLACE_FROM, KIND_NDR, "site", "nobounce" },
    { PLACE_FROM, KIND_NDR, "site", "@bounces.example.com" },
  };
  static const struct {
    const char *from;
    int site;                      /* with the site's "from" signatures */
    int null;                      /* SIGNAL_NULL_SENDER */
    int daemon;                    /* SIGNAL_DAEMON_FROM */
  } cases[] = {
    /* a daemon's address, in every form */
    { "MAILER-DAEMON@mx.example.net", 0, 1, 1 },
    { "<MAILER-DAEMON@mx.example.net>", 0, 1, 1 },
    { "Mail Delivery System <MAILER-DAEMON@mx.example.net>", 0, 1, 1 },
    { "\"Mail Delivery Subsystem\" <mailer-daemon@googlemail.com>", 0, 1, 1 },
    { "Mail Delivery System\n <Mailer-Daemon@mx.example.net>", 0, 1, 1 },  /* folded */
    { "MAILER-DAEMON", 0, 1, 1 },
    { "MAILER-DAEMON (Mail Delivery Subsystem)", 0, 1, 1 },
    { "MAILER-DAEMON@mx.example.net (Mail Delivery Subsystem)", 0, 1, 1 },
    { "< MAILER-DAEMON @ mx.example.net >", 0, 1, 1 },
    { "<@relay.example:MAILER-DAEMON@mx.example.net>", 0, 1, 1 },    /* source route */
    { "=?UTF-8?Q?Syst=C3=A8me_de_messagerie?= <MAILER-DAEMON@mx.example.fr>", 0, 1, 1 },
    { "<>", 0, 1, 1 },
    { "\"Jetmail System\" <>", 0, 1, 1 },
    { "Postmaster <>", 0, 1, 1 },
    { "postmaster@example.net", 0, 0, 1 },
    { "Postmaster@EXAMPLE.NET", 0, 0, 1 },
    { "System Administrator <postmaster@corp.example>", 0, 0, 1 },
    { "<Postmaster\\@example.com@xxx.com>", 0, 0, 1 },   /* flufl.bounce simple_35 */
    { "post_master@carrier.example.jp", 0, 0, 1 },
    { "MDaemon@mail.example.org", 0, 0, 1 },
    { "mailer@host.example.org", 0, 0, 1 },
    { "AntiVirus <antivirus@gw.example.org>", 0, 0, 1 },
    /* a list manager's LIST-admin@, -owner@, -bounces@: with a list
     * manager's field only (it-admin@ is a person's or a business's) */
    { "list-admin@lists.example.org\nX-MLServer: fml [fml 4.0.3 release]", 0, 0, 1 },
    { "Osst-users-owner@lists.example.net\nX-Mailman-Version: 2.1.39", 0, 0, 1 },
    { "dev-bounces@lists.example.org\nList-Id: <dev.lists.example.org>", 0, 0, 1 },
    { "dev-bounces+user=example.org@lists.example.org\nX-BeenThere: dev@lists.example.org",
      0, 0, 1 },                                                     /* VERP */
    { "list-admin@lists.example.org", 0, 0, 0 },
    { "IT Team <it-admin@company.example>", 0, 0, 0 },
    { "Red Hat Network <rhn-admin@rhn.example.com>", 0, 0, 0 },
    { "sales-owner@company.example", 0, 0, 0 },
    { "dev-bounces@lists.example.org", 0, 0, 0 },
    { "\"Mail Delivery\" MAILER-DAEMON@mx.example.net", 0, 1, 1 },  /* name, no <> */
    /* a quoted local part is the address: Exchange gateways write it
     * (flufl.bounce simple_36) */
    { "<\"System Administrator\"@example.com>", 0, 0, 1 },
    { "\"System Administrator\"@example.com", 0, 0, 1 },
    { "Gateway <\"Mail System\"@gw.example.com>", 0, 0, 1 },
    /* people, whatever their display name says */
    { "System Administrator <it@company.example>", 0, 0, 0 },
    { "Mail System <it@company.example>", 0, 0, 0 },
    { "Postmaster Team <pat.jones@company.example>", 0, 0, 0 },
    { "Mail Delivery Subsystem <it@company.example>", 0, 0, 0 },
    { "\"Mail Delivery Subsystem\" <it@company.example>", 0, 0, 0 },
    { "Mail Administrator <it@company.example>", 0, 0, 0 },
    { "MAILER-DAEMON <dan.meyer@company.example>", 0, 0, 0 },
    { "\"MAILER-DAEMON\" <dan.meyer@company.example>", 0, 0, 0 },
    { "mailer-daemon <dan.meyer@company.example>", 0, 0, 0 },
    { "Antivirus Team <it@company.example>", 0, 0, 0 },
    { "MailScanner Admin <it@company.example>", 0, 0, 0 },
    /* quoted display names with '<' (and '@', '>', '(' ...) inside */
    { "\"MAILER-DAEMON <mailer-daemon@company.example>\" <dan.meyer@company.example>", 0, 0, 0 },
    { "\"Help <> Desk\" <it@company.example>", 0, 0, 0 },
    { "\"<>\" <it@company.example>", 0, 0, 0 },
    { "\"postmaster@company.example\" <it@company.example>", 0, 0, 0 },
    { "\"Dan \\\" <postmaster@x.example> (\" <dan@company.example>", 0, 0, 0 },
    /* comments */
    { "Antivirus Team (mailer-daemon@company.example) <it@company.example>", 0, 0, 0 },
    { "it@company.example (Mail Delivery System)", 0, 0, 0 },
    { "it@company.example (MAILER-DAEMON)", 0, 0, 0 },
    { "(postmaster <postmaster@x.example>) it@company.example", 0, 0, 0 },
    { "Dan (the (nested) <postmaster@x.example>) <dan@company.example>", 0, 0, 0 },
    /* encoded words (RFC 2047): the display name, not decoded for this */
    { "=?UTF-8?Q?Mail_Delivery_System?= <it@company.example>", 0, 0, 0 },
    { "=?UTF-8?B?TUFJTEVSLURBRU1PTg==?= <dan.meyer@company.example>", 0, 0, 0 },
    { "=?UTF-8?Q?Mail_Delivery_System_=3Cpostmaster=40company=2Eexample=3E?= "
      "<it@company.example>", 0, 0, 0 },
    /* display names written without brackets; only the first mailbox */
    { "\"postmaster\" it@company.example", 0, 0, 0 },
    { "John Smith john.smith@company.example", 0, 0, 0 },
    { "dan@company.example, postmaster@company.example", 0, 0, 0 },
    /* neither: words that only look alike, an unfinished field */
    { "administrator@company.example", 0, 0, 0 },
    { "mailers@company.example", 0, 0, 0 },
    { "-admin@company.example", 0, 0, 0 },
    { "it@postmaster.example", 0, 0, 0 },          /* the domain is not a mailbox */
    { "it@antivirus-vendor.example", 0, 0, 0 },
    { "\"MAILER-DAEMON <mailer-daemon@x.example>", 0, 0, 0 },   /* quote not closed */
    { "", 0, 0, 0 },
    /* the site's: in the local part, or the whole address with an '@' */
    { "Relay <nobounce@relay.example>", 1, 0, 1 },
    { "x@bounces.example.com", 1, 0, 1 },
    { "nobounce <dan@company.example>", 1, 0, 0 },
    { "dan@nobounce.example", 1, 0, 0 },
    { "x@bounces.example.com", 0, 0, 0 },
  };
  struct signature_set site = { (struct signature *) site_items,
                                sizeof site_items / sizeof site_items[0], NULL };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char message[512];
    struct input input;
    struct notice notice;
    struct failure failure;
    struct header_signals header;
    snprintf(message, sizeof message, "From: %s\nSubject: Undeliverable: x\n\n",
             cases[i].from);
    input_from_buffer(message, strlen(message), &input, &failure);
    notice_parse_header(&input, &notice, &failure);
    classify_header(&notice, NULL, cases[i].site ? &site : NULL, &header, NULL);
    TAP_INT((header.signals & SIGNAL_NULL_SENDER) != 0, cases[i].null,
            "From: %s%s: null sender", cases[i].from, cases[i].site ? " (site)" : "");
    TAP_INT((header.signals & SIGNAL_DAEMON_FROM) != 0, cases[i].daemon,
            "From: %s%s: daemon sender", cases[i].from, cases[i].site ? " (site)" : "");
    notice_free(&notice);
    input_free(&input);
  }

  /* The same rule for an original inside a notice: a bounce of a bounce
   * is one whose original comes from a daemon's address with a notice's
   * subject (or from the null address). */
  static const struct { const char *block; int notice; } originals[] = {
    { "From: System Administrator <it@company.example>\nSubject: Undeliverable: x\n\n", 0 },
    { "From: Mail Delivery System <osst-users@lists.example.net>\n"
      "Subject: Mail delivery failure: x\n\n", 0 },
    { "From: \"MAILER-DAEMON <mailer-daemon@x.example>\" <dan@company.example>\n"
      "Subject: hello\n\n", 0 },
    { "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\nSubject: hello\n\n", 1 },
    { "From: postmaster@mx.example.net\nSubject: Undeliverable: x\n\n", 1 },
    { "From: postmaster@mx.example.net\nSubject: hello\n\n", 0 },
  };
  for (size_t i = 0; i < sizeof originals / sizeof originals[0]; i++)
    TAP_INT(classify_header_is_notice(originals[i].block, strlen(originals[i].block)),
            originals[i].notice, "original header %zu is a notice", i);
}

/* check works the header out once, before the walk: the same signals as
 * from the walked notice, and the same kind as classifying it afresh. */
static void
test_header_once(void)
{
  for (size_t i = 0; i < sizeof file_cases / sizeof file_cases[0]; i++) {
    const struct file_case *c = &file_cases[i];
    size_t length;
    char *data = fixture_read(c->file, &length);
    struct input input;
    struct notice notice;
    struct failure failure;
    struct header_signals before, after;
    struct classification classification;
    struct context context = { .sender = c->sender };
    if (!data || input_from_buffer(data, length, &input, &failure) < 0) {
      TAP_OK(0, "%s readable", c->file);
      free(data);
      continue;
    }
    free(data);
    notice_parse_header(&input, &notice, &failure);
    classify_header(&notice, &context, NULL, &before, NULL);
    notice_parse_mime(&input, &notice, &failure);
    classify_header(&notice, &context, NULL, &after, NULL);
    TAP_OK(memcmp(&before, &after, sizeof before) == 0,
           "%s: header signals before the walk as after", c->file);
    classify_notice(&notice, &before, &classification, NULL);
    TAP_STR(kind_name(classification.kind), kind_name(c->kind),
            "%s: classified with the signals of the header read once", c->file);
    notice_free(&notice);
    input_free(&input);
  }
}

static enum notice_kind
kind_of_text(const char *message, const char *sender)
{
  return kind_of_buffer(message, strlen(message), sender);
}

/* A notice's own words end where its copy of the original begins, at
 * every mark of copymarks.h (a challenge phrase in the copy must not make
 * the bounce a challenge); its transcript is still its own words. */
static void
test_copymarks(void)
{
  const char *uncovered = copymark_without_case();
  TAP_STR(uncovered ? uncovered : "", "", "every mark of copymarks.h has a case");
  for (size_t i = 0; i < COPYMARK_CASE_COUNT; i++) {
    char message[2048];
    TAP_STR(kind_name(kind_of_text(copymark_bounce(i, message, sizeof message), NULL)),
            "ndr", "%s: copy after \"%s\": kind ndr, not the copy's",
            copymark_cases[i].writer, copymark_cases[i].line);
  }
  /* Regression (the mark was shared with references.c): a transcript is
   * the notice's own record, and its words may be all that says a
   * delivery failed (a daemon's "Re:" with nothing else automatic). */
  TAP_STR(kind_name(kind_of_text(
            "From: post_master@carrier.example\nTo: me@ours.example\nSubject: Re: hello\n\n"
            "   ----- Transcript of session follows -----\n"
            "550 5.1.1 <lost@far.example>... User unknown\n", NULL)),
          "ndr", "a transcript is the notice's own words");
}

/* An RFC 2047 subject: read as written from the header alone (ordinary
 * mail must not load our Mailutils plugin), decoded by classify_notice
 * only for a notice candidate; without the plugin, read as written, with
 * FAILURE_PLUGIN for the caller to hand on. */
static void
classify_text(const char *message, struct header_signals *header,
              struct classification *classification, struct failure *failure)
{
  struct input input;
  struct notice notice;
  struct failure ignored;
  memset(failure, 0, sizeof *failure);
  memset(classification, 0, sizeof *classification);
  if (input_from_buffer(message, strlen(message), &input, &ignored) < 0)
    return;
  notice_parse_header(&input, &notice, &ignored);
  classify_header(&notice, NULL, NULL, header, failure);
  notice_parse_text(&input, &notice, &ignored);
  classify_notice(&notice, header, classification, failure);
  notice_free(&notice);
  input_free(&input);
}

static void
test_encoded_subject(void)
{
  static const char person[] =
    "From: Anna <anna@example.net>\n"
    "Subject: =?UTF-8?Q?Undelivered_Mail_Returned_to_Sender?=\n"
    "Content-Type: multipart/mixed; boundary=\"x\"\n\n--x--\n";
  static const char daemon[] =
    "From: MAILER-DAEMON@mx.example.net\n"
    "Subject: =?UTF-8?Q?Undelivered_Mail_Returned_to_Sender?=\n\n"
    "See below.\n";
  struct header_signals header;
  struct classification classification;
  struct failure failure;

  classify_text(person, &header, &classification, &failure);
  TAP_OK(header.subject_encoded, "encoded subject: marked in the header signals");
  TAP_OK(header.subject_phrase == NULL, "... read as written: no phrase from the header alone");
  TAP_INT(classify_needs_mime(&header), 0, "... so a person's attachment is not walked for it");
  TAP_STR(kind_name(classification.kind), kind_name(KIND_NONE), "... and stays a person's mail");
  TAP_INT(failure.class, FAILURE_NONE, "... without trouble");

  classify_text(daemon, &header, &classification, &failure);
  TAP_STR(classification.signature, "postfix",
          "a daemon's encoded subject is decoded: recognised by its phrase");
  TAP_INT(failure.class, FAILURE_NONE, "... without trouble");

  muplugin_use(NULL);             /* no plugin beside this test program */
  classify_text(daemon, &header, &classification, &failure);
  TAP_STR(kind_name(classification.kind), kind_name(KIND_NDR),
          "no plugin: the daemon's notice still classified");
  TAP_STR(classification.signature, "null-sender", "... on the subject as written");
  TAP_INT(failure.class, FAILURE_PLUGIN, "... and the trouble handed back");
  muplugin_use(&backscatter_filter_mailutils);
}

int
main(void)
{
  /* The plugin's sources are linked in: its table, without dlopen(). */
  muplugin_use(&backscatter_filter_mailutils);
  test_encoded_subject();
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
    fixture_classify(&notice, &context, NULL, &classification);
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
    fixture_notice_parse(&input, &notice, &failure);
    fixture_classify(&notice, &context, NULL, &classification);
    TAP_STR(kind_name(classification.kind), kind_name(c->kind), "%s", c->name);
    notice_free(&notice);
    input_free(&input);
  }
  test_header_signals();
  test_daemon_from();
  test_header_once();

  static const struct { const char *sender; int null; } senders[] = {
    { "", 1 }, { "<>", 1 }, { " ", 1 }, { "MAILER-DAEMON", 1 },
    { "mailer-daemon@mx.example.net", 1 }, { "<MAILER-DAEMON@x>", 1 },
    { "user@example.org", 0 }, { "mailer-daemonx@example.org", 0 }, { NULL, 0 },
  };
  for (size_t i = 0; i < sizeof senders / sizeof senders[0]; i++)
    TAP_INT(classify_is_null_sender(senders[i].sender), senders[i].null,
            "null sender '%s'", senders[i].sender ? senders[i].sender : "(unset)");
  test_phrase_search();
  test_line_ends();
  test_copymarks();
  return tap_done();
}
