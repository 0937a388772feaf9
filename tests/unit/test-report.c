/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-report.c: the X-Backscatter header (hostile values included), the
 * tagged copy for LF, CRLF and mbox input (also across the 64 KB copy
 * chunk), write errors on a closed pipe, the verdict line, the log lines and
 * the --explain trace. Table-driven; output goes to temp files from tmpfile()
 * and memory streams, never to $HOME.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "caps.h"
#include "decision.h"
#include "report.h"
#include "../tap.h"

/* A decision from the few fields the tests set. */
struct decision_spec {
  enum verdict verdict;
  enum notice_kind kind;
  enum action action;
  const char *msgid;
  const char *reason;
  const char *rule_name;
  unsigned caps_hit;
  int store_failed;
};

static void
make_decision(struct decision *decision, const struct decision_spec *spec)
{
  memset(decision, 0, sizeof *decision);
  decision->verdict = spec->verdict;
  decision->kind = spec->kind;
  decision->action = spec->action;
  snprintf(decision->original_msgid, sizeof decision->original_msgid, "%s",
           spec->msgid ? spec->msgid : "");
  snprintf(decision->reason, sizeof decision->reason, "%s",
           spec->reason ? spec->reason : "");
  decision->rule_name = spec->rule_name;
  decision->caps_hit = spec->caps_hit;
  decision->store_failed = spec->store_failed;
}

static int
has_control(const char *text)
{
  for (; *text; text++)
    if ((unsigned char) *text < 0x20 || *text == 0x7f)
      return 1;
  return 0;
}

/* ---------------------------------------------------------- tag header */

static void
test_tag_header(void)
{
  static const struct {
    const char *what;
    struct decision_spec spec;
    const char *want;
  } cases[] = {
    { "clean, no id",
      { VERDICT_CLEAN, KIND_NONE, ACTION_DELIVER, NULL, "ordinary mail", NULL, 0, 0 },
      "X-Backscatter: clean; kind=none; action=deliver; reason=\"ordinary mail\"" },
    { "backscatter with id",
      { VERDICT_BACKSCATTER, KIND_DSN, ACTION_FILE, "abc.123@mx.example",
        "ID not in the sent store", NULL, 0, 0 },
      "X-Backscatter: backscatter; kind=dsn; action=file; id=<abc.123@mx.example>;"
      " reason=\"ID not in the sent store\"" },
    { "rule and caps",
      { VERDICT_GENUINE, KIND_AUTOREPLY, ACTION_DELIVER, "x@y", "site rule",
        "lists", CAP_HIT_MIME_DEPTH | CAP_HIT_IDS, 0 },
      "X-Backscatter: genuine; kind=autoreply; action=deliver; id=<x@y>;"
      " rule=lists; caps=mime-depth,ids; reason=\"site rule\"" },
    { "hostile id and reason",
      { VERDICT_UNKNOWN, KIND_NDR, ACTION_DROP, "evil\r\nBcc: v@x;<z>@y",
        "a\r\nX-Evil: 1; \"q\"\\ \x1b[31m\xc3\xa9", "r;\"1\"\n", 0, 0 },
      "X-Backscatter: unknown; kind=ndr; action=drop;"
      " id=<evil__Bcc:_v@x,_z_@y>; rule=r,'1'_;"
      " reason=\"a  X-Evil: 1, 'q'/  [31m??\"" },
    { "empty reason",
      { VERDICT_CLEAN, KIND_NONE, ACTION_DELIVER, NULL, NULL, NULL, 0, 0 },
      "X-Backscatter: clean; kind=none; action=deliver; reason=\"\"" },
  };
  char header[1200];
  struct decision decision;

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    make_decision(&decision, &cases[i].spec);
    report_tag_header(&decision, header, sizeof header);
    TAP_STR(header, cases[i].want, "tag header: %s", cases[i].what);
    TAP_OK(!has_control(header), "tag header: %s: no control characters",
           cases[i].what);
  }

  /* An ID of the largest size kept: the line stays within 998 bytes and
   * the reason stays closed. */
  struct decision_spec spec = { VERDICT_BACKSCATTER, KIND_DSN, ACTION_FILE,
                                NULL, "long", NULL, 0, 0 };
  make_decision(&decision, &spec);
  memset(decision.original_msgid, 'a', CAP_ID_BYTES - 10);
  memcpy(decision.original_msgid + CAP_ID_BYTES - 10, "@b.example", 11);
  report_tag_header(&decision, header, sizeof header);
  TAP_OK(strlen(header) <= 998, "tag header: long id: %zu bytes <= 998",
         strlen(header));
  TAP_OK(strlen(header) > 900, "tag header: long id: most of it kept");
  TAP_OK(header[strlen(header) - 1] == '"' || header[strlen(header) - 1] == '>',
         "tag header: long id: ends on a closed value");
  TAP_OK(strstr(header, "; kind=dsn; action=file") != NULL,
         "tag header: long id: fixed fields kept");

  /* The caller's buffer bounds the copy. */
  char small[16];
  report_tag_header(&decision, small, sizeof small);
  TAP_STR(small, "X-Backscatter: ", "tag header: truncated to the buffer");
}

