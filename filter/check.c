/* SPDX-License-Identifier: GPL-3.0-or-later */
/* check.c: the check pipeline (check.h), one route from bytes to a
 * decision for the program and the fuzzer alike. */
#include <config.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"

static void
hand_on(const struct check_config *config, const struct failure *failure)
{
  if (config->trouble)
    config->trouble(config->cookie, failure);
}

/* What is read of the body is decided from the header as soon as it is
 * in (input_read_kept), so ordinary mail's attachments are never stored. */
struct reading {
  const struct check_config *config;
  struct check_state *state;
  struct failure failure;
  int decided;              /* header parsed and walk chosen */
  int header_failed;
  int walk;                 /* the MIME walk is needed */
};

static void
choose_walk(struct reading *reading)
{
  const struct check_config *config = reading->config;
  struct check_state *state = reading->state;
  reading->decided = 1;
  if (notice_parse_header(&state->input, &state->notice, &reading->failure) < 0)
    reading->header_failed = 1;
  /* Once, here: the walk is chosen by it and classify_notice uses it
   * (on an unreadable header it says nothing, as the empty notice). */
  struct failure failure = { 0 };
  classify_header(&state->notice, config->context, config->signatures,
                  &state->header_signals, &failure);
  if (failure.class != FAILURE_NONE)
    hand_on(config, &failure);    /* its subject read as written */
  if (!reading->header_failed)
    reading->walk = classify_needs_mime(&state->header_signals);
}

static size_t
keep_body(void *cookie, struct input *input)
{
  struct reading *reading = cookie;
  (void) input;
  choose_walk(reading);
  if (reading->header_failed || reading->walk)
    return SIZE_MAX;
  return notice_text_body_bytes(&reading->state->notice);
}

int
check_read(const struct check_config *config, int fd, struct check_state *state)
{
  struct failure failure = { 0 };
  struct reading reading = { .config = config, .state = state };

  memset(state, 0, sizeof *state);
  /* Small (what they refer to is kept as it is found) and zeroed: a
   * zeroed references or decision is valid and empty. */
  state->references = calloc(1, sizeof *state->references);
  state->decision = calloc(1, sizeof *state->decision);
  if (!state->references || !state->decision) {
    failure_set(&failure, FAILURE_MEMORY, "out of memory");
    hand_on(config, &failure);    /* still read: --tag passes it through */
  }
  if (input_read_kept(fd, -1, &state->input,
                      config->context->tmpdir, NULL,
                      config->keep_whole ? NULL : keep_body, &reading, &failure) < 0) {
    hand_on(config, &failure);
    return -1;
  }
  state->have_input = 1;
  if (!state->references || !state->decision)
    return 0;
  /* Ordinary mail (most of it) is not walked: the header decides. */
  if (!reading.decided)
    choose_walk(&reading);
  if (reading.header_failed)
    hand_on(config, &reading.failure);
  else if ((reading.walk ? notice_parse_mime(&state->input, &state->notice, &failure)
                         : notice_parse_text(&state->input, &state->notice, &failure)) < 0)
    hand_on(config, &failure);
  return 0;
}

void
check_judge(const struct check_config *config, struct check_state *state)
{
  struct failure failure = { 0 };
  struct references *references = state->references;

  if (!state->decision)
    return;
  if (!state->have_input || !references) {
    decision_free(state->decision);
    state->decision->verdict = VERDICT_UNKNOWN;
    return;
  }
  classify_notice(&state->notice, &state->header_signals, &state->classification,
                  &failure);
  if (failure.class != FAILURE_NONE)
    hand_on(config, &failure);    /* judged on the subject as written */
  failure = (struct failure) { 0 };
  references_extract(&state->notice, &state->classification, references);
  /* The last resort adds to what was found (references.h). */
  if (references_want_raw_body(&state->classification, references)
      && notice_load_raw_body(&state->input, &state->notice, &failure) == 0)
    references_add_raw_body(&state->notice, &state->classification, references);
  /* Ordinary mail never opens the store: start-up cost and no lock. */
  if (state->classification.kind != KIND_NONE && config->open_store
      && (references->id_count > 0 || references->recipient_count > 0))
    config->open_store(config->cookie, &state->store, &state->journal);
  decide(config->rules, config->context, &state->notice, &state->classification,
         references, state->store, state->journal, state->decision, &failure);
  if (state->decision->store_failed || state->decision->rule_failed
      || state->decision->plugin_failed)
    hand_on(config, &failure);
}

void
check_close_store(struct check_state *state)
{
  sent_store_close(&state->store);
  journal_view_free(&state->journal);
}

void
check_free(struct check_state *state)
{
  check_close_store(state);
  notice_free(&state->notice);
  if (state->have_input)
    input_free(&state->input);
  if (state->references)
    references_free(state->references);
  if (state->decision)
    decision_free(state->decision);
  free(state->references);
  free(state->decision);
  memset(state, 0, sizeof *state);
}
