/* SPDX-License-Identifier: GPL-3.0-or-later */
/* check.h: the one check pipeline, as `check` runs it and the fuzzer
 * drives it: read (spooling; the body kept only as far as the header says
 * it is needed) -> top header -> what it says (classify_header, once) ->
 * walk choice (classify_needs_mime) -> MIME walk or the single text body
 * -> classify -> references, once (the raw-body last resort adding to
 * them) -> decide. Writing the answer (tag, verdict, deliver) and logging
 * are the caller's.
 *
 * Every trouble is handed to config->trouble as it happens (the caller
 * keeps the first and logs once) and judging goes on with what could be
 * read: the decision is made whenever the message was read.
 *
 * Limits: every size by caps.h; the store is opened only for a notice
 * that refers to something (config->open_store), so ordinary mail never
 * opens it.
 */
#ifndef BSF_CHECK_H
#define BSF_CHECK_H

#include "classify.h"
#include "context.h"
#include "decision.h"
#include "input.h"
#include "journal.h"
#include "notice.h"
#include "references.h"
#include "rules.h"
#include "signatures.h"
#include "store.h"

struct check_config {
  const struct rules *rules;
  const struct context *context;
  const struct signature_set *signatures;   /* site signatures, or NULL */
  int keep_whole;           /* keep the whole message (--tag, --deliver) */
  /* Called for each trouble, in order. */
  void (*trouble)(void *cookie, const struct failure *failure);
  /* Open the store and its journal for a notice that refers to an
   * original; either may be left NULL. NULL: no store. */
  void (*open_store)(void *cookie, struct sent_store **store,
                     struct journal_view **journal);
  void *cookie;
};

struct check_state {
  struct input input;
  int have_input;           /* the message was read */
  struct input judged;      /* the message less the empty lines before its
                               header (check_read), judged instead of input
                               when have_judged; input is what is written out */
  int have_judged;
  struct notice notice;
  struct header_signals header_signals;   /* classify_header, by check_read
                                             whenever the message was read */
  struct classification classification;
  struct references *references;
  struct decision *decision;
  struct sent_store *store;         /* open after check_judge, or NULL */
  struct journal_view *journal;
};

/* Read the message from fd. 0, or -1 after handing the trouble on (or
 * when memory ran out). */
int check_read(const struct check_config *config, int fd, struct check_state *state);

/* Judge what check_read read: state->decision is set (on a message that
 * could not be read: unknown, deliver). Troubles are handed on. */
void check_judge(const struct check_config *config, struct check_state *state);

/* Close the store and journal check_judge opened (the caller may use the
 * store until then). */
void check_close_store(struct check_state *state);

/* Free everything in *state. */
void check_free(struct check_state *state);

#endif
