/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-decision.c: verdicts from evidence, table-driven over the example
 * messages, with a temporary store and rule files written by the test. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "classify.h"
#include "decision.h"
#include "fixture.h"
#include "references.h"
#include "muplugin.h"
#include "../tap.h"

#define NOW ((time_t) 1795000000)          /* 2026-11-18, before the examples */
#define DAY (24L * 3600)

struct decision_case {
  const char *name;
  const char *file;
  const char *rule_text;      /* NULL: built-in defaults */
  int with_store;             /* 0 none, 1 the test store */
  time_t now;
  enum verdict verdict;
  enum action action;
  const char *reason_has;     /* substring of the decisive reason */
};

/* The reason given when a site rule's bad regex stops the decision, and
 * what *failure then says (the rule files below put it on line 5). */
#define RULE_TROUBLE "cannot be tried"
#define RULE_TROUBLE_FAILURE "test.ini:5: [rule broken] regex: bad regular expression"

static const char identity_rules[] =
  "[identity]\naddresses = user@example.org\n";
static const char relay_rules[] =
  "[identity]\nrelays = mx.example.net\n";
static const char site_rules[] =
  "[rule lists]\nheader = Subject\nglob = *returning message*\nverdict = clean\n";
static const char drop_rules[] =
  "[actions]\nbackscatter = drop\n";
/* A bad regex is found only when a message has the rule's field. */
static const char bad_subject_regex[] =
  "[actions]\nbackscatter = drop\n"
  "[rule broken]\nheader = Subject\nregex = \"(unclosed\"\nverdict = clean\n";
static const char bad_absent_regex[] =
  "[actions]\nbackscatter = drop\n"
  "[rule broken]\nheader = X-Not-In-Any-Message\nregex = \"(unclosed\"\n"
  "verdict = clean\n";

