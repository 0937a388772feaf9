/* SPDX-License-Identifier: GPL-3.0-or-later */
/* decision.c: did we send the original? (the order is in decision.h)
 *
 * Positive evidence (an ID or recipient in the store, one of our relays in
 * the original's Received lines) makes a notice genuine. Backscatter needs
 * proof from the notice's own original (references.h: never the thread an
 * ordinary reply's In-Reply-To or References names): the original's From
 * is none of our addresses, or the store was recording when the original
 * was sent and knows none of its IDs. Any
 * doubt (a cap hit, a body that could not be parsed, store trouble, a store
 * younger than the original, an original's date that could not be read
 * because our Mailutils plugin is missing) leaves the notice unknown,
 * which delivers. The original's Date is read by our own parser
 * (datetime.h), only when the store is asked whether it should know a
 * missing ID. A Date it does not read (no zone, another layout: rare in
 * tests/corpus, counted by test-datetime) is handed to the plugin's parser
 * (muplugin.h): loading it costs more than all the rest of check
 * (bench/ANALYSIS.md), paid only for such odd dates, and a date read
 * there can still show that the original predates recording or the TTL,
 * where an unread one would let a missing ID count once the store is a
 * week old (precision first). Mailutils never overrides ours: what ours
 * reads is final (it keeps RFC 5322's obsolete years and military zones,
 * which Mailutils reads otherwise).
 */
#include <config.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "datetime.h"
#include "decision.h"
#include "muplugin.h"
#include "util.h"

/* A bounce may arrive days after the original was sent (Postfix gives up
 * after 5 days, Exim after 4). When the original's date is not known, the
 * store must have been recording at least this long before a missing ID
 * counts as evidence. */
#define LATEST_BOUNCE_SECONDS (7L * 24 * 3600)

/* Room for one more evidence line: a few first, doubling up to
 * CAP_EVIDENCE (most decisions take one to five). 0 or -1. */
static int
trace_grow(struct decision *decision)
{
  if (decision->trace_count < decision->trace_room)
    return 0;
  size_t room = decision->trace_room ? decision->trace_room * 2 : 4;
  if (room > CAP_EVIDENCE)
    room = CAP_EVIDENCE;
  struct evidence *trace = realloc(decision->trace, room * sizeof *trace);
  if (!trace)
    return -1;
  decision->trace = trace;
  decision->trace_room = room;
  return 0;
}

void
decision_note(struct decision *decision, int decisive, const char *format, ...)
{
  if (decision->trace_count == CAP_EVIDENCE)
    return;
  va_list args;
  va_start(args, format);
  if (trace_grow(decision) < 0) {
    if (decisive)
      vsnprintf(decision->reason, sizeof decision->reason, format, args);
    va_end(args);
    return;
  }
  struct evidence *evidence = &decision->trace[decision->trace_count++];
  vsnprintf(evidence->text, sizeof evidence->text, format, args);
  va_end(args);
  evidence->decisive = decisive;
  if (decisive)
    snprintf(decision->reason, sizeof decision->reason, "%s", evidence->text);
}

void
decision_free(struct decision *decision)
{
  free(decision->trace);
  memset(decision, 0, sizeof *decision);
}

struct header_cookie {
  const struct notice *notice;
  char value[1024];
};

static const char *
lookup_header(void *cookie, const char *name)
{
  struct header_cookie *header = cookie;
  if (header_field(header->notice->header, header->notice->header_length, name,
                   header->value, sizeof header->value) < 0)
    return NULL;
  return header->value;
}

static void
format_time(time_t when, char *buffer, size_t size)
{
  char iso[ISO_TIME_BYTES];
  snprintf(buffer, size, "%s", iso_time(when, iso));
}

/* Every lookup of a decision at once (one round trip to a Redis store):
 * the referenced IDs, then the failed recipients, then "!since". */
struct store_answers {
  struct store_query queries[CAP_REFERENCED_IDS + CAP_RECIPIENTS + 1];
  size_t since;             /* index of the "!since" query */
};

/* On a store error: judged without the store (*store set to NULL). */
static void
look_up_all(const struct references *references, struct sent_store **store,
            struct store_answers *answers, struct decision *decision,
            struct failure *failure)
{
  size_t count = 0;
  for (size_t i = 0; i < references->id_count; i++)
    answers->queries[count++] = (struct store_query) {
      .entry = STORE_ENTRY_MSGID, .name = references->ids[i].msgid };
  for (size_t i = 0; i < references->recipient_count; i++)
    answers->queries[count++] = (struct store_query) {
      .entry = STORE_ENTRY_RECIPIENT, .name = references->recipients[i] };
  answers->since = count;
  answers->queries[count++] = (struct store_query) {
    .entry = STORE_ENTRY_SINCE };
  if (sent_store_find_all(*store, answers->queries, count, failure) != 0) {
    decision->store_failed = 1;
    decision_note(decision, 0, "store lookup failed: %s", failure->message);
    *store = NULL;
  }
}

/* The store's answer to query i (when the store works), else the
 * journal's: what record could not put into the store yet counts too. */