/* -------------------------------------------------------- tagged output */

/* Read everything written to a temp file's fd back into a new string. */
static char *
read_back(FILE *file, size_t *length)
{
  long size;
  fflush(file);
  if (lseek(fileno(file), 0, SEEK_END) < 0 || (size = lseek(fileno(file), 0, SEEK_CUR)) < 0
      || lseek(fileno(file), 0, SEEK_SET) < 0)
    return NULL;
  char *text = malloc((size_t) size + 1);
  if (!text)
    return NULL;
  size_t got = 0;
  while (got < (size_t) size) {
    ssize_t n = read(fileno(file), text + got, (size_t) size - got);
    if (n <= 0)
      break;
    got += (size_t) n;
  }
  text[got] = '\0';
  *length = got;
  return text;
}

/* Run report_write_tagged (or _raw) on `data`, return what it wrote. */
static char *
write_through(const char *data, size_t length, int tagged,
              const struct decision *decision, int *status, size_t *out_length)
{
  struct input input;
  struct failure failure = { 0 };
  FILE *file = tmpfile();
  char *text = NULL;

  *status = -2;
  if (!file)
    return NULL;
  if (input_from_buffer(data, length, &input, &failure) == 0) {
    *status = tagged ? report_write_tagged(&input, decision, fileno(file), &failure)
                     : report_write_raw(&input, fileno(file), &failure);
    input_free(&input);
    text = read_back(file, out_length);
  }
  fclose(file);
  return text;
}

