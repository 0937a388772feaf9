/* SPDX-License-Identifier: GPL-3.0-or-later */
/* report.h: everything the program says: the X-Backscatter header (--tag),
 * the one-line verdict (--verdict), the trace (--explain) and the one
 * syslog line per judged message. Output helpers return -1 on a write error
 * (EPIPE included) and never exit; main decides what that means.
 */
#ifndef BSF_REPORT_H
#define BSF_REPORT_H

#include <stdio.h>
#include "decision.h"
#include "failure.h"
#include "input.h"
#include "rules.h"

/* "X-Backscatter: VERDICT; kind=KIND; action=ACTION; id=<ID>; reason=..."
 * without the line end, written into buffer (truncated to size). Values are
 * sanitised: no control characters, no ';' inside a value. */
void report_tag_header(const struct decision *decision, char *buffer, size_t size);

/* Write the message of `input` to fd with the tag header inserted after any
 * mbox "From " line, using the input's line ends. 0 or -1. */
int report_write_tagged(struct input *input, const struct decision *decision,
                        int fd, struct failure *failure);

/* Write the input unchanged. No production caller: --tag writes the tagged
 * copy even after trouble (the header then says unknown); the unit tests
 * use it to check the copy-out of the spooled message. */
int report_write_raw(struct input *input, int fd, struct failure *failure);

/* "VERDICT ACTION\n" */
int report_write_verdict(const struct decision *decision, FILE *out);

/* The decision and every piece of evidence, for --explain. */
void report_explain(const struct decision *decision, FILE *out);

/* Who and what a log line is about, so that the lines of many users on one
 * host can be told apart: the user (login of our uid) and the judged (or
 * recorded) message's own Message-ID. Either may be NULL. */
struct log_subject {
  const char *user;
  const char *msgid;
};

/* Logging: one line per judged message, or one line for a failure, each
 * starting "user=LOGIN msgid=<ID> " (what is known of them). Goes to syslog
 * when rules->log_syslog, and to `also` when not NULL; when `also` is the
 * [log] file (rules->log_file set) its lines start with the UTC time in ISO
 * 8601 and [PID], as syslog's do. */
void report_log_decision(const struct rules *rules, const struct log_subject *subject,
                         const struct decision *decision, FILE *also);
void report_log_failure(const struct rules *rules, const struct log_subject *subject,
                        const char *what, const struct failure *failure,
                        const char *outcome, FILE *also);

#endif