static int
found_sent(const struct sent_store *store, const struct store_answers *answers,
           size_t i, const struct journal_view *journal, enum journal_type type,
           const char *name, time_t *when)
{
  if (store && answers->queries[i].found) {
    *when = answers->queries[i].when;
    return 1;
  }
  return journal_view_find(journal, type, name, when);
}

static int
positive_evidence(const struct rules *rules, const struct context *context,
                  const struct references *references, struct sent_store *store,
                  const struct store_answers *answers,
                  const struct journal_view *journal, struct decision *decision)
{
  int lookups = store || journal_view_count(journal) > 0;
  char when_text[32];
  time_t when;

  for (size_t i = 0; lookups && i < references->id_count; i++) {
    const struct reference *reference = &references->ids[i];
    if (found_sent(store, answers, i, journal, JOURNAL_MSGID, reference->msgid,
                   &when)) {
      format_time(when, when_text, sizeof when_text);
      snprintf(decision->original_msgid, sizeof decision->original_msgid, "%s",
               reference->msgid);
      decision_note(decision, 1, "Message-ID <%s> (%s) was sent by us on %s",
                    reference->msgid, reference_source_name(reference->source),
                    when_text);
      return 1;
    }
    decision_note(decision, 0, "Message-ID <%s> (%s) is not in the store",
                  reference->msgid, reference_source_name(reference->source));
  }
  for (size_t i = 0; lookups && i < references->recipient_count; i++) {
    const char *recipient = references->recipients[i];
    int found = found_sent(store, answers, references->id_count + i, journal,
                           JOURNAL_RECIPIENT, recipient, &when);
    if (found && when >= context->now - rules->ttl) {
      format_time(when, when_text, sizeof when_text);
      decision_note(decision, 1, "failed recipient %s was sent to by us on %s",
                    recipient, when_text);
      return 1;
    }
    decision_note(decision, 0, "failed recipient %s: %s", recipient,
                  found ? "sent to, but before the TTL" : "never sent to");
  }
  for (size_t i = 0; i < references->received_count; i++)
    if (rules_is_our_relay(rules, references->received_hosts[i])) {
      decision_note(decision, 1, "the original passed our relay %s",
                    references->received_hosts[i]);
      return 1;
    }
  return 0;
}

/* When was the original sent, by its Date? 1 with *sent; 0 when it has
 * none or no parser reads it; -1 when only the plugin could read it and
 * it cannot be loaded (noted, *failure set). */
static int
original_sent(const struct context *context, const struct references *references,
              time_t *sent, struct decision *decision, struct failure *failure)
{
  const char *date = references->original_date;
  if (date[0] == '\0')
    return 0;
  if (datetime_parse_string(date, sent) == 0)
    return 1;
  struct failure unloaded = { 0 };
  const struct muplugin *plugin = muplugin_load(MUPLUGIN_TEXT, &unloaded);
  if (!plugin) {
    decision->plugin_failed = 1;
    decision_note(decision, 0, "the original's date (%s) cannot be read: %s",
                  date, unloaded.message);
    if (failure)
      *failure = unloaded;
    return -1;
  }
  return plugin->parse_date(date, &context->now, sent) == 0;
}

/* May a missing ID count against the notice? Only if the store was
 * recording when the original was sent, and has not expired it since. */
static int
store_should_know(const struct rules *rules, const struct context *context,
                  const struct references *references,
                  const struct store_answers *answers, struct decision *decision,
                  struct failure *failure)
{
  time_t since = answers->queries[answers->since].when, sent = 0;
  char since_text[32];
  int known = answers->queries[answers->since].found;

  if (known == 0) {
    decision_note(decision, 0, "the store has never recorded anything");
    return 0;
  }
  format_time(since, since_text, sizeof since_text);
  int dated = original_sent(context, references, &sent, decision, failure);
  if (dated < 0)
    /* Not knowing when the original was sent, a missing ID proves nothing. */
    return 0;
  if (dated) {
    if (sent < since) {
      decision_note(decision, 0, "the original (%s) predates recording (since %s)",
                    references->original_date, since_text);
      return 0;
    }
    if (sent < context->now - rules->ttl) {
      decision_note(decision, 0, "the original (%s) is older than the TTL",
                    references->original_date);
      return 0;
    }
    return 1;
  }
  if (since > context->now - LATEST_BOUNCE_SECONDS) {
    decision_note(decision, 0, "the original's date is unknown and recording "
                  "began only on %s", since_text);
    return 0;
  }
  return 1;
}

void
decide(const struct rules *rules, const struct context *context,
       const struct notice *notice, const struct classification *classification,
       const struct references *references, struct sent_store *store,
       const struct journal_view *journal, struct decision *decision,
       struct failure *failure)
{
  /* Everything it sets, for a decision decided before (the trace's room
   * is kept). */
  decision->action = ACTION_DELIVER;
  decision->original_msgid[0] = '\0';
  decision->reason[0] = '\0';
  decision->rule_name = NULL;
  decision->trace_count = 0;
  decision->store_failed = 0;
  decision->rule_failed = 0;
  decision->plugin_failed = 0;
  decision->kind = classification->kind;
  decision->verdict = VERDICT_CLEAN;
  decision->caps_hit = notice->caps_hit | references->caps_hit;
  if (references->id_count > 0 && classification->kind != KIND_NONE)
    snprintf(decision->original_msgid, sizeof decision->original_msgid, "%s",
             references->ids[0].msgid);

