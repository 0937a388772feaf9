/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-message.c: reading input and walking MIME into a notice. Messages are
 * built in the test so each case says exactly what it exercises. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "caps.h"
#include "header.h"
#include "input.h"
#include "mime.h"
#include "notice.h"
#include "fixture.h"
#include "muplugin.h"
#include <mailutils/mime.h>
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
  return fixture_notice_parse(input, notice, &failure);
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

/* ------------------------------------------------ the streaming splitter */

#define MIXED(b) "From: x@example.org\nContent-Type: multipart/mixed; boundary=" b "\n\n"

static const char nested[] = MIXED("OUT")
  "preamble text\n"
  "--OUT\nContent-Type: text/plain\n\none\n"
  "--OUT\nContent-Type: multipart/alternative; boundary=\"IN\"\n\n"
  "--IN\nContent-Type: text/plain\n\ntwo\n"
  "--IN\nContent-Type: text/html\n\n<p>three</p>\n"
  "--IN--\ninner epilogue\n"
  "--OUT\nContent-Type: text/plain\n\nfour\n"
  "--OUT--\nouter epilogue\n";

/* The inner boundary starts with the outer one, and the other way round. */
static const char prefix_inner[] = MIXED("B")
  "--B\nContent-Type: multipart/alternative; boundary=B1\n\n"
  "--B1\nContent-Type: text/plain\n\nfirst\n--B1x not a delimiter\n"
  "--B1\nContent-Type: text/plain\n\nsecond\n"
  "--B1--\n"
  "--B\nContent-Type: text/plain\n\nthird\n--B--\n";
static const char prefix_outer[] = MIXED("B1")
  "--B1\nContent-Type: multipart/alternative; boundary=B\n\n"
  "--B\nContent-Type: text/plain\n\nfirst\n--B1x not a delimiter\n"
  "--B--\n"
  "--B1\nContent-Type: text/plain\n\nsecond\n--B1--\n";

/* The inner multipart never closes: the outer delimiter ends it. */
static const char missing_close[] = MIXED("O")
  "--O\nContent-Type: multipart/alternative; boundary=I\n\n"
  "--I\nContent-Type: text/plain\n\ninner one\n"
  "--I\nContent-Type: text/plain\n\ninner two\n"
  "--O\nContent-Type: text/plain\n\nafter\n"
  "--O--\n";

/* Nothing closes, and the last line has no line end. */
static const char unterminated[] =
  "From: MAILER-DAEMON@example.net\n"
  "Content-Type: multipart/report; report-type=delivery-status; boundary=R\n\n"
  "--R\nContent-Type: text/plain\n\nhello\n"
  "--R\nContent-Type: message/delivery-status\n\n"
  "Reporting-MTA: dns; mx.example.net\n\n"
  "Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.1.1";

static const char from_line[] = "From MAILER-DAEMON Mon Nov 23 10:00:00 2026\n"
  MIXED("F")
  "--F\nContent-Type: text/plain\n\nbody after a From line\n--F--\n";

static const char trailing_blanks[] = MIXED("T")
  "--T \t\nContent-Type: text/plain\n\nblank one\n"
  "--T\t\nContent-Type: text/plain\n\nblank two\n"
  "--T-- \n";

static const char empty_boundary[] =
  "Content-Type: multipart/report; report-type=delivery-status; boundary=\"\"\n\n"
  "--\nContent-Type: text/plain\n\nnot a part\n----\n";

static const char no_boundary[] =
  "Content-Type: multipart/mixed\n\n"
  "--X\nContent-Type: text/plain\n\nnot a part\n--X--\n";

/* A part's multipart Content-Type whose boundary went on the next line
 * without the folding blank (an SMS gateway's bounce,
 * tests/messages/shapes/sms-gateway-unfolded-boundary.eml): the boundary
 * is read from that line; other parameters may come first. */
static const char unfolded_boundary[] = MIXED("OUT")
  "--OUT\nContent-Type: multipart/alternative;\nboundary=\"IN\"\n\n"
  "--IN\nContent-Type: text/plain\n\nunfolded inner\n--IN--\n"
  "--OUT\nContent-Type: text/plain\n\nafter\n--OUT--\n";
static const char unfolded_after_other[] = MIXED("OUT")
  "--OUT\nContent-Type: multipart/report;\nreport-type=delivery-status; boundary=R\n"
  "Content-Disposition: inline\n\n"
  "--R\nContent-Type: text/plain\n\nreport text\n--R--\n--OUT--\n";
/* Not recovered: a boundary given already wins; a line that is not the
 * very next one, or a field; a type that is no multipart. */
static const char unfolded_not_needed[] = MIXED("OUT")
  "--OUT\nContent-Type: multipart/alternative; boundary=IN\nboundary=WRONG\n\n"
  "--IN\nContent-Type: text/plain\n\ninner --WRONG\n--IN--\n--OUT--\n";
static const char unfolded_too_far[] = MIXED("OUT")
  "--OUT\nContent-Type: multipart/alternative;\nContent-Disposition: inline\n"
  "boundary=IN\n\n"
  "--IN\nContent-Type: text/plain\n\nnot a part\n--IN--\n--OUT--\n";
