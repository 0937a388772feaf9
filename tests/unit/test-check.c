/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-check.c: the check pipeline (check.h), table-driven over real
 * messages (examples/messages) read through a descriptor: which messages
 * open the store (only notices that refer to an original), what is kept
 * of the body (whole with keep_whole, else as the header asks), and that
 * trouble is handed on once and still ends in a decision; and messages
 * built here: the header's signals kept in the state, the raw-body last
 * resort, a cap counted in the decision. */
#include <config.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "check.h"
#include "fixture.h"
#include "muplugin.h"
#include "../tap.h"

struct calls {
  int troubles;
  int store_opened;
};

static void
count_trouble(void *cookie, const struct failure *failure)
{
  (void) failure;
  ((struct calls *) cookie)->troubles++;
}

static void
count_open(void *cookie, struct sent_store **store, struct journal_view **journal)
{
  (void) store;
  (void) journal;
  ((struct calls *) cookie)->store_opened++;
}

static int
descriptor_of(const char *data, size_t length)
{
  int fd = memfd_create("test-check", MFD_CLOEXEC);
  if (fd >= 0 && (write(fd, data, length) != (ssize_t) length
                  || lseek(fd, 0, SEEK_SET) != 0)) {
    close(fd);
    fd = -1;
  }
  return fd;
}

static const struct {
  const char *file;
  int notice;               /* bounce-like (kind != KIND_NONE) */
  int store_opened;
} cases[] = {
  { "examples/messages/ordinary.eml", 0, 0 },
  { "examples/messages/sent.eml", 0, 0 },
  { "examples/messages/office365-forged.eml", 1, 1 },
  { "examples/messages/exim-forged.eml", 1, 1 },
  { "examples/messages/exchange-forged.eml", 1, 1 },
  { "examples/messages/groupwise-forged.eml", 1, 1 },
};

/* Messages built here, through the whole pipeline: the header's signals
 * worked out once and kept (state.header_signals), the raw-body last
 * resort adding to the extraction, and a cap counted in the decision. */