static const struct decision_case cases[] = {
  { "ordinary mail is clean", "examples/messages/ordinary.eml", NULL, 1,
    NOW + 5 * DAY, VERDICT_CLEAN, ACTION_DELIVER, "not bounce-like" },
  { "recorded ID makes a bounce genuine", "examples/messages/exim-genuine.eml", NULL, 1,
    NOW + 5 * DAY, VERDICT_GENUINE, ACTION_DELIVER, "was sent by us" },
  { "recorded ID makes an auto-reply genuine", "examples/messages/autoreply-genuine.eml",
    NULL, 1, NOW + 5 * DAY, VERDICT_GENUINE, ACTION_DELIVER, "In-Reply-To" },
  { "a store recording since before the original: backscatter",
    "examples/messages/exim-forged.eml", NULL, 1, NOW + 5 * DAY,
    VERDICT_BACKSCATTER, ACTION_FILE, "referenced Message-IDs" },
  { "no store: unknown", "examples/messages/exim-forged.eml", NULL, 0, NOW + 5 * DAY,
    VERDICT_UNKNOWN, ACTION_DELIVER, "no store" },
  { "identity: foreign From is backscatter without a store",
    "examples/messages/groupwise-forged.eml", identity_rules, 0, NOW + 5 * DAY,
    VERDICT_BACKSCATTER, ACTION_FILE, "none of our addresses" },
  { "identity: our From, store young: unknown (office365)",
    "examples/messages/office365-forged.eml", identity_rules, 0, NOW + 5 * DAY,
    VERDICT_UNKNOWN, ACTION_DELIVER, "no store" },
  { "original older than the TTL: unknown", "examples/messages/exchange-forged.eml",
    NULL, 1, NOW + 90 * DAY, VERDICT_UNKNOWN, ACTION_DELIVER, "not enough evidence" },
  { "failed recipient we sent to: genuine", "examples/messages/exim-genuine.eml", NULL, 2,
    NOW + 5 * DAY, VERDICT_GENUINE, ACTION_DELIVER, "failed recipient" },
  { "original passed our relay: genuine", "examples/messages/exim-genuine.eml",
    relay_rules, 0, NOW + 5 * DAY, VERDICT_GENUINE, ACTION_DELIVER, "our relay" },
  { "site rule forces a verdict", "examples/messages/exim-genuine.eml", site_rules, 0,
    NOW + 5 * DAY, VERDICT_CLEAN, ACTION_DELIVER, "site rule" },
  { "backscatter action from the rule file", "examples/messages/exim-forged.eml",
    drop_rules, 1, NOW + 5 * DAY, VERDICT_BACKSCATTER, ACTION_DROP, "referenced" },
  { "a bad regex that must be tried: trouble, unknown, delivered",
    "examples/messages/exim-forged.eml", bad_subject_regex, 1, NOW + 5 * DAY,
    VERDICT_UNKNOWN, ACTION_DELIVER, "[rule broken] " RULE_TROUBLE },
  { "a bad regex that must be tried on ordinary mail: clean, delivered",
    "examples/messages/ordinary.eml", bad_subject_regex, 1, NOW + 5 * DAY,
    VERDICT_CLEAN, ACTION_DELIVER, RULE_TROUBLE },
  { "a bad regex on a field the message lacks: never compiled, no trouble",
    "examples/messages/exim-forged.eml", bad_absent_regex, 1, NOW + 5 * DAY,
    VERDICT_BACKSCATTER, ACTION_DROP, "referenced" },
  /* Issue 13: with a store recording for weeks, ordinary mail that speaks
   * of viruses, vacations and out-of-office replies, in a thread the user
   * did not start, came out backscatter (and was dropped with drop_rules). */
  { "RT ticket update 'Virus alert' (auto-generated): clean",
    "tests/messages/rt-virus-alert.eml", drop_rules, 1, NOW + 30 * DAY,
    VERDICT_CLEAN, ACTION_DELIVER, "not bounce-like" },
  { "RT ticket update with [identity]: clean",
    "tests/messages/rt-virus-alert.eml", identity_rules, 1, NOW + 30 * DAY,
    VERDICT_CLEAN, ACTION_DELIVER, "not bounce-like" },
  { "Jira 'Out of office calendar integration': clean",
    "tests/messages/jira-out-of-office.eml", drop_rules, 1, NOW + 30 * DAY,
    VERDICT_CLEAN, ACTION_DELIVER, "not bounce-like" },
  { "a colleague's 'Vacation schedule for December': clean",
    "tests/messages/vacation-schedule.eml", drop_rules, 1, NOW + 30 * DAY,
    VERDICT_CLEAN, ACTION_DELIVER, "not bounce-like" },
  { "a customer's 'Thank you for your email about the invoice': clean",
    "tests/messages/invoice-thanks.eml", identity_rules, 1, NOW + 30 * DAY,
    VERDICT_CLEAN, ACTION_DELIVER, "not bounce-like" },
  { "an iTIP 'Accepted:' with a null Return-Path: clean",
    "tests/messages/calendar-accepted.eml", drop_rules, 1, NOW + 30 * DAY,
    VERDICT_CLEAN, ACTION_DELIVER, "not bounce-like" },
  { "an auto-reply by its headers about a message we never sent: backscatter",
    "tests/messages/autoreply-foreign.eml", NULL, 1, NOW + 30 * DAY,
    VERDICT_BACKSCATTER, ACTION_FILE, "referenced Message-IDs" },
  { "a person pasting a bounce (copied headers, no program as sender): never backscatter",
    "tests/messages/person-pasted-bounce.eml", drop_rules, 1, NOW + 30 * DAY,
    VERDICT_UNKNOWN, ACTION_DELIVER, "pasted" },
  { "a bounce whose only ID is its In-Reply-To (no null sender): unknown",
    "tests/messages/sms-gateway-bounce.eml", drop_rules, 1, NOW + 30 * DAY,
    VERDICT_UNKNOWN, ACTION_DELIVER, "only the thread" },
};

static char store_dir[] = "/tmp/bsf-test-decision-XXXXXX";

/* Store 1: recording since NOW, knows sent-1 by ID.
 * Store 2: knows only the recipient old.friend@example.net. */
static void
make_store(const char *path, int with_id)
{
  struct sent_store *store = NULL;
  struct failure failure;
  if (sent_store_open(&store, path, STORE_WRITE, 1000, &failure) < 0) {
    printf("# cannot create store: %s\n", failure.message);
    return;
  }
  if (with_id)
    sent_store_add_msgid(store, "20261120093000.sent-1@mail.example.org", NOW, &failure);
  else
    sent_store_add_recipient(store, "old.friend@example.net", NOW, &failure);
  sent_store_close(&store);
}

