/* SPDX-License-Identifier: GPL-3.0-or-later */
/* decision.h: did we send the original? From the classification, the
 * references, the site rules and the sent store, decide a verdict and the
 * action the rule file gives it, with every piece of evidence for --explain.
 *
 * Order: a matching site rule forces its verdict/action; ordinary mail is
 * clean; a referenced Message-ID in the store is genuine; a failed recipient
 * we sent to within the TTL is genuine; an original that passed one of our
 * relays is genuine. Only a notice a program sent is evidence against us
 * (classify_original_is_evidence), and only through the IDs that name its
 * original (`against`, references.h), not those of a thread it answers: an
 * original whose From is none of our addresses (when identity is
 * configured, and the From is not the notice's own sender's) is
 * backscatter; IDs that the store should know (the original is dated after
 * recording began) and does not are backscatter; otherwise unknown. Any
 * cap hit, unparsed body or store trouble turns backscatter into unknown.
 */
#ifndef BSF_DECISION_H
#define BSF_DECISION_H

#include "caps.h"
#include "classify.h"
#include "context.h"
#include "journal.h"
#include "kinds.h"
#include "references.h"
#include "rules.h"
#include "store.h"

struct evidence {
  char text[300];
  int decisive;
};

/* A zeroed struct decision is valid (clean, deliver, no trace);
 * decision_free() frees its trace. */
struct decision {
  enum verdict verdict;
  enum notice_kind kind;
  enum action action;
  char original_msgid[CAP_ID_BYTES + 1];   /* the ID looked up first, or "" */
  char reason[300];                        /* the decisive evidence */
  const char *rule_name;                   /* site rule that matched, or NULL */
  struct evidence *trace;                  /* trace_count lines, grown as they
                                              come, at most CAP_EVIDENCE */
  size_t trace_count;
  size_t trace_room;                       /* lines allocated */
  unsigned caps_hit;
  int store_failed;                        /* store trouble: judged without it */
  int rule_failed;                         /* a site rule that had to be tried
                                              has a bad regex: trouble, deliver */
  int plugin_failed;                       /* the original's Date could not be
                                            * read (muplugin.h): *failure says why */
};

/* Decide. `store` may be NULL (no store: no ID can be confirmed, so nothing
 * becomes backscatter on negative evidence). `journal` (may be NULL) holds
 * what record could not put into the store yet: its entries confirm an ID
 * or a recipient as the store's do. A store error during a lookup
 * is recorded in *failure and in the trace, and the decision goes on
 * without the store (store_failed); so is a plugin that cannot be loaded
 * to read the original's Date (plugin_failed: the missing IDs prove
 * nothing). A site rule that has to be tried and has a bad regex
 * (rules_match_site) is recorded in *failure and the trace, with
 * rule_failed set: the decision stops there (clean for ordinary mail,
 * unknown for a notice; deliver), and the caller treats it as trouble.
 * Always fills *decision. */
void decide(const struct rules *rules, const struct context *context,
            const struct notice *notice,
            const struct classification *classification,
            const struct references *references,
            struct sent_store *store, const struct journal_view *journal,
            struct decision *decision, struct failure *failure);

/* Add an evidence line (bounded by CAP_EVIDENCE); a decisive one is also
 * the reason. When memory runs out the line is not kept in the trace
 * (the reason still is). */
void decision_note(struct decision *decision, int decisive, const char *format, ...)
  __attribute__((format(printf, 3, 4)));

/* Free the trace; *decision is zeroed. */
void decision_free(struct decision *decision);

#endif