static void
test_tagged_output(void)
{
  static const char tag[] = "X-Backscatter: backscatter; kind=dsn; action=file;"
                            " id=<o@x.example>; reason=\"not sent\"";
  static const struct {
    const char *what;
    const char *input;
    const char *want;           /* with "%" where the tag line goes */
  } cases[] = {
    { "LF", "Subject: s\nFrom: a@b\n\nbody\n", "%\nSubject: s\nFrom: a@b\n\nbody\n" },
    { "CRLF", "Subject: s\r\n\r\nbody\r\n", "%\r\nSubject: s\r\n\r\nbody\r\n" },
    { "mbox From line, LF",
      "From a@b Mon Nov 23 11:00:00 2026\nSubject: s\n\nbody\n",
      "From a@b Mon Nov 23 11:00:00 2026\n%\nSubject: s\n\nbody\n" },
    { "mbox From line, CRLF",
      "From a@b Mon Nov 23 11:00:00 2026\r\nSubject: s\r\n\r\nb\r\n",
      "From a@b Mon Nov 23 11:00:00 2026\r\n%\r\nSubject: s\r\n\r\nb\r\n" },
    { "From line only, no line end", "From a@b x", "From a@b x\n%\n" },
    { "empty input", "", "%\n" },
    { "no line end at all", "Subject: s", "%\nSubject: s" },
  };
  struct decision_spec spec = { VERDICT_BACKSCATTER, KIND_DSN, ACTION_FILE,
                                "o@x.example", "not sent", NULL, 0, 0 };
  struct decision decision;
  make_decision(&decision, &spec);

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    /* Expand "%" into the tag line. */
    char want[512] = "";
    const char *at = strchr(cases[i].want, '%');
    snprintf(want, sizeof want, "%.*s%s%s", (int) (at - cases[i].want),
             cases[i].want, tag, at + 1);
    int status;
    size_t length = 0;
    char *got = write_through(cases[i].input, strlen(cases[i].input), 1,
                              &decision, &status, &length);
    TAP_INT(status, 0, "tagged %s: returns 0", cases[i].what);
    TAP_STR(got, want, "tagged %s: output", cases[i].what);
    free(got);
    got = write_through(cases[i].input, strlen(cases[i].input), 0, &decision,
                        &status, &length);
    TAP_INT(status, 0, "raw %s: returns 0", cases[i].what);
    TAP_STR(got, cases[i].input, "raw %s: output unchanged", cases[i].what);
    free(got);
  }

  /* Larger than the copy chunk and the in-memory part of the input, with
   * a From line and NUL bytes in the body: every byte must come through. */
  static const char from_line[] = "From a@b Mon Nov 23 11:00:00 2026\n";
  size_t big_length = 3u * 1024 * 1024 + 17;
  char *big = malloc(big_length);
  char *want = malloc(big_length + sizeof tag + 1);
  if (big && want) {
    for (size_t i = 0; i < big_length; i++)
      big[i] = i % 61 == 60 ? '\n' : (char) (i % 7 ? 'a' + i % 26 : '\0');
    memcpy(big, from_line, sizeof from_line - 1);
    size_t from_length = sizeof from_line - 1;
    memcpy(want, big, from_length);
    memcpy(want + from_length, tag, sizeof tag - 1);
    want[from_length + sizeof tag - 1] = '\n';
    memcpy(want + from_length + sizeof tag, big + from_length, big_length - from_length);
    int status;
    size_t length = 0;
    char *got = write_through(big, big_length, 1, &decision, &status, &length);
    TAP_INT(status, 0, "tagged 3 MB: returns 0");
    TAP_INT(length, big_length + sizeof tag, "tagged 3 MB: length");
    TAP_OK(got && length == big_length + sizeof tag
           && memcmp(got, want, length) == 0, "tagged 3 MB: identical bytes");
    free(got);
  } else {
    TAP_OK(0, "tagged 3 MB: out of memory in the test");
  }
  free(big);
  free(want);
}

static void
test_closed_pipe(void)
{
  struct decision_spec spec = { VERDICT_CLEAN, KIND_NONE, ACTION_DELIVER,
                                NULL, "x", NULL, 0, 0 };
  struct decision decision;
  struct input input;
  struct failure failure = { 0 };
  int fds[2];

  make_decision(&decision, &spec);
  signal(SIGPIPE, SIG_IGN);
  for (int tagged = 0; tagged <= 1; tagged++) {
    if (pipe(fds) != 0 || input_from_buffer("Subject: s\n\nb\n", 14, &input,
                                            &failure) != 0) {
      TAP_OK(0, "closed pipe: setup");
      continue;
    }
    close(fds[0]);
    memset(&failure, 0, sizeof failure);
    int status = tagged ? report_write_tagged(&input, &decision, fds[1], &failure)
                        : report_write_raw(&input, fds[1], &failure);
    TAP_INT(status, -1, "closed pipe, %s: returns -1", tagged ? "tagged" : "raw");
    TAP_INT(failure.class, FAILURE_IO, "closed pipe, %s: FAILURE_IO",
            tagged ? "tagged" : "raw");
    TAP_OK(strstr(failure.message, strerror(EPIPE)) != NULL,
           "closed pipe, %s: says why (%s)", tagged ? "tagged" : "raw",
           failure.message);
    close(fds[1]);
    input_free(&input);
  }

  /* The verdict line to a closed pipe. */
  if (pipe(fds) == 0) {
    close(fds[0]);
    FILE *out = fdopen(fds[1], "w");
    TAP_INT(out ? report_write_verdict(&decision, out) : 0, -1,
            "verdict to a closed pipe: -1");
    if (out)
      fclose(out);
  }
}

/* ------------------------------------------------ verdict, log, explain */

/* A memory stream for one writer; *text is valid after fclose(). */
static FILE *
capture(char **text, size_t *size)
{
  *text = NULL;
  return open_memstream(text, size);
}

