/* SPDX-License-Identifier: GPL-3.0-or-later */
/* report.c: everything the program says about a message: the X-Backscatter
 * header and the tagged copy (--tag), the verdict line (--verdict), the
 * trace (--explain) and one log line per message or failure.
 *
 * Values shown come partly from strangers (IDs, reasons quoting a notice), so
 * every value is sanitised before it is written: no control characters, and
 * in the header nothing that could end a value or the line (';', '"', '\\',
 * CR, LF) and nothing but ASCII. The header is one line of at most 998 bytes
 * (RFC 5322 2.1.1), so it never needs folding.
 *
 * The tagged copy is streamed from the input's seekable copy in 64 KB chunks:
 * the message is never held in memory whole. Write errors (EPIPE included:
 * the caller ignores SIGPIPE) come back as -1 with FAILURE_IO; nothing here
 * logs on its own account except the two log functions, and nothing exits.
 */
#include <config.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "caps.h"
#include "report.h"
#include "util.h"

enum {
  HEADER_LINE_MAX = 998,     /* RFC 5322 line limit, without CRLF */
  LOG_LINE_MAX = 2048,
};

/* How a value is cleaned for the place it goes to. Control characters
 * always become a space. */
enum {
  CLEAN_HEADER = 1u << 0,    /* ';' -> ',', '"' -> '\'', '\\' -> '/', 8-bit -> '?' */
  CLEAN_QUOTED = 1u << 1,    /* '"' -> '\'' (inside a "..." log value) */
  CLEAN_WORD   = 1u << 2,    /* spaces -> '_' (an unquoted log value) */
  CLEAN_ANGLE  = 1u << 3,    /* '<' '>' -> '_' (inside id=<...>) */
};

static char
clean_char(unsigned char c, unsigned how)
{
  if (c < 0x20 || c == 0x7f)
    c = ' ';
  if (how & CLEAN_HEADER) {
    if (c == ';')
      return ',';
    if (c == '\\')
      return '/';
    if (c >= 0x80)
      return '?';
  }
  if ((how & (CLEAN_HEADER | CLEAN_QUOTED)) && c == '"')
    return '\'';
  if ((how & CLEAN_ANGLE) && (c == '<' || c == '>'))
    return '_';
  if ((how & CLEAN_WORD) && c == ' ')
    return '_';
  return (char) c;
}

/* A line being built in a fixed buffer; never overflows, notes truncation. */
struct line {
  char *text;
  size_t used;
  size_t limit;              /* bytes of content allowed, the NUL excluded */
};

static void
line_add(struct line *line, const char *text)
{
  while (*text && line->used < line->limit)
    line->text[line->used++] = *text++;
  line->text[line->used] = '\0';
}

static void
line_addf(struct line *line, const char *format, ...)
  __attribute__((format(printf, 2, 3)));

static void
line_addf(struct line *line, const char *format, ...)
{
  char piece[256];
  va_list args;
  va_start(args, format);
  vsnprintf(piece, sizeof piece, format, args);
  va_end(args);
  line_add(line, piece);
}

/* Append `prefix`, the cleaned value, then `suffix`; the value is cut short
 * so that the suffix always fits (a quoted value stays closed). Nothing is
 * added when not even prefix and suffix fit. */
static void
line_add_value(struct line *line, const char *prefix, const char *value,
               const char *suffix, unsigned how)
{
  size_t fixed = strlen(prefix) + strlen(suffix);
  if (line->used + fixed > line->limit)
    return;
  line_add(line, prefix);
  size_t room = line->limit - line->used - strlen(suffix);
  for (size_t i = 0; value && value[i] && room > 0; i++, room--)
    line->text[line->used++] = clean_char((unsigned char) value[i], how);
  line->text[line->used] = '\0';
  line_add(line, suffix);
}

/* ------------------------------------------------------------- header */

void
report_tag_header(const struct decision *decision, char *buffer, size_t size)
{
  char text[HEADER_LINE_MAX + 1];
  struct line line = { text, 0, HEADER_LINE_MAX };
  char caps[256];

  if (size == 0)
    return;
  text[0] = '\0';
  line_add(&line, "X-Backscatter: ");
  line_add(&line, verdict_name(decision->verdict));
  line_addf(&line, "; kind=%s; action=%s", kind_name(decision->kind),
            action_name(decision->action));
  if (decision->original_msgid[0])
    line_add_value(&line, "; id=<", decision->original_msgid, ">",
                   CLEAN_HEADER | CLEAN_ANGLE | CLEAN_WORD);
  if (decision->rule_name)
    line_add_value(&line, "; rule=", decision->rule_name, "",
                   CLEAN_HEADER | CLEAN_WORD);
  if (decision->caps_hit)
    line_add_value(&line, "; caps=",
                   cap_hit_names(decision->caps_hit, caps, sizeof caps), "",
                   CLEAN_HEADER | CLEAN_WORD);
  line_add_value(&line, "; reason=\"", decision->reason, "\"", CLEAN_HEADER);
  snprintf(buffer, size, "%s", text);
}

