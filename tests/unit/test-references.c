/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-references.c: what is extracted from notices, by source; the
 * caps of each list; the raw-body last resort. */
#include <stdlib.h>
#include <string.h>
#include "classify.h"
#include "copymark-cases.h"
#include "fixture.h"
#include "references.h"
#include "muplugin.h"
#include "../tap.h"

struct id_case {
  const char *file;
  const char *first_id;                  /* references->ids[0] */
  enum reference_source source;
  const char *recipient;                 /* one expected failed recipient, or NULL */
  const char *original_from;             /* or NULL when not expected */
};

static const struct id_case id_cases[] = {
  { "examples/messages/exim-genuine.eml", "20261120093000.sent-1@mail.example.org",
    SOURCE_QUOTED_TEXT, "old.friend@example.net", "user@example.org" },
  { "examples/messages/exim-forged.eml", "8F3A1C22.77B0E1D4@pharma-deals.example",
    SOURCE_QUOTED_TEXT, "jdoe1987@victim-isp.example", "deals@pharma-deals.example" },
  { "examples/messages/office365-forged.eml", "0c9d8e7f6a5b4c3d@spambot.example",
    SOURCE_ATTACHED_MESSAGE, "billing@contoso.example", "user@example.org" },
  { "examples/messages/exchange-forged.eml",
    "000901da1234$abcdef01$0100007f@botnet-host.example",
    SOURCE_ATTACHED_MESSAGE, NULL, "user@example.org" },
  { "examples/messages/groupwise-forged.eml",
    "winner.20261123.0815.77@lottery-claims.example",
    SOURCE_ATTACHED_MESSAGE, NULL, "winner@lottery-claims.example" },
  { "examples/messages/autoreply-genuine.eml", "20261120093000.sent-1@mail.example.org",
    SOURCE_IN_REPLY_TO, NULL, NULL },
  { "tests/fixtures/flufl.bounce/exim_01.txt",
    "19990920022322.a19735@stereo.rotzorg.org", SOURCE_QUOTED_TEXT,
    "userx@its.example.nl", "sgr@rotzorg.org" },
  /* Issue 13: the true original of a bounce of a bounce (attached, and
   * quoted in the text), a bare Message-ID, shapes nobody here wrote. */
  { "tests/messages/shapes/gateway-wrapped-dsn.eml",
    "1795700000.0000000000007.JavaMail.app@example.org",
    SOURCE_ATTACHED_MESSAGE, NULL, NULL },
  { "tests/messages/shapes/gateway-wrapped-dsn-cr.eml",
    "1795700000.0000000000007.JavaMail.app@example.org",
    SOURCE_ATTACHED_MESSAGE, NULL, NULL },
  { "tests/messages/shapes/isp-quoted-postfix-dsn.eml",
    "1795600000.4471190022.JavaMail.webmail@webmail.isp.example.net",
    SOURCE_QUOTED_TEXT, NULL, "customer@example.com" },
  { "tests/messages/shapes/postfix-dsn-bare-id.eml", "20261124142357",
    SOURCE_ATTACHED_HEADERS, NULL, NULL },
  { "tests/messages/shapes/jmrp-complaint.eml", "nov-letter.4411.a7c2@example.org",
    SOURCE_ATTACHED_MESSAGE, NULL, "letters@example.org" },
  { "tests/messages/shapes/carrier-iso2022jp.eml", "20261122111500.d1n3@example.org",
    SOURCE_ATTACHED_MESSAGE, NULL, "sender@example.org" },
  { "tests/messages/shapes/carrier-quoted-cr.eml",
    "20261123124011.9ZY8@out.example.org", SOURCE_QUOTED_TEXT, NULL, NULL },
  /* The report's boundary on an unfolded line, its original's
   * Message-ID without angle brackets. */
  { "tests/messages/shapes/arf-unfolded-boundary.eml",
    "20261123180311.garden.7731@example.org", SOURCE_ATTACHED_HEADERS, NULL,
    "garden-news@example.org" },
  /* A feedback report whose copy is cut short names it in its words. */
  { "tests/messages/shapes/arf-id-in-words.eml", "w3.20261127.Kp7Qz@mail.example.org",
    SOURCE_QUOTED_TEXT, NULL, NULL },
  /* Hotmail's older complaint is the reported message itself. */
  { "tests/messages/shapes/hotmail-jmr-inline.eml",
    "catalogue.20261125051501.33a9@example.org", SOURCE_ATTACHED_MESSAGE, NULL,
    "catalogue@example.org" },
};