static void
test_built(const struct rules *rules, const struct context *context)
{
  static const struct {
    const char *name;
    const char *message;          /* NULL: more Original-Envelope-Ids than the cap */
    unsigned signals;             /* state.header_signals.signals */
    int notice;
    const char *first_id;         /* state.references->ids[0], "" for none */
    unsigned caps;                /* state.decision->caps_hit */
    int store_opened;
  } cases[] = {
    { "ordinary mail", "From: a@b.example\nSubject: hello\n\nhi\n", 0, 0, "", 0, 0 },
    { "a list post", "From: a@b.example\nList-Id: <l.b.example>\nSubject: hello\n\nhi\n",
      SIGNAL_LIST, 0, "", 0, 0 },
    { "a bounce quoting its original in a part of no known type (raw body)",
      "Return-Path: <>\nFrom: MAILER-DAEMON@x.example\nSubject: failure notice\n"
      "X-Failed-Recipients: lost@far.example\n"
      "Content-Type: multipart/mixed; boundary=B\n\n--B\n"
      "Content-Type: application/octet-stream\n\nSorry.\n\n"
      "From: me@ours.example\nMessage-ID: <raw@ours.example>\nSubject: hi\n\n--B--\n",
      SIGNAL_NULL_SENDER | SIGNAL_DAEMON_FROM | SIGNAL_VENDOR_NOTICE, 1,
      "raw@ours.example", 0, 1 },
    { "a DSN naming more originals than the cap", NULL, SIGNAL_NULL_SENDER, 1,
      "env0@x.example", CAP_HIT_IDS, 1 },
    /* Files saved or pasted by hand: an empty and a blank line before the
     * header (LF, CRLF, CR only); judged on the header after them. */
    { "a DSN after an empty and a blank line",
      "\n   \t \nReturn-Path: <>\nFrom: MAILER-DAEMON@x.example\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
      "--B\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; "
      "lost@far.example\nAction: failed\nStatus: 5.1.1\n\n--B\n"
      "Content-Type: text/rfc822-headers\n\nFrom: me@ours.example\n"
      "Message-ID: <lead@ours.example>\n\n--B--\n",
      SIGNAL_NULL_SENDER | SIGNAL_DAEMON_FROM, 1, "lead@ours.example", 0, 1 },
    { "a DSN after an empty and a blank line, CRLF",
      "\r\n  \r\nReturn-Path: <>\r\nFrom: MAILER-DAEMON@x.example\r\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
      "--B\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; "
      "lost@far.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--B\r\n"
      "Content-Type: text/rfc822-headers\r\n\r\nFrom: me@ours.example\r\n"
      "Message-ID: <lead@ours.example>\r\n\r\n--B--\r\n",
      SIGNAL_NULL_SENDER | SIGNAL_DAEMON_FROM, 1, "lead@ours.example", 0, 1 },
    { "a DSN after an empty and a blank line, CR only",
      "\r  \rReturn-Path: <>\rFrom: MAILER-DAEMON@x.example\r"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\r"
      "--B\rContent-Type: message/delivery-status\r\rFinal-Recipient: rfc822; "
      "lost@far.example\rAction: failed\rStatus: 5.1.1\r\r--B\r"
      "Content-Type: text/rfc822-headers\r\rFrom: me@ours.example\r"
      "Message-ID: <lead@ours.example>\r\r--B--\r",
      SIGNAL_NULL_SENDER | SIGNAL_DAEMON_FROM, 1, "lead@ours.example", 0, 1 },
    { "a DSN after an mbox From line, an empty and a blank line",
      "From MAILER-DAEMON Mon Nov 30 08:00:00 2026\n\n \nReturn-Path: <>\n"
      "From: MAILER-DAEMON@x.example\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
      "--B\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; "
      "lost@far.example\nAction: failed\nStatus: 5.1.1\n\n--B\n"
      "Content-Type: text/rfc822-headers\n\nFrom: me@ours.example\n"
      "Message-ID: <lead@ours.example>\n\n--B--\n",
      SIGNAL_NULL_SENDER | SIGNAL_DAEMON_FROM, 1, "lead@ours.example", 0, 1 },
    { "a DSN after an mbox From line, an empty and a blank line, CR only",
      "From MAILER-DAEMON Mon Nov 30 08:00:00 2026\r\r \rReturn-Path: <>\r"
      "From: MAILER-DAEMON@x.example\r"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\r"
      "--B\rContent-Type: message/delivery-status\r\rFinal-Recipient: rfc822; "
      "lost@far.example\rAction: failed\rStatus: 5.1.1\r\r--B\r"
      "Content-Type: text/rfc822-headers\r\rFrom: me@ours.example\r"
      "Message-ID: <lead@ours.example>\r\r--B--\r",
      SIGNAL_NULL_SENDER | SIGNAL_DAEMON_FROM, 1, "lead@ours.example", 0, 1 },
    /* What follows the empty line is a header only when it starts a field. */
    { "an empty line, then text", "\nMAILER-DAEMON here: no header at all\n", 0, 0, "",
      0, 0 },
    { "an empty line, then an indented line", "\n From: MAILER-DAEMON@x.example\n\nx\n",
      0, 0, "", 0, 0 },
    { "an mbox From line, an empty line, then text",
      "From a@b.example Mon Nov 30 08:00:00 2026\n\nSorry, MAILER-DAEMON: that was late.\n",
      0, 0, "", 0, 0 },
    { "an empty line, then ordinary mail",
      "\nFrom: a@b.example\nSubject: Undelivered: my photos\n\nhi\n", 0, 0, "", 0, 0 },
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    char *built = NULL;
    const char *message = cases[c].message;
    if (!message) {
      size_t size = 1024 + (CAP_REFERENCED_IDS + 1) * 64, used = 0;
      built = malloc(size);
      used += (size_t) snprintf(built + used, size - used,
                                "Return-Path: <>\nFrom: a@x.example\nContent-Type: "
                                "multipart/report; report-type=delivery-status; "
                                "boundary=B\n\n--B\nContent-Type: "
                                "message/delivery-status\n\n");
      for (size_t i = 0; i <= CAP_REFERENCED_IDS; i++)
        used += (size_t) snprintf(built + used, size - used,
                                  "Original-Envelope-Id: <env%zu@x.example>\n\n", i);
      snprintf(built + used, size - used, "--B--\n");
      message = built;
    }
    for (int keep_whole = 0; keep_whole <= 1; keep_whole++) {
      struct calls calls = { 0 };
      struct check_config config = {
        .rules = rules, .context = context, .keep_whole = keep_whole,
        .trouble = count_trouble, .open_store = count_open, .cookie = &calls,
      };
      struct check_state state;
      int fd = descriptor_of(message, strlen(message));
      check_read(&config, fd, &state);
      close(fd);
      check_judge(&config, &state);
      TAP_INT(state.header_signals.signals, cases[c].signals,
              "%s (keep_whole %d): the header's signals kept", cases[c].name, keep_whole);
      TAP_INT(state.classification.kind != KIND_NONE, cases[c].notice,
              "%s (keep_whole %d): kind %s", cases[c].name, keep_whole,
              kind_name(state.classification.kind));
      TAP_STR(state.references && state.references->id_count
              ? state.references->ids[0].msgid : "", cases[c].first_id,
              "%s (keep_whole %d): first ID", cases[c].name, keep_whole);
      TAP_INT(state.decision ? state.decision->caps_hit : ~0u, cases[c].caps,
              "%s (keep_whole %d): caps hit", cases[c].name, keep_whole);
      TAP_INT(calls.store_opened, cases[c].store_opened, "%s (keep_whole %d): store opened",
              cases[c].name, keep_whole);
      TAP_INT(calls.troubles, 0, "%s (keep_whole %d): no trouble", cases[c].name,
              keep_whole);
      check_free(&state);
    }
    free(built);
  }
}