/* The original's Date decides whether the store should know its IDs (the
 * store recording since NOW, now five days later): read by our own parser
 * (datetime.h) with or without the plugin; a Date only Mailutils reads
 * (no zone) is read by the plugin, and without the plugin it is trouble
 * that leaves the notice unknown. Each case puts its Date in place of the
 * one exim-forged.eml's original has. */
static void
test_original_date(const char *store_path)
{
  static const struct {
    const char *name;
    const char *date;
    int with_plugin;
    enum verdict verdict;
    const char *evidence;       /* a trace line has it */
    int plugin_failed;
  } cases[] = {
    { "a Date after recording began: backscatter",
      "Sat, 21 Nov 2026 04:12:40 +0100", 1, VERDICT_BACKSCATTER, "referenced", 0 },
    { "... read without the plugin", "Sat, 21 Nov 2026 04:12:40 +0100", 0,
      VERDICT_BACKSCATTER, "referenced", 0 },
    { "a Date before recording began: unknown",
      "Mon, 16 Nov 2026 10:00:00 +0000 (UTC)", 0, VERDICT_UNKNOWN, "predates recording", 0 },
    { "a two-digit year 50 is 1950 (RFC 5322 4.3; Mailutils read 2050): unknown",
      "Fri, 20 Nov 50 09:30:00 +0000", 0, VERDICT_UNKNOWN, "predates recording", 0 },
    { "a three-digit year 101 is 2001: unknown",
      "Mon,  2 Apr 101 04:20:10 CST", 0, VERDICT_UNKNOWN, "predates recording", 0 },
    { "a Date with no zone, read by the plugin: unknown",
      "Mon, 16 Nov 2026 10:00:00", 1, VERDICT_UNKNOWN, "predates recording", 0 },
    { "a Date with no zone and no plugin: trouble, unknown",
      "Mon, 16 Nov 2026 10:00:00", 0, VERDICT_UNKNOWN, "cannot be read", 1 },
    { "a Date nobody reads, the store young: unknown",
      "sometime last week", 1, VERDICT_UNKNOWN, "date is unknown", 0 },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct rules rules;
    struct failure failure = { 0 };
    struct input input;
    struct notice notice;
    struct classification classification;
    static struct references references;
    static struct decision decision;
    struct sent_store *store = NULL;
    struct context context = { .now = NOW + 5 * DAY };
    rules_init_defaults(&rules);
    if (sent_store_open(&store, store_path, STORE_READ, 1000, &failure) < 0
        || fixture_notice("examples/messages/exim-forged.eml", &input, &notice) < 0) {
      TAP_OK(0, "%s: store and message (%s)", cases[i].name, failure.message);
      sent_store_close(&store);
      continue;
    }
    muplugin_use(cases[i].with_plugin ? &backscatter_filter_mailutils : NULL);
    fixture_classify(&notice, &context, NULL, &classification);
    references_extract(&notice, &classification, &references);
    snprintf(references.original_date, sizeof references.original_date, "%s",
             cases[i].date);
    decide(&rules, &context, &notice, &classification, &references, store, NULL,
           &decision, &failure);
    TAP_STR(verdict_name(decision.verdict), verdict_name(cases[i].verdict), "%s: verdict",
            cases[i].name);
    int seen = 0;
    for (size_t t = 0; t < decision.trace_count; t++)
      seen |= strstr(decision.trace[t].text, cases[i].evidence) != NULL;
    TAP_OK(seen, "%s: evidence '%s'", cases[i].name, cases[i].evidence);
    TAP_INT(decision.plugin_failed, cases[i].plugin_failed, "%s: plugin_failed",
            cases[i].name);
    if (cases[i].plugin_failed)
      TAP_INT(failure.class, FAILURE_PLUGIN, "%s: FAILURE_PLUGIN", cases[i].name);
    references_free(&references);
    decision_free(&decision);
    notice_free(&notice);
    input_free(&input);
    sent_store_close(&store);
    rules_free(&rules);
  }
  muplugin_use(&backscatter_filter_mailutils);
}