/* Which references may count against a notice (decision.h): only its
 * original's, and the In-Reply-To of an answer by its headers. */
struct against_case {
  const char *name;
  const char *message;
  const char *sender;
  size_t against;            /* IDs with `against` set */
  size_t ids;                /* IDs in all */
};

static const struct against_case against_cases[] = {
  { "an RT ticket update: its In-Reply-To and References are a thread",
    "tests/messages/rt-virus-alert.eml", NULL, 0, 2 },
  { "a colleague's reply: nothing against", "tests/messages/vacation-schedule.eml",
    NULL, 0, 1 },
  { "a customer's reply: nothing against", "tests/messages/invoice-thanks.eml", NULL, 0, 1 },
  { "an auto-reply by its headers: its In-Reply-To names the original",
    "tests/messages/autoreply-foreign.eml", NULL, 1, 1 },
  { "an SMS gateway's bounce (no null sender): In-Reply-To only for us",
    "tests/messages/sms-gateway-bounce.eml", NULL, 0, 1 },
  { "a bare Message-ID never counts against (record may predate it)",
    "tests/messages/shapes/postfix-dsn-bare-id.eml", NULL, 0, 1 },
  { "an attached original counts when a program sent it (null sender)",
    "tests/messages/shapes/carrier-iso2022jp.eml", "<>", 1, 1 },
  { "an attached original alone is no evidence (no program as sender)",
    "tests/messages/shapes/carrier-iso2022jp.eml", NULL, 0, 1 },
  { "a person's mail with her sent mail attached: nothing against",
    "tests/messages/shapes/person-attached-sent-mail.eml", NULL, 0, 1 },
  { "a ticket notice carrying a bounce (DSN inside message/rfc822): nothing against",
    "tests/messages/shapes/ticket-carrying-dsn.eml", NULL, 0, 3 },
  { "a shop's notice quoting its own order mail (same From): nothing against",
    "tests/messages/shapes/shop-mailer-quotes-own-order.eml", NULL, 0, 1 },
};

static const char *
extract(const char *message, struct references *references, int is_bounce)
{
  static struct input input;
  static struct notice notice;
  struct failure failure;
  struct classification classification = { .kind = is_bounce ? KIND_NDR : KIND_NONE };
  input_from_buffer(message, strlen(message), &input, &failure);
  fixture_notice_parse(&input, &notice, &failure);
  references_extract(&notice, &classification, references);
  notice_free(&notice);
  input_free(&input);
  return references->id_count ? references->ids[0].msgid : "";
}

/* Classify the message, then extract what it refers to. */
static void
classify_and_extract(const char *message, struct references *references)
{
  struct input input;
  struct notice notice;
  struct failure failure;
  struct classification classification;
  input_from_buffer(message, strlen(message), &input, &failure);
  fixture_notice_parse(&input, &notice, &failure);
  fixture_classify(&notice, NULL, NULL, &classification);
  references_extract(&notice, &classification, references);
  notice_free(&notice);
  input_free(&input);
}

/* The failed recipients as one string, "a b". */
static const char *
recipients_of(const struct references *references, char *out, size_t size)
{
  size_t used = 0;
  out[0] = '\0';
  for (size_t r = 0; r < references->recipient_count && used < size; r++)
    used += (size_t) snprintf(out + used, size - used, "%s%s", r ? " " : "",
                              references->recipients[r]);
  return out;
}

/* A non-standard bounce's failed recipients are the addresses its own
 * words name, up to the copy of the original (every mark of copymarks.h)
 * or its transcript; the original is found in the copy after the mark. */