static const char unfolded_field[] = MIXED("OUT")
  "--OUT\nContent-Type: multipart/alternative;\nX-Note:boundary=IN\n\n"
  "--IN\nContent-Type: text/plain\n\nnot a part\n--IN--\n--OUT--\n";
static const char unfolded_not_multipart[] = MIXED("OUT")
  "--OUT\nContent-Type: text/plain;\nboundary=IN\n\n"
  "--IN\nContent-Type: text/html\n\nstill the text\n--IN--\n--OUT--\n";

/* A delimiter inside a part's header ends the part; the next is read. */
static const char boundary_in_header[] = MIXED("H")
  "--H\nContent-Type: text/plain\n"
  "--H\nContent-Type: text/plain\n\nreached\n--H--\n";

/* A forwarded original read in place whose inner multipart never closes. */
static const char in_place_unclosed[] = MIXED("OUT")
  "--OUT\nContent-Type: message/rfc822\n\n"
  "Message-ID: <fwd@example.org>\n"
  "Content-Type: multipart/mixed; boundary=INNER\n\n"
  "--INNER\nContent-Type: text/plain\n\ninside\n"
  "--OUT\nContent-Type: message/delivery-status\n\nAction: failed\n"
  "--OUT--\n";

/* Unknown parts are skipped, not kept. */
static const char skipped_types[] = MIXED("S")
  "--S\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
  "--S\nContent-Type: application/pdf\n\n%PDF-1.4\n"
  "--S\nContent-Type: text/plain\n\nkept\n--S--\n";

static char *
build_over_long_line(void)
{
  /* A line of 3 * CAP_LINE_BYTES + 1 bytes whose later pieces start with
   * the delimiter: pieces are never delimiters. */
  size_t long_length = 3 * CAP_LINE_BYTES + 1;
  char *text = malloc(long_length + 512), *p = text;
  p += sprintf(p, MIXED("L") "--L\nContent-Type: text/plain\n\n");
  for (size_t i = 0; i < long_length; i++)
    *p++ = i % CAP_LINE_BYTES == 0 ? '-' : i % CAP_LINE_BYTES == 1 ? '-'
         : i % CAP_LINE_BYTES == 2 ? 'L' : 'y';
  p += sprintf(p, "\n--L\nContent-Type: text/plain\n\nafter the long line\n--L--\n");
  return text;
}

static char *
build_parts_cap(void)
{
  size_t parts = CAP_MIME_PARTS + 10;
  char *text = malloc(parts * 64 + 256), *p = text;
  p += sprintf(p, MIXED("P"));
  for (size_t i = 0; i < parts; i++)
    p += sprintf(p, "--P\nContent-Type: text/plain\n\npart %zu\n", i);
  p += sprintf(p, "--P--\n");
  return text;
}

/* Multiparts nested past CAP_MIME_DEPTH; a sibling of the outermost one
 * after it is still read. */
static char *
build_depth_cap(void)
{
  size_t depth = CAP_MIME_DEPTH + 4;
  char *text = malloc(depth * 160 + 512), *p = text;
  p += sprintf(p, MIXED("d0") "--d0\n");
  for (size_t i = 1; i < depth; i++)
    p += sprintf(p, "Content-Type: multipart/mixed; boundary=d%zu\n\n--d%zu\n", i, i);
  p += sprintf(p, "Content-Type: text/plain\n\ntoo deep\n");
  for (size_t i = depth; i-- > 1;)
    p += sprintf(p, "--d%zu--\n", i);
  p += sprintf(p, "--d0\nContent-Type: text/plain\n\nshallow sibling\n--d0--\n");
  return text;
}

/* A base64-encoded message/rfc822 holding a whole report: walked from the
 * decoded copy (encoded here with Mailutils' encoder). */
static char *
build_base64_original(void)
{
  static const char inner[] =
    "From: MAILER-DAEMON@example.net\n"
    "Message-ID: <inner-report@example.net>\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=IR\n\n"
    "--IR\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; z@example.net\n\n"
    "--IR\nContent-Type: text/rfc822-headers\n\nMessage-ID: <deepest@example.org>\n\n"
    "--IR--\n";
  unsigned char *encoded = NULL;
  size_t encoded_length = 0;
  if (mu_base64_encode((const unsigned char *) inner, sizeof inner - 1, &encoded,
                       &encoded_length) != 0)
    return NULL;
  char *text = malloc(encoded_length * 2 + 512), *p = text;
  p += sprintf(p, MIXED("E") "--E\nContent-Type: message/rfc822\n"
               "Content-Transfer-Encoding: base64\n\n");
  for (size_t i = 0; i < encoded_length; i += 76) {
    size_t n = encoded_length - i < 76 ? encoded_length - i : 76;
    memcpy(p, encoded + i, n);
    p += n;
    *p++ = '\n';
  }
  p += sprintf(p, "--E\nContent-Type: text/plain\n\nafter the original\n--E--\n");
  free(encoded);
  return text;
}

struct want_part {
  enum part_role role;
  unsigned depth;
  const char *type;
  const char *has;          /* in the content, or NULL */
  const char *lacks;        /* not in the content, or NULL */
};

struct split_case {
  const char *name;
  const char *message;      /* or built: */
  char *(*build)(void);
  long part_count;          /* -1: not checked (a cap case) */
  unsigned caps;
  struct want_part parts[6];  /* the first ones, in order; role 0 with type NULL ends */
};