/* The trace grows as evidence comes (decision.h): a zeroed decision
 * takes notes up to CAP_EVIDENCE, every line as written, the reason the
 * last decisive one within the cap. */
static void
test_trace(void)
{
  static const struct {
    size_t notes;
    size_t kept;
    size_t decisive;              /* this note (1-based) is decisive, 0: none */
    const char *reason;
  } cases[] = {
    { 0, 0, 0, "" },
    { 1, 1, 1, "note 1" },
    { 5, 5, 3, "note 3" },
    { CAP_EVIDENCE, CAP_EVIDENCE, CAP_EVIDENCE, "note 32" },
    { CAP_EVIDENCE + 8, CAP_EVIDENCE, CAP_EVIDENCE + 1, "" },   /* past the cap: lost */
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    struct decision decision = { 0 };
    for (size_t n = 1; n <= cases[c].notes; n++)
      decision_note(&decision, n == cases[c].decisive, "note %zu", n);
    TAP_INT(decision.trace_count, cases[c].kept, "%zu notes: %zu kept", cases[c].notes,
            cases[c].kept);
    TAP_OK(decision.trace_room >= decision.trace_count && decision.trace_room <= CAP_EVIDENCE,
           "%zu notes: room %zu within the cap", cases[c].notes, decision.trace_room);
    size_t wrong = 0;
    for (size_t i = 0; i < decision.trace_count; i++) {
      char want[32];
      snprintf(want, sizeof want, "note %zu", i + 1);
      wrong += strcmp(decision.trace[i].text, want) != 0
               || decision.trace[i].decisive != (i + 1 == cases[c].decisive);
    }
    TAP_INT(wrong, 0, "%zu notes: every line as written", cases[c].notes);
    TAP_STR(decision.reason, cases[c].reason, "%zu notes: reason", cases[c].notes);
    decision_free(&decision);
    TAP_OK(!decision.trace && decision.trace_count == 0, "%zu notes: freed",
           cases[c].notes);
  }
}