static void
test_copymarks(struct references *references)
{
  char message[2048], recipients[512];
  const char *uncovered = copymark_without_case();
  TAP_STR(uncovered ? uncovered : "", "", "every mark of copymarks.h has a case");
  for (size_t i = 0; i < COPYMARK_CASE_COUNT; i++) {
    classify_and_extract(copymark_bounce(i, message, sizeof message), references);
    TAP_STR(references->id_count ? references->ids[0].msgid : "", "original@ours.example",
            "%s: copy after \"%s\": the original's ID", copymark_cases[i].writer,
            copymark_cases[i].line);
    TAP_STR(recipients_of(references, recipients, sizeof recipients), "lost@far.example",
            "%s: copy after \"%s\": only the recipient before it",
            copymark_cases[i].writer, copymark_cases[i].line);
  }
  /* The transcript names the envelope sender, not a failed recipient. */
  classify_and_extract("From: Mail Delivery Subsystem <MAILER-DAEMON@mx.far.example>\n"
                       "To: me@ours.example\nSubject: Returned mail: see transcript for details\n\n"
                       "   ----- The following addresses had permanent fatal errors -----\n"
                       "<lost@far.example>\n\n"
                       "   ----- Transcript of session follows -----\n"
                       ">>> MAIL From:<list-bounces@ours.example> SIZE=1024\n"
                       "<<< 553 5.1.8 <list-bounces@ours.example>... Domain of sender "
                       "address does not exist\n", references);
  TAP_STR(recipients_of(references, recipients, sizeof recipients), "lost@far.example",
          "recipients end at the transcript");
  /* Regression: any "Content-Type:" line ended the list, and a body read
   * as text (no MIME header) shows its first part's before the notice's
   * words: the recipient was lost (flufl.bounce microsoft_02). */
  struct input input;
  struct notice notice;
  struct classification classification;
  if (fixture_notice("tests/fixtures/flufl.bounce/microsoft_02.txt", &input, &notice) < 0) {
    TAP_OK(0, "microsoft_02.txt readable");
    return;
  }
  fixture_classify(&notice, NULL, NULL, &classification);
  references_extract(&notice, &classification, references);
  TAP_STR(recipients_of(references, recipients, sizeof recipients), "userx@example.com",
          "a part's Content-Type: text/plain before the recipients does not end them");
  notice_free(&notice);
  input_free(&input);
}

/* A feedback report's words name the reported message only when its copy
 * names none, and only as "message-id of <...>". */
static void
test_report_phrase(struct references *references)
{
  static const char head[] =
    "From: MAILER-DAEMON@fbl.example\nSubject: Email Feedback Report\n"
    "Content-Type: multipart/report; report-type=feedback-report; boundary=B\n\n"
    "--B\nContent-Type: text/plain\n\nAn abuse report for an email message with the "
    "message-id of %s received from IP 192.0.2.1\n\n--B\n"
    "Content-Type: message/feedback-report\n\nFeedback-Type: abuse\n\n--B\n"
    "Content-Type: message/rfc822\n\nFrom: a@ours.example\n%s\n--B--\n";
  static const struct {
    const char *name, *phrase_id, *copy_field, *first_id;
    size_t ids;
  } cases[] = {
    { "the copy cut short: the report's words name it", "<said@ours.example>", "",
      "said@ours.example", 1 },
    { "the copy's own Message-ID comes first, the words are not read", "<said@ours.example>",
      "Message-ID: <copy@ours.example>\n", "copy@ours.example", 1 },
    { "no angle brackets after the phrase: nothing read", "said@ours.example", "", "", 0 },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char message[2048];
    snprintf(message, sizeof message, head, cases[i].phrase_id, cases[i].copy_field);
    classify_and_extract(message, references);
    TAP_STR(references->id_count ? references->ids[0].msgid : "", cases[i].first_id,
            "report phrase: %s", cases[i].name);
    TAP_INT(references->id_count, cases[i].ids, "report phrase: %s: IDs in all",
            cases[i].name);
  }
}

/* Caps: a message with more entries than a list's cap keeps the cap's
 * worth, in order, and counts it in caps_hit; at the cap, nothing is
 * counted. The lists grow as entries come (references.h): every entry is
 * checked, across each growth. */
enum cap_list { LIST_ENVELOPE_IDS, LIST_RECIPIENTS, LIST_RECEIVED };

