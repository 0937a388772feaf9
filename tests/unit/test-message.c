/* test-message.c: reading input and walking MIME into a notice. Messages are
 * built in the test so each case says exactly what it exercises. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "caps.h"
#include "message.h"
#include "../tap.h"

#define DSN_HEAD \
  "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n" \
  "To: user@example.org\n" \
  "Subject: Undelivered Mail Returned to Sender\n" \
  "MIME-Version: 1.0\n" \
  "Content-Type: multipart/report; report-type=delivery-status;\n" \
  "\tboundary=\"BOUND\"\n" \
  "\n"

static const char dsn_plain[] = DSN_HEAD
  "--BOUND\n"
  "Content-Type: text/plain\n\n"
  "This is the mail system at host mx.example.net.\n\n"
  "--BOUND\n"
  "Content-Type: message/delivery-status\n\n"
  "Reporting-MTA: dns; mx.example.net\n\n"
  "Final-Recipient: rfc822; nobody@example.net\n"
  "Action: failed\nStatus: 5.1.1\n\n"
  "--BOUND\n"
  "Content-Type: message/rfc822\n\n"
  "Message-ID: <orig-1@example.org>\n"
  "From: user@example.org\n"
  "Subject: hello\n\n"
  "body of the original\n"
  "--BOUND--\n";

/* The same original, base64-encoded: "Message-ID: <orig-2@example.org>\n
 * From: user@example.org\n\nhi\n" */
static const char dsn_base64[] = DSN_HEAD
  "--BOUND\n"
  "Content-Type: message/rfc822\n"
  "Content-Transfer-Encoding: base64\n\n"
  "TWVzc2FnZS1JRDogPG9yaWctMkBleGFtcGxlLm9yZz4KRnJvbTogdXNlckBleGFtcGxlLm9y\n"
  "Zwo KaGkK\n"
  "--BOUND--\n";

static const char dsn_headers_qp[] = DSN_HEAD
  "--BOUND\n"
  "Content-Type: text/rfc822-headers\n"
  "Content-Transfer-Encoding: quoted-printable\n\n"
  "Message-ID: <orig-3=40example.org>\n"
  "Subject: caf=C3=A9\n\n"
  "--BOUND--\n";

static const char global_report[] =
  "From: postmaster@example.net\n"
  "Content-Type: multipart/report; report-type=global-delivery-status; boundary=G\n\n"
  "--G\n"
  "Content-Type: message/global-delivery-status\n\n"
  "Final-Recipient: utf-8; j\xc3\xb6rg@example.net\n\n"
  "--G\n"
  "Content-Type: message/global-headers\n\n"
  "Message-ID: <orig-4@example.org>\n\n"
  "--G--\n";

/* A bounce forwarded as an attachment: the report is one level down. */
static const char forwarded[] =
  "From: friend@example.com\n"
  "Content-Type: multipart/mixed; boundary=OUTER\n\n"
  "--OUTER\n"
  "Content-Type: text/plain\n\nlook at this\n"
  "--OUTER\n"
  "Content-Type: message/rfc822\n\n"
  "From: MAILER-DAEMON@example.net\n"
  "Message-ID: <bounce@example.net>\n"
  "Content-Type: multipart/report; report-type=delivery-status; boundary=INNER\n\n"
  "--INNER\n"
  "Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.example\n\n"
  "--INNER\n"
  "Content-Type: text/rfc822-headers\n\nMessage-ID: <deep@example.org>\n\n"
  "--INNER--\n"
  "--OUTER--\n";

static const char no_colon[] =
  "From: a@example.org\n"
  "this line has no colon\n"
  "Subject: x\n\nbody\n";

static char *
crlf_of(const char *text)
{
  size_t n = strlen(text), lines = 0;
  for (size_t i = 0; i < n; i++)
    lines += text[i] == '\n';
  char *out = malloc(n + lines + 1), *p = out;
  for (size_t i = 0; i < n; i++) {
    if (text[i] == '\n')
      *p++ = '\r';
    *p++ = text[i];
  }
  *p = '\0';
  return out;
}

static const struct notice_part *
find_role(const struct notice *notice, enum part_role role, size_t nth)
{
  for (size_t i = 0; i < notice->part_count; i++)
    if (notice->parts[i].role == role && nth-- == 0)
      return &notice->parts[i];
  return NULL;
}

static int
parse(const char *text, size_t length, struct input *input, struct notice *notice)
{
  struct failure failure = { 0 };
  if (input_from_buffer(text, length, input, &failure) < 0)
    return -1;
  return notice_parse(input, notice, &failure);
}