/* ------------------------------------------------------ tagged output */

static int
write_out(int fd, const char *data, size_t length, struct failure *failure)
{
  if (write_all(fd, data, length) < 0)
    return failure_set(failure, FAILURE_IO, "cannot write the message: %s",
                       strerror(errno));
  return 0;
}

/* The copy in progress: where it goes and whether the header is still
 * to be written after the mbox "From " line. */
struct tagged_copy {
  int fd;
  const char *header;         /* NULL: a plain copy */
  const char *line_end;
  char from_line_end;         /* the byte that ends the "From " line */
  int in_from_line;
  struct failure *failure;
};

static int
write_header_line(struct tagged_copy *copy)
{
  if (write_out(copy->fd, copy->header, strlen(copy->header), copy->failure) < 0
      || write_out(copy->fd, copy->line_end, strlen(copy->line_end), copy->failure) < 0)
    return -1;
  copy->header = NULL;
  return 0;
}

static int
copy_chunk(void *cookie, const char *chunk, size_t n)
{
  struct tagged_copy *copy = cookie;
  size_t start = 0;
  if (copy->in_from_line) {
    const char *newline = memchr(chunk, copy->from_line_end, n);
    if (newline) {
      start = (size_t) (newline - chunk) + 1;
      if (write_out(copy->fd, chunk, start, copy->failure) < 0
          || write_header_line(copy) < 0)
        return -1;
      copy->in_from_line = 0;
    }
  }
  return write_out(copy->fd, chunk + start, n - start, copy->failure);
}

/* Copy the spooled message to fd. When `header` is not NULL it is written
 * (with the message's own line end: LF, CRLF, or CR for classic-Mac mail)
 * after the mbox "From " line if there is one, else first. */
static int
copy_input(struct input *input, const char *header, int fd,
           struct failure *failure)
{
  struct tagged_copy copy = {
    .fd = fd, .header = header,
    .line_end = input->crlf ? "\r\n" : input->cr_only ? "\r" : "\n",
    .from_line_end = input->cr_only ? '\r' : '\n',
    .in_from_line = header && input->has_from_line, .failure = failure,
  };
  if (copy.header && !copy.in_from_line && write_header_line(&copy) < 0)
    return -1;
  if (input_copy_out(input, copy_chunk, &copy, failure) < 0)
    return -1;
  if (copy.header) {
    /* A "From " line with no line end and nothing after it. */
    if (write_out(fd, copy.line_end, strlen(copy.line_end), failure) < 0
        || write_header_line(&copy) < 0)
      return -1;
  }
  return 0;
}

int
report_write_tagged(struct input *input, const struct decision *decision,
                    int fd, struct failure *failure)
{
  char header[HEADER_LINE_MAX + 1];
  report_tag_header(decision, header, sizeof header);
  return copy_input(input, header, fd, failure);
}

int
report_write_raw(struct input *input, int fd, struct failure *failure)
{
  return copy_input(input, NULL, fd, failure);
}

/* ------------------------------------------------- verdict and explain */