static void
cap_line(enum cap_list list, size_t i, char *out, size_t size)
{
  switch (list) {
  case LIST_ENVELOPE_IDS:
    snprintf(out, size, "Original-Envelope-Id: <env%zu@x.example>\n\n", i);
    break;
  case LIST_RECIPIENTS:
    snprintf(out, size, "Final-Recipient: rfc822; r%zu@x.example\n\n", i);
    break;
  case LIST_RECEIVED:
    snprintf(out, size, "Received: from h%zu.example by relay%zu.example\n", i, i);
    break;
  }
}

static void
test_caps(void)
{
  static const struct {
    const char *name;
    enum cap_list list;
    size_t lines;
    size_t want;                  /* entries kept */
    unsigned caps;                /* caps_hit */
  } cases[] = {
    { "Original-Envelope-Ids at the cap", LIST_ENVELOPE_IDS, CAP_REFERENCED_IDS,
      CAP_REFERENCED_IDS, 0 },
    { "Original-Envelope-Ids past the cap", LIST_ENVELOPE_IDS, CAP_REFERENCED_IDS + 1,
      CAP_REFERENCED_IDS, CAP_HIT_IDS },
    { "a few Original-Envelope-Ids", LIST_ENVELOPE_IDS, 5, 5, 0 },
    { "failed recipients at the cap", LIST_RECIPIENTS, CAP_RECIPIENTS, CAP_RECIPIENTS, 0 },
    { "failed recipients past the cap", LIST_RECIPIENTS, CAP_RECIPIENTS + 1,
      CAP_RECIPIENTS, CAP_HIT_RECIPIENTS },
    { "Received hosts at the cap", LIST_RECEIVED, CAP_RECEIVED_HOSTS / 2,
      CAP_RECEIVED_HOSTS, 0 },
    { "Received hosts past the cap", LIST_RECEIVED, CAP_RECEIVED_HOSTS / 2 + 1,
      CAP_RECEIVED_HOSTS, CAP_HIT_RECEIVED },
  };
  static struct references references;
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    size_t size = 4096 + cases[c].lines * 80, used = 0;
    char *message = malloc(size), line[128];
    int headers = cases[c].list == LIST_RECEIVED;
    used += (size_t) snprintf(message + used, size - used,
                              "Return-Path: <>\nFrom: MAILER-DAEMON@x.example\n"
                              "Content-Type: multipart/report; report-type=delivery-status;"
                              " boundary=B\n\n--B\nContent-Type: %s\n\n",
                              headers ? "text/rfc822-headers" : "message/delivery-status");
    for (size_t i = 0; i < cases[c].lines; i++) {
      cap_line(cases[c].list, i, line, sizeof line);
      used += (size_t) snprintf(message + used, size - used, "%s", line);
    }
    snprintf(message + used, size - used, "\n--B--\n");
    extract(message, &references, 1);
    free(message);
    size_t count = cases[c].list == LIST_ENVELOPE_IDS ? references.id_count
                   : cases[c].list == LIST_RECIPIENTS ? references.recipient_count
                   : references.received_count;
    TAP_INT(count, cases[c].want, "%s: %zu kept", cases[c].name, cases[c].want);
    TAP_INT(references.caps_hit, cases[c].caps, "%s: caps_hit", cases[c].name);
    size_t wrong = 0;
    for (size_t i = 0; i < count; i++) {
      char want[64];
      const char *got;
      if (cases[c].list == LIST_ENVELOPE_IDS) {
        snprintf(want, sizeof want, "env%zu@x.example", i);
        got = references.ids[i].msgid;
      } else if (cases[c].list == LIST_RECIPIENTS) {
        snprintf(want, sizeof want, "r%zu@x.example", i);
        got = references.recipients[i];
      } else {
        snprintf(want, sizeof want, i % 2 ? "relay%zu.example" : "h%zu.example", i / 2);
        got = references.received_hosts[i];
      }
      wrong += strcmp(got, want) != 0;
    }
    TAP_INT(wrong, 0, "%s: every entry kept as found, in order", cases[c].name);
  }

  /* One over-long Message-ID is counted, not kept; an over-long Received
   * word is no host name, skipped and not counted (as ever). */
  size_t size = CAP_ID_BYTES + 1024;
  char *message = malloc(size), *p = message;
  p += sprintf(p, "Return-Path: <>\nFrom: MAILER-DAEMON@x.example\nContent-Type: "
               "multipart/report; report-type=delivery-status; boundary=B\n\n--B\n"
               "Content-Type: message/delivery-status\n\nOriginal-Envelope-Id: <");
  memset(p, 'l', CAP_ID_BYTES);
  p += CAP_ID_BYTES;
  p += sprintf(p, "@x.example>\n\n--B\nContent-Type: text/rfc822-headers\n\nReceived: from ");
  memset(p, 'h', CAP_HOST_BYTES + 1);
  p += CAP_HOST_BYTES + 1;
  sprintf(p, " by relay.example\n\n--B--\n");
  extract(message, &references, 1);
  free(message);
  TAP_INT(references.id_count, 0, "an over-long Message-ID is not kept");
  TAP_INT(references.caps_hit, CAP_HIT_ID_BYTES, "an over-long Message-ID is counted");
  TAP_INT(references.received_count, 1, "an over-long Received host is skipped");
  TAP_STR(references.received_count ? references.received_hosts[0] : "", "relay.example",
          "the Received host beside it kept");

  references_free(&references);
  TAP_OK(references.id_count == 0 && references.recipient_count == 0
         && references.received_count == 0 && !references.ids && !references.text
         && references.original_from[0] == '\0', "references_free: empty again");
}