#define T(d, has, lacks) { PART_TEXT, d, "text/plain", has, lacks }
static const struct split_case split_cases[] = {
  { "nested multiparts", nested, NULL, 4, 0,
    { T(1, "one", "preamble"), T(2, "two", "--IN"), { PART_TEXT, 2, "text/html", "three", "epilogue" },
      T(1, "four", "epilogue") } },
  { "inner boundary has the outer as prefix", prefix_inner, NULL, 3, 0,
    { T(2, "--B1x not a delimiter", NULL), T(2, "second", "third"), T(1, "third", NULL) } },
  { "outer boundary has the inner as prefix", prefix_outer, NULL, 2, 0,
    { T(2, "--B1x not a delimiter", NULL), T(1, "second", NULL) } },
  { "missing close delimiter", missing_close, NULL, 3, 0,
    { T(2, "inner one", "inner two"), T(2, "inner two", "after"), T(1, "after", NULL) } },
  { "unterminated last part", unterminated, NULL, 3, 0,
    { { PART_REPORT, 0, "multipart/report", NULL, NULL }, T(1, "hello", NULL),
      { PART_DELIVERY_STATUS, 1, "message/delivery-status", "Status: 5.1.1", NULL } } },
  { "mbox From line", from_line, NULL, 1, 0, { T(1, "body after a From line", "MAILER-DAEMON") } },
  { "delimiters with trailing blanks", trailing_blanks, NULL, 2, 0,
    { T(1, "blank one", "blank two"), T(1, "blank two", NULL) } },
  { "empty boundary parameter", empty_boundary, NULL, 1, 0,
    { { PART_REPORT, 0, "multipart/report", NULL, NULL } } },
  { "multipart without boundary", no_boundary, NULL, 0, 0, { { 0 } } },
  { "delimiter inside a part header", boundary_in_header, NULL, 1, 0, { T(1, "reached", NULL) } },
  { "unfolded boundary line", unfolded_boundary, NULL, 2, 0,
    { T(2, "unfolded inner", "after"), T(1, "after", NULL) } },
  { "unfolded line after another parameter", unfolded_after_other, NULL, 2, 0,
    { { PART_REPORT, 1, "multipart/report", NULL, NULL }, T(2, "report text", NULL) } },
  { "unfolded line, boundary given already", unfolded_not_needed, NULL, 1, 0,
    { T(2, "inner --WRONG", NULL) } },
  { "unfolded line not the next one", unfolded_too_far, NULL, 0, 0, { { 0 } } },
  { "unfolded line that is a field", unfolded_field, NULL, 0, 0, { { 0 } } },
  { "unfolded line under a text type", unfolded_not_multipart, NULL, 1, 0,
    { T(1, "still the text", NULL) } },
  { "original in place, inner multipart unclosed", in_place_unclosed, NULL, 3, 0,
    { { PART_ORIGINAL_MESSAGE, 1, "message/rfc822", "<fwd@example.org>", "inside" },
      T(3, "inside", "Action"),
      { PART_DELIVERY_STATUS, 1, "message/delivery-status", "Action: failed", NULL } } },
  { "unknown types skipped", skipped_types, NULL, 1, 0, { T(1, "kept", "PDF") } },
  { "over-long lines", NULL, build_over_long_line, 2, 0,
    { T(1, "yyy--Lyyy", "after"), T(1, "after the long line", NULL) } },
  { "base64 message/rfc822", NULL, build_base64_original, 5, 0,
    { { PART_ORIGINAL_MESSAGE, 1, "message/rfc822", "<inner-report@example.net>", "Final-Recipient" },
      { PART_REPORT, 2, "multipart/report", NULL, NULL },
      { PART_DELIVERY_STATUS, 3, "message/delivery-status", "z@example.net", NULL },
      { PART_ORIGINAL_HEADERS, 3, "text/rfc822-headers", "<deepest@example.org>", NULL },
      T(1, "after the original", NULL) } },
  { "parts cap", NULL, build_parts_cap, CAP_MIME_PARTS - 1, CAP_HIT_MIME_PARTS,
    { T(1, "part 0", NULL) } },
  { "depth cap", NULL, build_depth_cap, 1, CAP_HIT_MIME_DEPTH,
    { T(1, "shallow sibling", NULL) } },
};
#undef T

static void
check_split(const struct split_case *c, const char *text, const char *variant)
{
  struct input input;
  struct notice notice;
  int rc = parse(text, strlen(text), &input, &notice);

  TAP_INT(rc, 0, "split %s%s: parses", c->name, variant);
  TAP_INT(notice.caps_hit, c->caps, "split %s%s: caps hit", c->name, variant);
  if (c->part_count >= 0)
    TAP_INT(notice.part_count, c->part_count, "split %s%s: part count", c->name, variant);
  for (size_t i = 0; i < sizeof c->parts / sizeof c->parts[0] && c->parts[i].type; i++) {
    const struct want_part *want = &c->parts[i];
    const struct notice_part *got = i < notice.part_count ? &notice.parts[i] : NULL;
    TAP_OK(got && got->role == want->role && got->depth == want->depth
           && strcmp(got->content_type, want->type) == 0,
           "split %s%s: part %zu is %s at depth %u", c->name, variant, i, want->type,
           want->depth);
    if (want->has)
      TAP_OK(got && got->content && strstr(got->content, want->has),
             "split %s%s: part %zu has \"%.20s\"", c->name, variant, i, want->has);
    if (want->lacks)
      TAP_OK(got && (!got->content || !strstr(got->content, want->lacks)),
             "split %s%s: part %zu lacks \"%s\"", c->name, variant, i, want->lacks);
    if (got && got->content)
      TAP_OK(!strchr(got->content, '\r') && strlen(got->content) == got->length,
             "split %s%s: part %zu is LF text of its length", c->name, variant, i);
  }
  notice_free(&notice);
  input_free(&input);
}

