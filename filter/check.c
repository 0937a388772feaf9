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

/* The input the judgement reads. */
static struct input *
judged_input(struct check_state *state)
{
  return state->have_judged ? &state->judged : &state->input;
}

/* Is the top header block nothing but its empty line: the message starts
 * with an empty line? */
static int
header_is_empty_line(const struct notice *notice)
{
  return notice->header && notice->header_length <= 2
         && strspn(notice->header, "\r\n") == notice->header_length;
}

static void
choose_walk(struct reading *reading)
{
  const struct check_config *config = reading->config;
  struct check_state *state = reading->state;
  reading->decided = 1;
  if (notice_parse_header(judged_input(state), &state->notice, &reading->failure) < 0)
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
  /* A message that starts with an empty line may have its header after it
   * (leading_empty_lines): kept whole, these are rare. */
  if (reading->header_failed || reading->walk || header_is_empty_line(&reading->state->notice))
    return SIZE_MAX;
  return notice_text_body_bytes(&reading->state->notice);
}

/* Files saved or pasted by hand (the bounce collections of PHP and Node
 * bounce handlers) can start with empty or blank lines before the header,
 * which then reads as empty and the whole message as body. When the
 * message starts (after an mbox "From " line, which an MDA adds) with an
 * empty line, at most CAP_LEADING_BLANK_BYTES of blank lines come before
 * a line that starts a header field ("Name:"), and all of it is in
 * memory, that message less those lines is judged (state->judged); what
 * is written out stays as it came. */
static void
leading_empty_lines(struct check_state *state)
{
  struct input *input = &state->input;
  size_t held;
  const char *data = spool_memory(&input->spool, &held);
  if (input->partial || held < input->spool.length || held == 0
      || !header_is_empty_line(&state->notice))
    return;
  /* The mbox "From " line: to its LF, or with classic-Mac line ends to
   * its CR (as notice.c's header_start reads it). */
  size_t from_line = 0;
  if (input->has_from_line) {
    size_t cap = held < CAP_LINE_BYTES ? held : CAP_LINE_BYTES;
    while (from_line < cap && data[from_line] != '\n' && data[from_line] != '\r')
      from_line++;
    if (from_line == cap)
      return;
    from_line += data[from_line] == '\r' && from_line + 1 < held
                 && data[from_line + 1] == '\n' ? 2 : 1;
  }
  if (from_line >= held || (data[from_line] != '\n' && data[from_line] != '\r'))
    return;
  size_t limit = held - from_line < CAP_LEADING_BLANK_BYTES
                 ? held : from_line + CAP_LEADING_BLANK_BYTES;
  size_t start = from_line, i = from_line;
  for (; i < limit; i++) {
    char c = data[i];
    if (c == '\n' || c == '\r')
      start = i + 1;                      /* a header line starts after it */
    else if (c != ' ' && c != '\t')
      break;
  }
  if (i == limit || i != start)
    return;                               /* blanks only, or a line starting with them */
  size_t name = start;
  while (name < held && name - start < CAP_LINE_BYTES && data[name] > ' '
         && data[name] < 127 && data[name] != ':')
    name++;
  if (name == start || name >= held || data[name] != ':')
    return;                               /* no header field follows */
  /* The "From " line is kept before the header found. */
  size_t length = from_line + (held - start);
  char *joined = malloc(length);
  if (!joined)
    return;                               /* judged as it is */
  memcpy(joined, data, from_line);
  memcpy(joined + from_line, data + start, held - start);
  struct failure failure = { 0 };
  int rc = input_from_buffer(joined, length, &state->judged, &failure);
  free(joined);
  if (rc < 0)
    return;                               /* judged as it is */
  state->have_judged = 1;
  notice_free(&state->notice);
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
  if (!reading.header_failed) {
    leading_empty_lines(state);
    if (state->have_judged)
      choose_walk(&reading);              /* again, on the header found */
  }
  if (reading.header_failed)
    hand_on(config, &reading.failure);
  else if ((reading.walk ? notice_parse_mime(judged_input(state), &state->notice, &failure)
                         : notice_parse_text(judged_input(state), &state->notice, &failure)) < 0)
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
      && notice_load_raw_body(judged_input(state), &state->notice, &failure) == 0)
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
  if (state->have_judged)
    input_free(&state->judged);
  if (state->references)
    references_free(state->references);
  if (state->decision)
    decision_free(state->decision);
  free(state->references);
  free(state->decision);
  memset(state, 0, sizeof *state);
}