/* The last resort (references_want_raw_body, references_add_raw_body):
 * header blocks quoted anywhere in the raw body, added to what the
 * extraction found, only for a notice in which nothing named an ID. */
static void
test_raw_body(void)
{
  static const char octet_part[] =
    "Content-Type: multipart/mixed; boundary=B\n\n--B\n"
    "Content-Type: application/octet-stream\n\nSorry.\n\n";
  static const struct {
    const char *name;
    const char *header;
    const char *quoted;           /* in the part of no known type */
    int want;                     /* references_want_raw_body */
    const char *first_id;         /* afterwards, "" for none */
    enum reference_source source;
    size_t ids, against, recipients;
    const char *original_from;
  } cases[] = {
    { "a bounce quoting its original in a part of no known type",
      "Return-Path: <>\nFrom: MAILER-DAEMON@x.example\nSubject: failure notice\n"
      "X-Failed-Recipients: lost@far.example\n",
      "From: me@ours.example\nMessage-ID: <raw@ours.example>\nSubject: hi\n",
      1, "raw@ours.example", SOURCE_QUOTED_TEXT, 1, 1, 1, "me@ours.example" },
    { "the original quoted after a bounce it carries comes first",
      "Return-Path: <>\nFrom: MAILER-DAEMON@x.example\nSubject: failure notice\n",
      "Return-Path: <>\nFrom: MAILER-DAEMON@inner.example\nSubject: Returned mail\n"
      "Message-ID: <inner@inner.example>\n\nthen\n\n"
      "From: me@ours.example\nMessage-ID: <ours2@ours.example>\n",
      1, "ours2@ours.example", SOURCE_QUOTED_TEXT, 2, 2, 0, "me@ours.example" },
    { "a bounce whose In-Reply-To names an ID: not wanted",
      "Return-Path: <>\nFrom: MAILER-DAEMON@x.example\nSubject: failure notice\n"
      "In-Reply-To: <thread@x.example>\n",
      "From: me@ours.example\nMessage-ID: <raw@ours.example>\n",
      0, "thread@x.example", SOURCE_IN_REPLY_TO, 1, 0, 0, "" },
    { "ordinary mail: never",
      "From: a@b.example\nSubject: photos\n",
      "From: me@ours.example\nMessage-ID: <raw@ours.example>\n",
      0, "", SOURCE_QUOTED_TEXT, 0, 0, 0, "" },
    { "a bounce with nothing quoted anywhere",
      "Return-Path: <>\nFrom: MAILER-DAEMON@x.example\nSubject: failure notice\n",
      "no headers here\n", 1, "", SOURCE_QUOTED_TEXT, 0, 0, 0, "" },
  };
  static struct references references;
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    char message[2048];
    struct input input;
    struct notice notice;
    struct failure failure;
    struct classification classification;
    snprintf(message, sizeof message, "%s%s%s\n--B--\n", cases[c].header, octet_part,
             cases[c].quoted);
    input_from_buffer(message, strlen(message), &input, &failure);
    fixture_notice_parse(&input, &notice, &failure);
    fixture_classify(&notice, NULL, NULL, &classification);
    references_extract(&notice, &classification, &references);
    int want = references_want_raw_body(&classification, &references);
    TAP_INT(want, cases[c].want, "%s: raw body wanted", cases[c].name);
    references_add_raw_body(&notice, &classification, &references);
    TAP_INT(references.id_count, cases[c].want ? 0 : cases[c].ids,
            "%s: nothing added before the raw body is loaded", cases[c].name);
    if (want && notice_load_raw_body(&input, &notice, &failure) == 0)
      references_add_raw_body(&notice, &classification, &references);
    TAP_STR(references.id_count ? references.ids[0].msgid : "", cases[c].first_id,
            "%s: first ID", cases[c].name);
    if (cases[c].first_id[0])
      TAP_STR(references.id_count ? reference_source_name(references.ids[0].source) : "",
              reference_source_name(cases[c].source), "%s: source", cases[c].name);
    size_t against = 0;
    for (size_t r = 0; r < references.id_count; r++)
      against += references.ids[r].against != 0;
    TAP_INT(references.id_count, cases[c].ids, "%s: IDs", cases[c].name);
    TAP_INT(against, cases[c].against, "%s: IDs against", cases[c].name);
    TAP_INT(references.recipient_count, cases[c].recipients,
            "%s: the extraction's recipients kept", cases[c].name);
    TAP_STR(references.original_from, cases[c].original_from, "%s: original From",
            cases[c].name);
    notice_free(&notice);
    input_free(&input);
  }
  references_free(&references);
}