int
main(void)
{
  /* The plugin's sources are linked in: its table, without dlopen(). */
  muplugin_use(&backscatter_filter_mailutils);
  struct rules rules;
  struct context context = { .now = 1795000000 };
  rules_init_defaults(&rules);

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t length = 0;
    char *data = fixture_read(cases[i].file, &length);
    if (!data) {
      TAP_OK(0, "%s: readable", cases[i].file);
      continue;
    }
    for (int keep_whole = 0; keep_whole <= 1; keep_whole++) {
      struct calls calls = { 0 };
      struct check_config config = {
        .rules = &rules, .context = &context, .keep_whole = keep_whole,
        .trouble = count_trouble, .open_store = count_open, .cookie = &calls,
      };
      struct check_state state;
      int fd = descriptor_of(data, length);
      int rc = check_read(&config, fd, &state);
      close(fd);
      check_judge(&config, &state);
      TAP_OK(rc == 0 && calls.troubles == 0, "%s (keep_whole %d): read, no trouble",
             cases[i].file, keep_whole);
      TAP_OK((state.classification.kind != KIND_NONE) == cases[i].notice,
             "%s (keep_whole %d): kind %s", cases[i].file, keep_whole,
             kind_name(state.classification.kind));
      TAP_OK(calls.store_opened == cases[i].store_opened,
             "%s (keep_whole %d): store opened %d time(s)", cases[i].file, keep_whole,
             calls.store_opened);
      TAP_OK(state.decision && state.decision->verdict != VERDICT_BACKSCATTER,
             "%s (keep_whole %d): no store, so never backscatter (%s)", cases[i].file,
             keep_whole, state.decision ? verdict_name(state.decision->verdict) : "-");
      TAP_OK(state.input.size == length && (!keep_whole || !state.input.partial),
             "%s (keep_whole %d): %llu bytes read%s", cases[i].file, keep_whole,
             state.input.size, state.input.partial ? ", body partly kept" : "");
      check_free(&state);
    }
    free(data);
  }

  /* An ordinary message with a large attachment: its body is not kept
   * unless it is to be written out again. */
  static const char head[] = "From: a@example.org\nTo: b@example.org\n"
    "Subject: photos\nMessage-ID: <p1@example.org>\nContent-Type: multipart/mixed; "
    "boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nhere\n--b\n"
    "Content-Type: image/jpeg\nContent-Transfer-Encoding: base64\n\n";
  size_t big = sizeof head - 1 + 300000;
  char *message = malloc(big + 8);
  memcpy(message, head, sizeof head - 1);
  for (size_t k = sizeof head - 1; k < big; k++)
    message[k] = (k % 77 == 76) ? '\n' : 'Q';
  memcpy(message + big, "\n--b--\n", 7);
  big += 7;
  for (int keep_whole = 0; keep_whole <= 1; keep_whole++) {
    struct calls calls = { 0 };
    struct check_config config = {
      .rules = &rules, .context = &context, .keep_whole = keep_whole,
      .trouble = count_trouble, .open_store = count_open, .cookie = &calls,
    };
    struct check_state state;
    int fd = descriptor_of(message, big);
    check_read(&config, fd, &state);
    close(fd);
    check_judge(&config, &state);
    TAP_OK(state.input.partial == !keep_whole,
           "attachment (keep_whole %d): body %s", keep_whole,
           state.input.partial ? "not kept" : "kept");
    TAP_OK(state.decision && state.decision->verdict == VERDICT_CLEAN
           && calls.store_opened == 0, "attachment (keep_whole %d): clean, no store",
           keep_whole);
    check_free(&state);
  }
  free(message);

  /* A descriptor that cannot be read: one trouble, still a decision. */
  struct calls calls = { 0 };
  struct check_config config = {
    .rules = &rules, .context = &context, .trouble = count_trouble,
    .open_store = count_open, .cookie = &calls,
  };
  struct check_state state;
  int rc = check_read(&config, -1, &state);
  check_judge(&config, &state);
  TAP_OK(rc < 0 && calls.troubles == 1, "unreadable input: -1, one trouble handed on");
  TAP_OK(state.decision && state.decision->verdict == VERDICT_UNKNOWN
         && state.decision->action == ACTION_DELIVER && calls.store_opened == 0,
         "unreadable input: unknown, deliver, no store");
  check_free(&state);
  test_built(&rules, &context);
  rules_free(&rules);
  return tap_done();
}