int
main(void)
{
  /* The plugin's sources are linked in: its table, without dlopen(). */
  muplugin_use(&backscatter_filter_mailutils);
  char paths[2][256];
  if (!mkdtemp(store_dir))
    return 1;
  snprintf(paths[0], sizeof paths[0], "%s/ids.db", store_dir);
  snprintf(paths[1], sizeof paths[1], "%s/recipients.db", store_dir);
  make_store(paths[0], 1);
  make_store(paths[1], 0);

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct decision_case *c = &cases[i];
    struct rules rules;
    struct failure failure = { 0 };
    struct input input;
    struct notice notice;
    struct classification classification;
    static struct references references;
    static struct decision decision;
    struct sent_store *store = NULL;
    struct context context = { .now = c->now };

    rules_init_defaults(&rules);
    if (c->rule_text && rules_load_buffer(&rules, "test.ini", c->rule_text,
                                          strlen(c->rule_text), &failure) < 0) {
      TAP_OK(0, "%s: rules load (%s)", c->name, failure.message);
      continue;
    }
    if (c->with_store
        && sent_store_open(&store, paths[c->with_store - 1], STORE_READ, 1000,
                           &failure) < 0) {
      TAP_OK(0, "%s: store opens (%s)", c->name, failure.message);
      rules_free(&rules);
      continue;
    }
    if (fixture_notice(c->file, &input, &notice) < 0) {
      TAP_OK(0, "%s: %s readable", c->name, c->file);
      sent_store_close(&store);
      rules_free(&rules);
      continue;
    }
    fixture_classify(&notice, &context, NULL, &classification);
    references_extract(&notice, &classification, &references);
    decide(&rules, &context, &notice, &classification, &references, store, NULL,
           &decision, &failure);
    TAP_STR(verdict_name(decision.verdict), verdict_name(c->verdict), "%s: verdict",
            c->name);
    TAP_STR(action_name(decision.action), action_name(c->action), "%s: action", c->name);
    TAP_OK(strstr(decision.reason, c->reason_has) != NULL, "%s: reason '%s' has '%s'",
           c->name, decision.reason, c->reason_has);
    TAP_OK(decision.trace_count > 0, "%s: trace kept", c->name);
    int rule_trouble = strstr(c->reason_has, RULE_TROUBLE) != NULL;
    TAP_INT(decision.rule_failed, rule_trouble, "%s: rule_failed", c->name);
    if (rule_trouble)
      TAP_OK(failure.class == FAILURE_CONFIG
             && strstr(failure.message, RULE_TROUBLE_FAILURE) != NULL,
             "%s: failure '%s' has '%s'", c->name, failure.message,
             RULE_TROUBLE_FAILURE);
    references_free(&references);
    decision_free(&decision);
    notice_free(&notice);
    input_free(&input);
    sent_store_close(&store);
    rules_free(&rules);
  }

  /* Without our Mailutils plugin an original's Date that only the plugin
   * reads (no zone: our own parser, datetime.h, does not read it) cannot
   * be read: a missing ID then proves nothing (unknown, plugin_failed, the
   * failure for the caller to log), where its real Date made it
   * backscatter above (and does without the plugin: test_original_date). */
  {
    struct rules rules;
    struct failure failure = { 0 };
    struct input input;
    struct notice notice;
    struct classification classification;
    static struct references references;
    static struct decision decision;
    struct sent_store *store = NULL;
    struct context context = { .now = NOW + 5 * DAY };
    rules_init_defaults(&rules);
    if (sent_store_open(&store, paths[0], STORE_READ, 1000, &failure) == 0
        && fixture_notice("examples/messages/exim-forged.eml", &input, &notice) == 0) {
      fixture_classify(&notice, &context, NULL, &classification);
      references_extract(&notice, &classification, &references);
      snprintf(references.original_date, sizeof references.original_date, "%s",
               "Sat, 21 Nov 2026 04:12:40");
      muplugin_use(NULL);           /* none beside this test program */
      decide(&rules, &context, &notice, &classification, &references, store, NULL,
             &decision, &failure);
      muplugin_use(&backscatter_filter_mailutils);
      TAP_STR(verdict_name(decision.verdict), verdict_name(VERDICT_UNKNOWN),
              "no plugin: the original's date unread, unknown");
      TAP_INT(decision.plugin_failed, 1, "no plugin: plugin_failed");
      TAP_OK(failure.class == FAILURE_PLUGIN && strstr(failure.message, "mailutils.so"),
             "no plugin: the failure says why: %s", failure.message);
      references_free(&references);
      decision_free(&decision);
      notice_free(&notice);
      input_free(&input);
    } else {
      TAP_OK(0, "no plugin: store and message ready (%s)", failure.message);
    }
    sent_store_close(&store);
    rules_free(&rules);
  }

  /* A cap hit turns backscatter into unknown. */
  {
    struct rules rules;
    struct failure failure;
    struct input input;
    struct notice notice;
    struct classification classification;
    static struct references references;
    static struct decision decision;
    struct context context = { .now = NOW + 5 * DAY };
    rules_init_defaults(&rules);
    rules_load_buffer(&rules, "test.ini", identity_rules, strlen(identity_rules), &failure);
    fixture_notice("examples/messages/groupwise-forged.eml", &input, &notice);
    fixture_classify(&notice, &context, NULL, &classification);
    references_extract(&notice, &classification, &references);
    notice.caps_hit |= CAP_HIT_MIME_PARTS;
    decide(&rules, &context, &notice, &classification, &references, NULL, NULL, &decision,
           &failure);
    TAP_STR(verdict_name(decision.verdict), "unknown", "a cap hit is never backscatter");
    TAP_OK(strstr(decision.reason, "mime-parts") != NULL, "the cap is named: %s",
           decision.reason);
    references_free(&references);
    decision_free(&decision);
    notice_free(&notice);
    input_free(&input);
    rules_free(&rules);
  }

  test_original_date(paths[0]);
  unlink(paths[0]);
  unlink(paths[1]);
  char lock[300];
  snprintf(lock, sizeof lock, "%s.lock", paths[0]);
  unlink(lock);
  snprintf(lock, sizeof lock, "%s.lock", paths[1]);
  unlink(lock);
  rmdir(store_dir);
  test_trace();
  return tap_done();
}