int
main(void)
{
  /* The plugin's sources are linked in: its table, without dlopen(). */
  muplugin_use(&backscatter_filter_mailutils);
  static struct references references;

  for (size_t i = 0; i < sizeof id_cases / sizeof id_cases[0]; i++) {
    const struct id_case *c = &id_cases[i];
    struct input input;
    struct notice notice;
    struct classification classification;
    struct context context = { 0 };
    if (fixture_notice(c->file, &input, &notice) < 0) {
      TAP_OK(0, "%s readable", c->file);
      continue;
    }
    fixture_classify(&notice, &context, NULL, &classification);
    references_extract(&notice, &classification, &references);
    /* Message-IDs keep their local part's case; the domain is lower-cased. */
    TAP_OK(references.id_count > 0 && strcasecmp(references.ids[0].msgid, c->first_id) == 0,
           "%s: first ID %s", c->file, c->first_id);
    TAP_STR(references.id_count ? reference_source_name(references.ids[0].source) : "",
            reference_source_name(c->source), "%s: source", c->file);
    if (c->recipient) {
      int found = 0;
      for (size_t r = 0; r < references.recipient_count; r++)
        found |= strcmp(references.recipients[r], c->recipient) == 0;
      TAP_OK(found, "%s: failed recipient %s", c->file, c->recipient);
    }
    if (c->original_from)
      TAP_STR(references.original_from, c->original_from, "%s: original From", c->file);
    notice_free(&notice);
    input_free(&input);
  }

  for (size_t i = 0; i < sizeof against_cases / sizeof against_cases[0]; i++) {
    const struct against_case *c = &against_cases[i];
    struct input input;
    struct notice notice;
    struct classification classification;
    struct context context = { .sender = c->sender };
    if (fixture_notice(c->message, &input, &notice) < 0) {
      TAP_OK(0, "%s readable", c->message);
      continue;
    }
    fixture_classify(&notice, &context, NULL, &classification);
    references_extract(&notice, &classification, &references);
    size_t against = 0;
    for (size_t r = 0; r < references.id_count; r++)
      against += references.ids[r].against != 0;
    TAP_INT(against, c->against, "%s: IDs against", c->name);
    TAP_INT(references.id_count, c->ids, "%s: IDs in all", c->name);
    notice_free(&notice);
    input_free(&input);
  }
  /* In-Reply-To: against only for an answer by its headers. */
  static const struct { const char *name, *message; size_t against; } reply_cases[] = {
    { "a null-sender bounce's In-Reply-To is no evidence against",
      "Return-Path: <>\nFrom: MAILER-DAEMON@x.example\nSubject: Returned mail\n"
      "In-Reply-To: <t@else.example>\n\nUser unknown\n", 0 },
    { "a null-sender auto-reply's In-Reply-To is (Exchange: auto-generated only)",
      "Return-Path: <>\nFrom: a@x.example\nAuto-Submitted: auto-generated\n"
      "Subject: Automatic reply: hello\nIn-Reply-To: <t@else.example>\n\nAway.\n", 1 },
    { "an auto-reply through a list: its In-Reply-To is the list's thread",
      "From: a@x.example\nAuto-Submitted: auto-replied\nList-Id: <dev.x.example>\n"
      "Subject: Out of office\nIn-Reply-To: <t@else.example>\n\nAway.\n", 0 },
    { "an auto-generated notice's In-Reply-To is a thread",
      "From: ci@x.example\nAuto-Submitted: auto-generated\nSubject: Out of office sync\n"
      "In-Reply-To: <t@else.example>\n\nfailed\n", 0 },
  };
  for (size_t i = 0; i < sizeof reply_cases / sizeof reply_cases[0]; i++) {
    struct input input;
    struct notice notice;
    struct failure failure;
    struct classification classification;
    input_from_buffer(reply_cases[i].message, strlen(reply_cases[i].message), &input,
                      &failure);
    fixture_notice_parse(&input, &notice, &failure);
    fixture_classify(&notice, NULL, NULL, &classification);
    references_extract(&notice, &classification, &references);
    size_t against = 0;
    for (size_t r = 0; r < references.id_count; r++)
      against += references.ids[r].against != 0;
    TAP_INT(against, reply_cases[i].against, "%s", reply_cases[i].name);
    notice_free(&notice);
    input_free(&input);
  }

  /* A bounce of a bounce: the intermediate bounce's From is a server's,
   * not the original's (identity would otherwise call it foreign). */
  extract("Return-Path: <>\nFrom: MAILER-DAEMON@outer.example\nSubject: failure notice\n"
          "Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\n"
          "User unknown\n--B\nContent-Type: message/rfc822\n\n"
          "From: MAILER-DAEMON@inner.example\nSubject: Returned mail: User unknown\n"
          "Message-ID: <inner-bounce@inner.example>\n"
          "Content-Type: multipart/report; report-type=delivery-status; boundary=C\n\n"
          "--C\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; x@y.example\n\n"
          "--C\nContent-Type: message/rfc822\n\nFrom: user@ours.example\n"
          "Message-ID: <ours@ours.example>\nSubject: hi\n\nhi\n--C--\n--B--\n",
          &references, 1);
  TAP_STR(references.id_count ? references.ids[0].msgid : "", "ours@ours.example",
          "bounce of a bounce: the innermost original first");
  TAP_STR(references.id_count > 1 ? references.ids[1].msgid : "",
          "inner-bounce@inner.example", "bounce of a bounce: the intermediate bounce after");
  TAP_STR(references.original_from, "user@ours.example",
          "bounce of a bounce: the original's From, not the intermediate server's");

  /* Folded and multiple IDs; duplicates dropped; References after In-Reply-To. */
  extract("From: a@b.example\nIn-Reply-To: <one@x.example>\nReferences: <zero@x.example>\n"
          " <one@x.example>\n\tExtra\n\n", &references, 1);
  TAP_INT(references.id_count, 2, "In-Reply-To and folded References, deduplicated");
  TAP_STR(references.ids[1].msgid, "zero@x.example", "References ID second");

  /* "> "-quoted headers in a text part. */
  extract("From: MAILER-DAEMON@x.example\n\nSorry.\n\n> From: me@ours.example\n"
          "> Message-ID:\n>  <folded@ours.example>\n> Subject: q\n\nbye\n",
          &references, 1);
  TAP_STR(references.id_count ? references.ids[0].msgid : "", "folded@ours.example",
          "quoted and folded Message-ID");
  TAP_STR(references.original_from, "me@ours.example", "quoted From");

  /* Ordinary mail: quoted header lines in text are not references. */
  extract("From: a@b.example\n\n> Message-ID: <quoted@x.example>\n", &references, 0);
  TAP_INT(references.id_count, 0, "text of ordinary mail is not scanned");

  /* Received hosts of an attached original. */
  extract("From: MAILER-DAEMON@x.example\nContent-Type: multipart/report; "
          "report-type=delivery-status; boundary=B\n\n--B\n"
          "Content-Type: message/delivery-status\n\nOriginal-Envelope-Id: <env@ours.example>\n\n"
          "Final-Recipient: rfc822; one@x.example\n\nFinal-Recipient: rfc822; two@x.example\n"
          "Original-Recipient: rfc822; Two@X.example\n\n"
          "--B\nContent-Type: text/rfc822-headers\n\n"
          "Received: from laptop.ours.example ([192.0.2.7])\n\tby smtp.ours.example "
          "(Postfix) with ESMTPS id 1\nMessage-ID: <m@ours.example>\n\n--B--\n",
          &references, 1);
  TAP_STR(references.ids[0].msgid, "m@ours.example", "attached headers first");
  TAP_OK(references.id_count == 2 && references.ids[1].source == SOURCE_ENVELOPE_ID,
         "Original-Envelope-Id kept after");
  TAP_INT(references.recipient_count, 2, "two failed recipients, one duplicate dropped");
  int relay = 0, literal = 0;
  for (size_t i = 0; i < references.received_count; i++) {
    relay |= strcmp(references.received_hosts[i], "smtp.ours.example") == 0;
    literal |= strcmp(references.received_hosts[i], "192.0.2.7") == 0;
  }
  TAP_OK(relay, "Received 'by' host on a continuation line");
  TAP_OK(literal, "Received IP literal");

  /* Caps: more IDs than CAP_IDS_PER_FIELD in one field. */
  char many[CAP_IDS_PER_FIELD * 24 + 128], *p = many;
  p += sprintf(p, "From: a@b.example\nReferences:");
  for (int i = 0; i < CAP_IDS_PER_FIELD + 5; i++)
    p += sprintf(p, " <id%d@x.example>", i);
  sprintf(p, "\n\n");
  extract(many, &references, 1);
  TAP_OK(references.caps_hit & CAP_HIT_IDS, "IDs per field cap flagged");
  TAP_INT(references.id_count, CAP_IDS_PER_FIELD, "IDs kept up to the cap");
  /* A read receipt's Original-Message-ID. */
  extract("From: a@b.example\nContent-Type: multipart/report; "
          "report-type=disposition-notification; boundary=B\n\n--B\n"
          "Content-Type: message/disposition-notification\n\n"
          "Reporting-UA: x\nOriginal-Message-ID: <read@ours.example>\n"
          "Disposition: manual-action/MDN-sent-manually; displayed\n--B--\n",
          &references, 1);
  TAP_STR(references.id_count ? references.ids[0].msgid : "", "read@ours.example",
          "MDN Original-Message-ID");

  /* A non-standard bounce's own words name the failed recipient; the copy
   * of the original after the marker does not count, nor does the To. */
  extract("From: MAILER-DAEMON@x.example\nTo: me@ours.example\n\n"
          "Your message to lost@far.example couldn't be delivered.\n"
          "Sent to me@ours.example.\n\n"
          "------ This is a copy of the message\n\nTo: other@far.example\n",
          &references, 1);
  TAP_INT(references.recipient_count, 1, "one recipient named in the NDR text");
  TAP_STR(references.recipient_count ? references.recipients[0] : "", "lost@far.example",
          "the NDR text's recipient");
  test_copymarks(&references);
  references_free(&references);
  test_report_phrase(&references);
  test_caps();
  test_raw_body();
  return tap_done();
}