static void
test_verdict_and_logs(void)
{
  static const struct {
    const char *what;
    struct decision_spec spec;
    const char *verdict_line;
    const char *log_line;
  } cases[] = {
    { "backscatter",
      { VERDICT_BACKSCATTER, KIND_DSN, ACTION_FILE, "o@x", "not in store", NULL, 0, 0 },
      "backscatter file\n",
      "verdict=backscatter kind=dsn action=file id=<o@x> reason=\"not in store\"\n" },
    { "clean, no id",
      { VERDICT_CLEAN, KIND_NONE, ACTION_DELIVER, NULL, "ordinary", NULL, 0, 0 },
      "clean deliver\n",
      "verdict=clean kind=none action=deliver reason=\"ordinary\"\n" },
    { "rule, caps, store trouble, hostile reason",
      { VERDICT_UNKNOWN, KIND_ARF, ACTION_DROP, "a b@x", "two\nlines \"q\"",
        "my rule", CAP_HIT_RECIPIENTS, 1 },
      "unknown drop\n",
      "verdict=unknown kind=arf action=drop id=<a_b@x> rule=my_rule"
      " caps=recipients store=failed reason=\"two lines 'q'\"\n" },
  };
  struct rules rules;
  struct decision decision;

  memset(&rules, 0, sizeof rules);      /* log_syslog = 0: only `also` */
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    make_decision(&decision, &cases[i].spec);
    FILE *out;
    size_t size;
    char *text;
    out = capture(&text, &size);
    TAP_INT(report_write_verdict(&decision, out), 0, "verdict %s: returns 0",
            cases[i].what);
    fclose(out);
    TAP_STR(text, cases[i].verdict_line, "verdict %s: line", cases[i].what);
    free(text);

    out = capture(&text, &size);
    report_log_decision(&rules, NULL, &decision, out);
    fclose(out);
    TAP_STR(text, cases[i].log_line, "log %s: line", cases[i].what);
    free(text);
  }

  /* The failure line. */
  struct failure failure = { 0 };
  failure_set(&failure, FAILURE_LOCKED, "store /s/sent.db: locked\r\nFAKE: x");
  FILE *out;
  size_t size;
  char *text;
  out = capture(&text, &size);
  report_log_failure(&rules, NULL, "open \"store\"", &failure, "deliver", out);
  fclose(out);
  TAP_STR(text, "error=locked what=\"open 'store'\" outcome=deliver"
          " message=\"store /s/sent.db: locked  FAKE: x\"\n", "log failure: line");
  free(text);
  out = capture(&text, &size);
  report_log_failure(&rules, NULL, NULL, NULL, NULL, out);
  fclose(out);
  TAP_STR(text, "error=none\n", "log failure: nothing known");
  free(text);
}

static void
test_explain(void)
{
  struct decision_spec spec = { VERDICT_BACKSCATTER, KIND_DSN, ACTION_FILE,
                                "o@x.example", "not in store", "r1",
                                CAP_HIT_IDS, 1 };
  struct decision decision;
  make_decision(&decision, &spec);
  decision_note(&decision, 0, "kind dsn: multipart/report");
  decision_note(&decision, 0, "id <o@x.example> not in store\x1b]0;evil\x07");
  decision.trace[1].decisive = 1;     /* the reason stays the spec's */

  FILE *out;
  size_t size;
  char *text;
  out = capture(&text, &size);
  report_explain(&decision, out);
  fclose(out);
  static const char *const wanted[] = {
    "verdict:     backscatter\n", "kind:        dsn\n", "action:      file\n",
    "original id: <o@x.example>\n", "reason:      not in store\n",
    "rule:        r1\n", "caps hit:    ids\n", "store:       trouble",
    "\n    kind dsn: multipart/report\n",
    "\n  * id <o@x.example> not in store ]0;evil \n",
  };
  for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
    const char *shown = wanted[i] + (wanted[i][0] == '\n');
    TAP_OK(text && strstr(text, wanted[i]), "explain shows '%.*s'",
           (int) strcspn(shown, "\n"), shown);
  }
  TAP_OK(text && !strchr(text, '\x1b') && !strchr(text, '\x07'),
         "explain: control characters made inert");
  free(text);
  decision_free(&decision);
}

int
main(void)
{
  test_tag_header();
  test_tagged_output();
  test_closed_pipe();
  test_verdict_and_logs();
  test_explain();
  return tap_done();
}