  struct header_cookie cookie = { .notice = notice };
  const struct site_rule *rule;
  struct failure rule_failure = { 0 };
  int site = rules_match_site(rules, lookup_header, &cookie, &rule,
                              &rule_failure);
  if (site < 0) {
    /* A rule that had to be tried cannot be (a bad regex, found only now:
     * rules.h). What it would have decided is unknown, so nothing after it
     * is tried either: trouble, as a bad rule file is. */
    decision->rule_failed = 1;
    decision->verdict = classification->kind == KIND_NONE ? VERDICT_CLEAN
                                                          : VERDICT_UNKNOWN;
    decision->action = ACTION_DELIVER;
    decision_note(decision, 1, "site rule [rule %s] cannot be tried: %s",
                  rule->name, rule_failure.message);
    if (failure)
      *failure = rule_failure;
    return;
  }
  if (site > 0) {
    decision->rule_name = rule->name;
    if (rule->has_verdict)
      decision->verdict = rule->verdict;
    else
      decision->verdict = classification->kind == KIND_NONE ? VERDICT_CLEAN
                                                             : VERDICT_UNKNOWN;
    decision->action = rule->has_action
                       ? rule->action
                       : rules_action_for(rules, decision->verdict, decision->kind);
    decision_note(decision, 1, "site rule [rule %s] matched %s", rule->name,
                  rule->header);
    return;
  }

  if (classification->kind == KIND_NONE) {
    decision_note(decision, 1, "not bounce-like");
    decision->action = rules_action_for(rules, VERDICT_CLEAN, KIND_NONE);
    return;
  }
  decision_note(decision, 0, "bounce-like: kind %s, recognised by %s",
                kind_name(classification->kind), classification->signature);

  /* Not zeroed: look_up_all() sets every query it reads. */
  struct store_answers answers;
  if (store)
    look_up_all(references, &store, &answers, decision, failure);

  /* Only the notice's original is evidence against us (references.h). */
  size_t against = 0, thread = 0;
  for (size_t i = 0; i < references->id_count; i++) {
    against += references->ids[i].against != 0;
    thread += references->ids[i].source == SOURCE_IN_REPLY_TO
              || references->ids[i].source == SOURCE_REFERENCES;
  }
  int thread_only = references->id_count > 0 && thread == references->id_count;
  int original_is_evidence = classify_original_is_evidence(classification);

  if (positive_evidence(rules, context, references, store, &answers, journal,
                        decision)) {
    decision->verdict = VERDICT_GENUINE;
  } else if (references->original_from[0] && original_is_evidence
             && !references->original_is_senders
             && (rules->addresses.count > 0 || rules->domains.count > 0)
             && !rules_is_our_address(rules, references->original_from)) {
    decision->verdict = VERDICT_BACKSCATTER;
    decision_note(decision, 1, "the original's From %s is none of our addresses",
                  references->original_from);
  } else if (against > 0 && store
             && store_should_know(rules, context, references, &answers,
                                  decision, failure)) {
    decision->verdict = VERDICT_BACKSCATTER;
    decision_note(decision, 1, "none of the %zu referenced Message-IDs was sent by us",
                  against);
  } else {
    decision->verdict = VERDICT_UNKNOWN;
    if (references->id_count == 0 && references->recipient_count == 0)
      decision_note(decision, 1, "nothing in the notice can be checked");
    else if (!store)
      decision_note(decision, 1, "no store to check against");
    else if (against == 0 && references->id_count > 0 && !original_is_evidence
             && (classification->signals & SIGNAL_ORIGINAL))
      decision_note(decision, 1, "its original is only attached, and no program "
                    "sent it (a person may have forwarded it)");
    else if (against == 0 && references->id_count > 0 && !original_is_evidence)
      decision_note(decision, 1, "its original is only copied into its text, and "
                    "no program sent it (a person may have pasted it)");
    else if (against == 0 && references->original_is_senders)
      decision_note(decision, 1, "its original was written by the notice's own "
                    "sender (%s), not by us", references->original_from);
    else if (against == 0 && thread_only)
      decision_note(decision, 1, "the notice names no original of its own, only "
                    "the thread it answers (In-Reply-To, References)");
    else
      decision_note(decision, 1, "not enough evidence either way");
  }

  if (decision->verdict == VERDICT_BACKSCATTER
      && (decision->caps_hit || notice->body_unparsed || decision->store_failed)) {
    char caps[200];
    decision->verdict = VERDICT_UNKNOWN;
    decision_note(decision, 1, "not proven: %s",
                  decision->caps_hit
                  ? cap_hit_names(decision->caps_hit, caps, sizeof caps)
                  : notice->body_unparsed ? "the message could not be parsed"
                  : "store trouble");
  }
  decision->action = rules_action_for(rules, decision->verdict, decision->kind);
}