static void
test_splitter(void)
{
  for (size_t i = 0; i < sizeof split_cases / sizeof split_cases[0]; i++) {
    const struct split_case *c = &split_cases[i];
    char *text = c->build ? c->build() : strdup(c->message);
    TAP_OK(text != NULL, "split %s: message built", c->name);
    if (!text)
      continue;
    check_split(c, text, "");
    char *crlf = crlf_of(text);
    check_split(c, crlf, " (CRLF)");
    free(crlf);
    free(text);
  }
}

/* An original larger than CAP_ORIGINAL_BYTES read in place: its header is
 * kept, the cap flagged, and the part after it still found. */
static void
test_large_original(void)
{
  size_t lines = CAP_ORIGINAL_BYTES / 60 + 100;
  char *text = malloc(lines * 64 + 1024), *p = text;
  p += sprintf(p, MIXED("G") "--G\nContent-Type: message/rfc822\n\n"
               "Message-ID: <big@example.org>\n\n");
  for (size_t i = 0; i < lines; i++)
    p += sprintf(p, "%059zu\n", i);
  p += sprintf(p, "--G\nContent-Type: text/plain\n\nafter the big one\n--G--\n");
  struct input input;
  struct notice notice;
  TAP_INT(parse(text, (size_t) (p - text), &input, &notice), 0, "large original parses");
  TAP_INT(notice.caps_hit, CAP_HIT_ORIGINAL_BYTES, "large original: original-bytes flagged");
  const struct notice_part *original = find_role(&notice, PART_ORIGINAL_MESSAGE, 0);
  TAP_STR(original ? original->content : NULL, "Message-ID: <big@example.org>\n\n",
          "large original: its header block kept");
  const struct notice_part *after = find_role(&notice, PART_TEXT, 0);
  TAP_OK(after && strstr(after->content, "after the big one"),
         "large original: the next part is found");
  notice_free(&notice);
  input_free(&input);
  free(text);
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

/* notice_parse_header stops reading at the empty line: wherever that line
 * falls against the reads (8192 bytes first, then doubling), the header is
 * the same and the body is not in it. */
static void
test_header_end_across_reads(void)
{
  static const struct {
    const char *line_end;
    size_t blank_at;     /* offset of the empty line's first byte */
  } cases[] = {
    { "\n", 8190 }, { "\n", 8191 }, { "\n", 8192 }, { "\n", 8193 },
    { "\r\n", 8189 }, { "\r\n", 8190 }, { "\r\n", 8191 }, { "\r\n", 8192 },
    { "\r\n", 24575 }, { "\n", 24576 },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *eol = cases[i].line_end;
    size_t eol_length = strlen(eol), at = cases[i].blank_at;
    size_t body_length = 300000, total = at + eol_length + body_length;
    char *text = malloc(total + 1);
    struct input input;
    struct notice notice;
    struct failure failure;
    char value[16];

    /* "X: aaaa...<eol>" lines filling exactly `at` bytes, then the empty line. */
    size_t used = 0;
    while (used < at) {
      size_t line = at - used > 80 ? 80 : at - used;
      if (at - used - line < 8 + eol_length && at - used > line)
        line = at - used - 8 - eol_length;     /* leave room for a last line */
      if (line < 4 + eol_length)
        line = at - used;
      memcpy(text + used, "X: ", 3);
      memset(text + used + 3, 'a', line - 3 - eol_length);
      memcpy(text + used + line - eol_length, eol, eol_length);
      used += line;
    }
    memcpy(text + used, eol, eol_length);
    used += eol_length;
    memset(text + used, 'b', body_length);     /* no line end: one long body line */
    text[total] = '\0';
    input_from_buffer(text, total, &input, &failure);
    int rc = notice_parse_header(&input, &notice, &failure);
    TAP_INT(rc, 0, "header end at %zu (%s): parsed", at, eol_length == 2 ? "CRLF" : "LF");
    TAP_OK(notice.header && !strchr(notice.header, 'b'),
           "header end at %zu (%s): no body byte in the header", at,
           eol_length == 2 ? "CRLF" : "LF");
    TAP_OK(notice.header_length > 0 && notice.header[notice.header_length - 1] == '\n'
           && notice.caps_hit == 0,
           "header end at %zu (%s): whole block, no cap", at, eol_length == 2 ? "CRLF" : "LF");
    TAP_OK(header_field(notice.header, notice.header_length, "X", value, sizeof value) > 0,
           "header end at %zu (%s): fields readable", at, eol_length == 2 ? "CRLF" : "LF");
    unsigned long long position = input.spool.furthest_read;
    TAP_OK(position > at && position <= 2 * at + 16384,
           "header end at %zu (%s): reading stopped near the header's end (at %llu)", at,
           eol_length == 2 ? "CRLF" : "LF", position);
    notice_free(&notice);
    input_free(&input);
    free(text);
  }
}

/* input_read_kept: what the callback is asked, and what is kept. */
struct keep_probe {
  size_t answer;             /* what the callback returns */
  int calls;
  unsigned long long size_at_call;
  int from_line_at_call, crlf_at_call;
  char subject[32];          /* read by notice_parse_header inside the call */
};

static size_t
keep_probe_answer(void *cookie, struct input *input)
{
  struct keep_probe *probe = cookie;
  struct notice notice;
  struct failure failure;
  probe->calls++;
  probe->size_at_call = input->size;
  probe->from_line_at_call = input->has_from_line;
  probe->crlf_at_call = input->crlf;
  if (notice_parse_header(input, &notice, &failure) == 0)
    header_field(notice.header, notice.header_length, "Subject", probe->subject,
                 sizeof probe->subject);
  notice_free(&notice);
  return probe->answer;
}

/* A file to read from: read() fills the spool's free room, 8 KB then
 * doubling (reads end at 8192, 16384, 32768, 65536 bytes), so header ends
 * placed around 65536 cross a read. */
static int
file_with(const char *data, size_t length)
{
  char path[] = "/tmp/bsf-test-kept-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0)
    return -1;
  unlink(path);
  if (write(fd, data, length) != (ssize_t) length || lseek(fd, 0, SEEK_SET) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void
test_read_kept(void)
{
  static const struct {
    const char *name;
    const char *first_line;  /* "" or an mbox From line */
    const char *eol;
    size_t header_bytes;     /* header size wanted (approximate: whole lines) */
    int no_blank_line;       /* the input ends inside the header */
    size_t body_bytes;
    size_t answer;
  } cases[] = {
    { "small header, body dropped", "", "\n", 200, 0, 200000, 0 },
    { "small header, all kept", "", "\n", 200, 0, 200000, SIZE_MAX },
    { "small header, 1000 kept", "", "\n", 200, 0, 200000, 1000 },
    { "kept exactly the body", "", "\n", 200, 0, 5000, 5000 },
    { "header ends just before a read", "", "\n", 65530, 0, 100000, 0 },
    { "header ends across a read", "", "\n", 65536, 0, 100000, 0 },
    { "CRLF header ends across a read", "", "\r\n", 65535, 0, 100000, 0 },
    { "CRLF header ends after a read", "", "\r\n", 65540, 0, 100000, 7 },
    { "From line and CRLF", "From sender@example.org Mon Nov 23 10:00:00 2026\r\n",
      "\r\n", 300, 0, 100000, 0 },
    { "no empty line: never asked", "", "\n", 3000, 1, 0, 0 },
    { "header past the cap: asked at the cap", "", "\n",
      CAP_HEADER_BLOCK_BYTES + CAP_LINE_BYTES + 70000, 1, 0, 0 },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *eol = cases[i].eol;
    size_t eol_length = strlen(eol);
    size_t capacity = strlen(cases[i].first_line) + cases[i].header_bytes + 200
                      + cases[i].body_bytes;
    char *text = malloc(capacity);
    size_t used = (size_t) sprintf(text, "%s", cases[i].first_line);
    used += (size_t) sprintf(text + used, "Subject: kept-%zu%s", i, eol);
    while (used + 60 + eol_length < cases[i].header_bytes)
      used += (size_t) sprintf(text + used, "X-Filler: %048d%s", 0, eol);
    size_t header_end = used;
    if (!cases[i].no_blank_line) {
      memcpy(text + used, eol, eol_length);
      used += eol_length;
      header_end = used;
      memset(text + used, 'b', cases[i].body_bytes);
      used += cases[i].body_bytes;
    }
    struct keep_probe probe = { cases[i].answer, 0, 0, 0, 0, "" };
    struct input input;
    struct failure failure;
    int fd = file_with(text, used);
    int rc = fd < 0 ? -1 : input_read_kept(fd, -1, &input, NULL, NULL, keep_probe_answer,
                                           &probe, &failure);
    if (fd >= 0)
      close(fd);
    TAP_INT(rc, 0, "read_kept %s: read", cases[i].name);
    if (rc != 0) {
      free(text);
      continue;
    }
    unsigned long long stored = input.spool.length;
    TAP_OK(input.size == used, "read_kept %s: size is all of it (%llu)", cases[i].name,
           input.size);
    unsigned long long limit = CAP_HEADER_BLOCK_BYTES + CAP_LINE_BYTES;
    if (cases[i].no_blank_line && used < limit) {
      TAP_INT(probe.calls, 0, "read_kept %s: not asked", cases[i].name);
      TAP_OK(stored == used && !input.partial, "read_kept %s: all kept",
             cases[i].name);
    } else {
      unsigned long long asked_at = cases[i].no_blank_line ? limit : header_end;
      unsigned long long want = cases[i].answer == SIZE_MAX
                                || asked_at + cases[i].answer > used
                                ? used : asked_at + cases[i].answer;
      TAP_INT(probe.calls, 1, "read_kept %s: asked once", cases[i].name);
      TAP_OK(probe.size_at_call == asked_at, "read_kept %s: asked when the header was in "
             "(%llu, header %llu)", cases[i].name, probe.size_at_call, asked_at);
      char subject[32];
      snprintf(subject, sizeof subject, "kept-%zu", i);
      TAP_STR(probe.subject, subject, "read_kept %s: header readable in the call",
              cases[i].name);
      TAP_OK(stored == want, "read_kept %s: kept %llu of %zu (want %llu)",
             cases[i].name, stored, used, want);
      TAP_INT(input.partial, want < used, "read_kept %s: partial flag", cases[i].name);
      TAP_INT(probe.from_line_at_call, cases[i].first_line[0] != '\0',
              "read_kept %s: From line known in the call", cases[i].name);
      TAP_INT(probe.crlf_at_call, eol_length == 2, "read_kept %s: CRLF known in the call",
              cases[i].name);
    }
    /* What was kept reads back byte for byte. */
    char *back = malloc((size_t) stored + 1);
    size_t got = 0;
    spool_read_at(&input.spool, 0, back, (size_t) stored, &got);
    TAP_OK(got == (size_t) stored && memcmp(back, text, got) == 0,
           "read_kept %s: kept bytes are the input's start", cases[i].name);
    free(back);
    input_free(&input);
    free(text);
  }
}

/* mime_text_normalise: CRLF and classic-Mac CR become LF, NUL a space. */
static void
test_text_normalise(void)
{
  static const struct {
    const char *text;
    size_t length;
    const char *want;
  } cases[] = {
    { "a\nb\n", 4, "a\nb\n" },
    { "a\r\nb\r\n", 6, "a\nb\n" },
    { "a\rb\r", 4, "a\nb\n" },                  /* no LF: CR ends lines */
    { "\ra\r\rb", 5, "\na\n\nb" },
    { "a\r\0b\r", 5, "a\n b\n" },               /* CR-only with a NUL */
    { "a\0b\n", 4, "a b\n" },
    { "a\rb\nc\r\n", 7, "a\rb\nc\n" },          /* an LF: a lone CR stays */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char buffer[32];
    memcpy(buffer, cases[i].text, cases[i].length);
    size_t length = mime_text_normalise(buffer, cases[i].length);
    TAP_OK(length == strlen(cases[i].want) && memcmp(buffer, cases[i].want, length) == 0
           && buffer[length] == '\0', "text_normalise case %zu", i);
  }
}

/* header_scan: the end of a header block found however the bytes are cut. */
static void
test_header_scan(void)
{
  static const struct {
    const char *text;
    unsigned long long limit;
    long want;                   /* header bytes, empty line included; -1 none */
  } cases[] = {
    { "A: b\n\nbody\n", ULLONG_MAX, 6 },
    { "A: b\r\n\r\nbody\r\n", ULLONG_MAX, 8 },
    { "\nbody", ULLONG_MAX, 1 },
    { "\r\nbody", ULLONG_MAX, 2 },
    { "A: b\n\r\nbody", ULLONG_MAX, 7 },
    { "A: b\r\r\n\nbody", ULLONG_MAX, 8 },
    { "A: b\n folded\n\nbody", ULLONG_MAX, 14 },
    { "A: b\n", ULLONG_MAX, -1 },
    { "A: b\r\n\r", ULLONG_MAX, -1 },
    /* Classic-Mac line ends: a CR alone ends a line until an LF is seen. */
    { "A: b\rC: d\r\rbody", ULLONG_MAX, 11 },
    { "\rbody", ULLONG_MAX, 1 },
    { "A: b\rC: d\r\r", ULLONG_MAX, -1 },        /* "\r\r\n" may follow */
    { "A: b\rC: d\r\r\nE: f\n\nbody", ULLONG_MAX, 18 },
    { "A: b\nC: d\r\rbody\n\nx", ULLONG_MAX, 17 },  /* after an LF: LF mail */
    { "abcdefgh\n\n", 5, 5 },                      /* the limit cuts */
    { "abc\n\n", 5, 5 },                           /* the end at the limit */
    { "ab\n\nxyz", 5, 4 },
  };
  static const size_t pieces[] = { 1, 2, 3, 5, 4096 };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (size_t p = 0; p < sizeof pieces / sizeof pieces[0]; p++) {
      struct header_scan scan;
      const char *text = cases[i].text;
      size_t length = strlen(text), fed = 0;
      long got = -1;
      header_scan_start(&scan, cases[i].limit);
      while (fed < length) {
        size_t piece = length - fed < pieces[p] ? length - fed : pieces[p];
        long part = header_scan_feed(&scan, text + fed, piece);
        if (part >= 0) {
          got = (long) fed + part;
          break;
        }
        fed += piece;
      }
      TAP_INT(got, cases[i].want, "header_scan case %zu in pieces of %zu", i, pieces[p]);
    }
  }
}

/* content_type_parse: the type and the two parameters the walk uses. */
static void
test_content_type(void)
{
  static const struct {
    const char *value, *type, *boundary, *report_type;
  } cases[] = {
    { "text/plain", "text/plain", "", "" },
    { "Multipart/Report; Report-Type=Delivery-Status; Boundary=\"AbC\"",
      "multipart/report", "AbC", "delivery-status" },
    { "multipart/mixed;\n\tboundary=\"x y\"", "multipart/mixed", "x y", "" },
    { "multipart/mixed;\r\n boundary=plain", "multipart/mixed", "plain", "" },
    { "multipart/mixed; boundary=\"a\r\n  b\"", "multipart/mixed", "a  b", "" },
    { "multipart/mixed; boundary=\"a\n\tb\"", "multipart/mixed", "a\tb", "" },
    { "multipart/mixed (a comment; with a semicolon) ; boundary=b1 (and (a nested) one)",
      "multipart/mixed", "b1", "" },
    { "text (c) / plain", "text/plain", "", "" },
    { "(lead) multipart / alternative ; boundary = \"B\"", "multipart/alternative", "B", "" },
    { "multipart/mixed; boundary=\"a\\\"b\\\\c\"", "multipart/mixed", "a\"b\\c", "" },
    { "multipart/mixed; boundary=\"a;b (c)\"", "multipart/mixed", "a;b (c)", "" },
    { "multipart/mixed; boundary=\"D\"; boundary=\"E\"", "multipart/mixed", "D", "" },
    { "multipart/mixed;; ;boundary=x;", "multipart/mixed", "x", "" },
    { "multipart/mixed; boundary=\"abc", "multipart/mixed", "abc", "" },
    { "multipart/mixed; boundary=----=_Part_0_1.2", "multipart/mixed", "----=_Part_0_1.2", "" },
    { "multipart/mixed; junk; =x; boundary=y", "multipart/mixed", "y", "" },
    { "multipart/mixed boundary=x", "multipart/mixed", "", "" },   /* no ';' */
    { "multipart/mixed; xboundary=1; boundaryx=2; boundary-x=3", "multipart/mixed", "", "" },
    { "multipart/mixed; boundary=\"=?utf-8?q?x?=\"", "multipart/mixed", "=?utf-8?q?x?=", "" },
    /* RFC 2231 sections and extended values */
    { "multipart/mixed; boundary*0=\"ab\"; boundary*1=cd; boundary*2*=%41%42",
      "multipart/mixed", "abcdAB", "" },
    { "multipart/mixed; BOUNDARY*1=cd; Boundary*0=ab", "multipart/mixed", "abcd", "" },
    { "multipart/mixed; boundary*=us-ascii'en'a%20b%zz", "multipart/mixed", "a b%zz", "" },
    { "multipart/mixed; boundary*0*=utf-8''x%2Dy; boundary*1=z%41", "multipart/mixed",
      "x-yz%41", "" },
    { "multipart/mixed; boundary*0=a; boundary*2=c", "multipart/mixed", "a", "" },
    { "multipart/mixed; boundary*1=b", "multipart/mixed", "", "" },
    { "multipart/mixed; boundary*0=a; boundary*99=b", "multipart/mixed", "", "" },
    { "multipart/mixed; boundary*0=a; boundary=b", "multipart/mixed", "b", "" },
    { "multipart/mixed; boundary*0x=a; boundary*=b", "multipart/mixed", "b", "" },
    { "multipart/mixed; boundary*=''a%00b", "multipart/mixed", "", "" },
    { "multipart/report; report-type*=''Delivery%2Dstatus", "multipart/report", "",
      "delivery-status" },
    { "multipart/report; report-type=\"a-report-type-that-is-longer-than-forty-bytes\"",
      "multipart/report", "", "" },
    /* malformed types: text/plain for the caller */
    { "", "", "", "" },
    { "text", "", "", "" },
    { "/plain", "", "", "" },
    { "text/", "", "", "" },
    { "; boundary=x", "", "x", "" },
  };
  static struct content_type parsed;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    memset(&parsed, 'x', sizeof parsed);
    content_type_parse(cases[i].value, strlen(cases[i].value), &parsed);
    TAP_STR(parsed.type, cases[i].type, "content type %zu: type", i);
    TAP_STR(parsed.boundary, cases[i].boundary, "content type %zu: boundary", i);
    TAP_STR(parsed.report_type, cases[i].report_type, "content type %zu: report-type", i);
  }

  /* Only `length` bytes are read. */
  content_type_parse("text/plain; boundary=abcdef", 24, &parsed);
  TAP_STR(parsed.boundary, "abc", "content type: the length bounds the value");

  /* A boundary longer than a delimiter line can hold is no boundary. */
  size_t long_length = CAP_LINE_BYTES + 100;
  char *value = malloc(long_length + 64);
  int n = sprintf(value, "multipart/mixed; boundary=");
  memset(value + n, 'b', long_length);
  value[n + long_length] = '\0';
  content_type_parse(value, strlen(value), &parsed);
  TAP_STR(parsed.boundary, "", "content type: a %zu-byte boundary is none", long_length);
  free(value);

  /* 27,000 parameters (the flood of issue 10) before the boundary: all
   * read, none kept. */
  enum { FLOOD = 27000 };
  value = malloc(FLOOD * 16 + 64);
  char *p = value + sprintf(value, "multipart/mixed;");
  for (int i = 0; i < FLOOD; i++)
    p += sprintf(p, " p%d=v;", i);
  sprintf(p, " boundary=\"after-the-flood\"");
  content_type_parse(value, strlen(value), &parsed);
  TAP_STR(parsed.boundary, "after-the-flood", "content type: boundary after %d parameters",
          FLOOD);
  free(value);
}

/* The walk reads boundaries the way content_type_parse does: RFC 2231
 * sections split the message, a comment does not hide the type. */
static void
test_walk_content_types(void)
{
  static const char message[] =
    "From: MAILER-DAEMON@example.net\n"
    "Content-Type: multipart/report (a DSN); report-type=delivery-status;\n"
    " boundary*0=\"part\"; boundary*1*=%2Done\n\n"
    "--part-one\nContent-Type: text/plain\n\nhello\n"
    "--part-one\nContent-Type: message/delivery-status; x=\"--part-one\"\n\n"
    "Final-Recipient: rfc822; a@example.net\n\n"
    "--part-one--\n";
  /* Two blanks inside a quoted boundary are two blanks (unfolding the
   * field collapsed them, and no delimiter matched). */
  static const char blanks[] =
    "From: MAILER-DAEMON@example.net\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    " boundary=\"two  blanks\"\n\n"
    "--two  blanks\nContent-Type: message/delivery-status\n\n"
    "Final-Recipient: rfc822; a@example.net\n\n"
    "--two  blanks--\n";
  struct input input;
  struct notice notice;
  TAP_INT(parse(blanks, strlen(blanks), &input, &notice), 0, "blanks in a boundary: parses");
  TAP_OK(find_role(&notice, PART_DELIVERY_STATUS, 0) != NULL,
         "blanks in a boundary: the part is found");
  notice_free(&notice);
  input_free(&input);

  TAP_INT(parse(message, strlen(message), &input, &notice), 0, "RFC 2231 boundary parses");
  TAP_STR(notice.content_type, "multipart/report", "comment after the type ignored");
  const struct notice_part *report = find_role(&notice, PART_REPORT, 0);
  TAP_STR(report ? report->report_type : NULL, "delivery-status", "report-type read");
  TAP_OK(find_role(&notice, PART_TEXT, 0) && find_role(&notice, PART_DELIVERY_STATUS, 0),
         "parts split on the RFC 2231 boundary");
  notice_free(&notice);
  input_free(&input);
}

/* input_copy_out: what a receiver gets, and a receiver that stops. */
struct collected_copy {
  char *bytes;
  size_t length, calls, stop_after;   /* stop_after 0: never stop */
};

static int
collect_copy(void *cookie, const char *data, size_t length)
{
  struct collected_copy *copy = cookie;
  copy->calls++;
  if (copy->stop_after && copy->calls >= copy->stop_after)
    return -1;
  char *bigger = realloc(copy->bytes, copy->length + length + 1);
  if (!bigger)
    return -1;
  memcpy(bigger + copy->length, data, length);
  copy->bytes = bigger;
  copy->length += length;
  return 0;
}

static void
test_copy_out(void)
{
  static const struct {
    const char *what;
    size_t length;            /* bytes of a generated message */
    size_t stop_after;
    int want_result;
    size_t want_calls;
  } cases[] = {
    { "empty message", 0, 0, 0, 0 },
    { "small message, one piece", 100, 0, 0, 1 },
    { "exactly 64 KB, one piece", 65536, 0, 0, 1 },
    { "200 KB (spilled to a file), four pieces", 200000, 0, 0, 4 },
    { "receiver stops at the second piece", 200000, 2, -1, 2 },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *text = malloc(cases[i].length + 1);
    struct input input;
    struct failure failure = { 0 };
    struct collected_copy copy = { .stop_after = cases[i].stop_after };
    for (size_t k = 0; k < cases[i].length; k++)
      text[k] = k % 61 == 60 ? '\n' : (char) ('a' + k % 26);
    if (input_from_buffer(text, cases[i].length, &input, &failure) < 0) {
      TAP_OK(0, "copy out, %s: input made", cases[i].what);
      free(text);
      continue;
    }
    int result = input_copy_out(&input, collect_copy, &copy, &failure);
    TAP_OK(result == cases[i].want_result, "copy out, %s: result %d", cases[i].what,
           result);
    TAP_OK(copy.calls == cases[i].want_calls, "copy out, %s: %zu pieces",
           cases[i].what, copy.calls);
    if (cases[i].want_result == 0)
      TAP_OK(copy.length == cases[i].length
             && (copy.length == 0 || memcmp(copy.bytes, text, copy.length) == 0),
             "copy out, %s: the same bytes", cases[i].what);
    /* A second copy gives the same again (the spool is rewound). */
    if (cases[i].want_result == 0) {
      struct collected_copy again = { 0 };
      input_copy_out(&input, collect_copy, &again, &failure);
      TAP_OK(again.length == cases[i].length, "copy out, %s: twice", cases[i].what);
      free(again.bytes);
    }
    free(copy.bytes);
    free(text);
    input_free(&input);
  }
}

int
main(void)
{
  /* The plugin's sources are linked in: its table, without dlopen(). */
  muplugin_use(&backscatter_filter_mailutils);
  test_copy_out();
  test_content_type();
  test_walk_content_types();
  test_header_scan();
  test_text_normalise();
  test_read_kept();
  test_header_end_across_reads();
  test_parse_text();
  test_originals(0);
  test_originals(1);
  test_report_structure();
  test_from_line_and_header();
  test_caps();
  test_splitter();
  test_large_original();
  return tap_done();
}