struct original_case {
  const char *name;
  const char *message;
  enum part_role role;
  const char *want_in_content;
};

static const struct original_case original_cases[] = {
  { "plain DSN", dsn_plain, PART_ORIGINAL_MESSAGE, "<orig-1@example.org>" },
  { "base64 message/rfc822", dsn_base64, PART_ORIGINAL_MESSAGE, "<orig-2@example.org>" },
  { "quoted-printable text/rfc822-headers", dsn_headers_qp, PART_ORIGINAL_HEADERS,
    "<orig-3@example.org>" },
  { "message/global-headers", global_report, PART_ORIGINAL_HEADERS, "<orig-4@example.org>" },
  { "report inside a forwarded message", forwarded, PART_ORIGINAL_HEADERS,
    "<deep@example.org>" },
};

static void
test_originals(int crlf)
{
  for (size_t i = 0; i < sizeof original_cases / sizeof original_cases[0]; i++) {
    const struct original_case *c = &original_cases[i];
    char *text = crlf ? crlf_of(c->message) : strdup(c->message);
    struct input input;
    struct notice notice;
    int rc = parse(text, strlen(text), &input, &notice);
    TAP_INT(rc, 0, "%s%s parses", c->name, crlf ? " (CRLF)" : "");
    TAP_INT(input.crlf, crlf, "%s: line ends detected", c->name);
    const struct notice_part *part = find_role(&notice, c->role, 0);
    TAP_OK(part && part->content && strstr(part->content, c->want_in_content),
           "%s%s: original found with %s", c->name, crlf ? " (CRLF)" : "",
           c->want_in_content);
    TAP_OK(part && part->content && !strchr(part->content, '\r'),
           "%s: content has LF line ends", c->name);
    notice_free(&notice);
    input_free(&input);
    free(text);
  }
}

static void
test_report_structure(void)
{
  struct input input;
  struct notice notice;
  parse(dsn_plain, strlen(dsn_plain), &input, &notice);
  const struct notice_part *report = find_role(&notice, PART_REPORT, 0);
  TAP_STR(notice.content_type, "multipart/report", "top content type");
  TAP_STR(report ? report->report_type : NULL, "delivery-status", "report-type kept");
  const struct notice_part *status = find_role(&notice, PART_DELIVERY_STATUS, 0);
  TAP_OK(status && strstr(status->content, "Final-Recipient: rfc822; nobody@example.net"),
         "delivery-status content kept");
  const struct notice_part *original = find_role(&notice, PART_ORIGINAL_MESSAGE, 0);
  TAP_OK(original && !strstr(original->content, "body of the original"),
         "only the original's header block is kept");
  TAP_INT(notice.caps_hit, 0, "no cap hit on a normal DSN");
  const struct notice_part *forwarded_report = NULL;
  notice_free(&notice);
  input_free(&input);

  parse(forwarded, strlen(forwarded), &input, &notice);
  forwarded_report = find_role(&notice, PART_REPORT, 0);
  TAP_OK(forwarded_report && forwarded_report->depth == 2,
         "nested report found at depth 2");
  notice_free(&notice);
  input_free(&input);
}

static void
test_from_line_and_header(void)
{
  static const char mbox[] = "From MAILER-DAEMON Mon Nov 23 10:00:00 2026\n"
                             "Subject: folded\n  subject line\n"
                             "X-Empty:\n\nbody\n";
  struct input input;
  struct notice notice;
  char value[64];
  parse(mbox, sizeof mbox - 1, &input, &notice);
  TAP_INT(input.has_from_line, 1, "mbox From line detected");
  TAP_OK(strncmp(notice.header, "Subject:", 8) == 0, "From line not in the header");
  TAP_INT(header_field(notice.header, notice.header_length, "subject", value,
                       sizeof value), strlen("folded subject line"),
          "header_field unfolds, any case");
  TAP_STR(value, "folded subject line", "unfolded value");
  TAP_INT(header_field(notice.header, notice.header_length, "X-Empty", value,
                       sizeof value), 0, "an empty field is present and empty");
  TAP_INT(header_field(notice.header, notice.header_length, "Missing", value,
                       sizeof value), -1, "a missing field is -1");
  TAP_INT(header_field(notice.header, notice.header_length, "Subject", value, 4),
          strlen("folded subject line"), "a short buffer still reports the length");
  TAP_STR(value, "fol", "a short buffer truncates with NUL");
  notice_free(&notice);
  input_free(&input);

  parse(no_colon, sizeof no_colon - 1, &input, &notice);
  TAP_INT(header_field(notice.header, notice.header_length, "Subject", value,
                       sizeof value), 1, "a header line without colon is skipped");
  notice_free(&notice);
  input_free(&input);
}