int
report_write_verdict(const struct decision *decision, FILE *out)
{
  if (fprintf(out, "%s %s\n", verdict_name(decision->verdict),
              action_name(decision->action)) < 0)
    return -1;
  return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

/* Print one labelled value with control characters made harmless (the
 * trace goes to a terminal; an escape sequence in a bounce stays inert). */
static void
explain_value(FILE *out, const char *label, const char *value, unsigned how)
{
  fprintf(out, "%-12s ", label);
  for (size_t i = 0; value[i]; i++)
    fputc(clean_char((unsigned char) value[i], how), out);
  fputc('\n', out);
}

void
report_explain(const struct decision *decision, FILE *out)
{
  char caps[256];

  explain_value(out, "verdict:", verdict_name(decision->verdict), 0);
  explain_value(out, "kind:", kind_name(decision->kind), 0);
  explain_value(out, "action:", action_name(decision->action), 0);
  if (decision->original_msgid[0]) {
    fprintf(out, "%-12s <", "original id:");
    for (size_t i = 0; decision->original_msgid[i]; i++)
      fputc(clean_char((unsigned char) decision->original_msgid[i], CLEAN_ANGLE),
            out);
    fputs(">\n", out);
  } else {
    explain_value(out, "original id:", "(none found)", 0);
  }
  explain_value(out, "reason:", decision->reason[0] ? decision->reason : "(none)", 0);
  if (decision->rule_name)
    explain_value(out, "rule:", decision->rule_name, 0);
  if (decision->caps_hit)
    explain_value(out, "caps hit:",
                  cap_hit_names(decision->caps_hit, caps, sizeof caps), 0);
  if (decision->store_failed)
    explain_value(out, "store:", "trouble with the sent store: judged without it", 0);
  size_t count = decision->trace_count < CAP_EVIDENCE ? decision->trace_count
                                                      : CAP_EVIDENCE;
  fprintf(out, "evidence:%s\n", count ? "" : " (none)");
  for (size_t i = 0; i < count; i++) {
    const struct evidence *evidence = &decision->trace[i];
    fputs(evidence->decisive ? "  * " : "    ", out);
    /* The text is a fixed array: bound the walk by it, NUL or not. */
    for (size_t j = 0; j < sizeof evidence->text && evidence->text[j]; j++)
      fputc(clean_char((unsigned char) evidence->text[j], 0), out);
    fputc('\n', out);
  }
  fflush(out);
}

/* ------------------------------------------------------------ logging */

static void
emit_log_line(const struct rules *rules, int priority, const char *line,
              FILE *also)
{
  if (rules && rules->log_syslog) {
    openlog(rules->log_ident ? rules->log_ident : "backscatter-filter",
            LOG_PID, rules->log_facility);
    syslog(priority, "%s", line);
    closelog();
  }
  if (also) {
    if (rules && rules->log_file) {
      char stamp[ISO_TIME_BYTES];
      fprintf(also, "%s [%ld] ", iso_time(time(NULL), stamp), (long) getpid());
    }
    fprintf(also, "%s\n", line);
    fflush(also);
  }
}

/* "user=LOGIN msgid=<ID> " at the start of a line. */
static void
line_add_subject(struct line *line, const struct log_subject *subject)
{
  if (!subject)
    return;
  if (subject->user && subject->user[0])
    line_add_value(line, "user=", subject->user, " ", CLEAN_WORD);
  if (subject->msgid && subject->msgid[0])
    line_add_value(line, "msgid=<", subject->msgid, "> ",
                   CLEAN_WORD | CLEAN_ANGLE);
}

void
report_log_decision(const struct rules *rules, const struct log_subject *subject,
                    const struct decision *decision, FILE *also)
{
  char text[LOG_LINE_MAX];
  struct line line = { text, 0, sizeof text - 1 };
  char caps[256];

  text[0] = '\0';
  line_add_subject(&line, subject);
  line_addf(&line, "verdict=%s kind=%s action=%s", verdict_name(decision->verdict),
            kind_name(decision->kind), action_name(decision->action));
  if (decision->original_msgid[0])
    line_add_value(&line, " id=<", decision->original_msgid, ">",
                   CLEAN_WORD | CLEAN_ANGLE);
  if (decision->rule_name)
    line_add_value(&line, " rule=", decision->rule_name, "", CLEAN_WORD);
  if (decision->caps_hit)
    line_add_value(&line, " caps=",
                   cap_hit_names(decision->caps_hit, caps, sizeof caps), "",
                   CLEAN_WORD);
  if (decision->store_failed)
    line_add(&line, " store=failed");
  line_add_value(&line, " reason=\"", decision->reason, "\"", CLEAN_QUOTED);
  emit_log_line(rules, LOG_INFO, text, also);
}

void
report_log_failure(const struct rules *rules, const struct log_subject *subject,
                   const char *what, const struct failure *failure,
                   const char *outcome, FILE *also)
{
  char text[LOG_LINE_MAX];
  struct line line = { text, 0, sizeof text - 1 };

  text[0] = '\0';
  line_add_subject(&line, subject);
  line_add_value(&line, "error=",
                 failure_class_name(failure ? failure->class : FAILURE_NONE), "",
                 CLEAN_WORD);
  if (what)
    line_add_value(&line, " what=\"", what, "\"", CLEAN_QUOTED);
  if (outcome)
    line_add_value(&line, " outcome=", outcome, "", CLEAN_WORD);
  if (failure) {
    /* Bound by the array: the message may be a stranger's bytes. */
    char message[sizeof failure->message + 1];
    memcpy(message, failure->message, sizeof failure->message);
    message[sizeof failure->message] = '\0';
    line_add_value(&line, " message=\"", message, "\"", CLEAN_QUOTED);
  }
  emit_log_line(rules, LOG_ERR, text, also);
}