/* Hostile shapes: caps are hit and flagged, nothing crashes. */
static void
test_caps(void)
{
  size_t depth = CAP_MIME_DEPTH + 20, size = depth * 140 + 256;
  char *text = malloc(size), *p = text;
  p += sprintf(p, "From: x@example.org\n");
  for (size_t i = 0; i < depth; i++)
    p += sprintf(p, "Content-Type: multipart/mixed; boundary=b%zu\n\n--b%zu\n", i, i);
  p += sprintf(p, "Content-Type: text/plain\n\ndeep\n");
  for (size_t i = depth; i-- > 0;)
    p += sprintf(p, "--b%zu--\n", i);
  struct input input;
  struct notice notice;
  TAP_INT(parse(text, (size_t) (p - text), &input, &notice), 0,
          "deeply nested multiparts parse");
  TAP_OK(notice.caps_hit & CAP_HIT_MIME_DEPTH, "MIME depth cap flagged");
  notice_free(&notice);
  input_free(&input);
  free(text);

  size_t parts = CAP_MIME_PARTS + 50;
  text = malloc(parts * 64 + 256);
  p = text;
  p += sprintf(p, "Content-Type: multipart/mixed; boundary=X\n\n");
  for (size_t i = 0; i < parts; i++)
    p += sprintf(p, "--X\nContent-Type: text/plain\n\npart %zu\n", i);
  p += sprintf(p, "--X--\n");
  TAP_INT(parse(text, (size_t) (p - text), &input, &notice), 0, "many parts parse");
  TAP_OK(notice.caps_hit & CAP_HIT_MIME_PARTS, "MIME part cap flagged");
  TAP_OK(notice.part_count <= CAP_MIME_PARTS, "parts kept within the cap");
  notice_free(&notice);
  input_free(&input);
  free(text);

  static const char broken[] =
    "Content-Type: multipart/report; boundary=NEVER\n\n"
    "--NEVER\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
    "!!!! not base64 at all ####\n";
  TAP_INT(parse(broken, sizeof broken - 1, &input, &notice), 0,
          "unterminated boundary and broken base64 parse");
  notice_free(&notice);
  input_free(&input);

  TAP_INT(parse("", 0, &input, &notice), 0, "empty input parses");
  TAP_INT(notice.header_length, 0, "empty input has an empty header");
  notice_free(&notice);
  input_free(&input);

  static const char nul_bytes[] = "Subject: a\0b\n\nx\0y\n";
  TAP_INT(parse(nul_bytes, sizeof nul_bytes - 1, &input, &notice), 0,
          "NUL bytes parse");
  notice_free(&notice);
  input_free(&input);
}

/* notice_parse_text: the cheap path for mail that shows nothing automatic. */
static void
test_parse_text(void)
{
  static const struct {
    const char *name, *message, *want_text;   /* NULL: no text part */
  } cases[] = {
    { "plain text body", "Subject: x\n\nhello there\n", "hello there\n" },
    { "base64 text body", "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
      "aGVsbG8gdGhlcmUK\n", "hello there\n" },
    { "quoted-printable text body", "Content-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9 ok\n", "caf\xc3\xa9 ok\n" },
    { "CRLF text body", "Subject: x\r\n\r\nline one\r\n", "line one\n" },
    { "a multipart keeps no part", "Content-Type: multipart/alternative; boundary=B\n\n"
      "--B\nContent-Type: text/plain\n\nhi\n--B--\n", NULL },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct input input;
    struct notice notice;
    struct failure failure;
    input_from_buffer(cases[i].message, strlen(cases[i].message), &input, &failure);
    int rc = notice_parse_header(&input, &notice, &failure);
    if (rc == 0)
      rc = notice_parse_text(&input, &notice, &failure);
    TAP_INT(rc, 0, "parse_text %s", cases[i].name);
    const struct notice_part *part = find_role(&notice, PART_TEXT, 0);
    if (cases[i].want_text)
      TAP_STR(part ? part->content : NULL, cases[i].want_text, "parse_text %s: text",
              cases[i].name);
    else
      TAP_OK(part == NULL, "parse_text %s: no part", cases[i].name);
    notice_free(&notice);
    input_free(&input);
  }
}

int
main(void)
{
  test_parse_text();
  test_originals(0);
  test_originals(1);
  test_report_structure();
  test_from_line_and_header();
  test_caps();
  return tap_done();
}
