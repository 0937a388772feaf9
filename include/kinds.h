/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kinds.h: the vocabulary shared by every module: verdicts, actions and the
 * kinds of automatic mail, with their names as they appear in the rule file,
 * the X-Backscatter header, --verdict output and the log. */
#ifndef BSF_KINDS_H
#define BSF_KINDS_H

enum verdict {
  VERDICT_CLEAN,        /* not a bounce-like message */
  VERDICT_GENUINE,      /* a notice about mail we sent */
  VERDICT_BACKSCATTER,  /* a notice about mail we did not send */
  VERDICT_UNKNOWN,      /* bounce-like, but nothing in it can be checked */
  VERDICT_COUNT
};

enum action {
  ACTION_DELIVER,
  ACTION_FILE,
  ACTION_DROP,
  ACTION_COUNT
};

enum notice_kind {
  KIND_NONE,       /* ordinary mail */
  KIND_DSN,        /* RFC 3464/6522/6533 delivery status report */
  KIND_NDR,        /* non-standard bounce written by some mail server */
  KIND_AUTOREPLY,  /* vacation, out-of-office (RFC 3834 and look-alikes) */
  KIND_CHALLENGE,  /* challenge-response confirmation request */
  KIND_VIRUS,      /* virus or content-filter notice */
  KIND_MDN,        /* RFC 8098 read receipt */
  KIND_ARF,        /* RFC 5965 feedback report */
  KIND_COUNT
};

const char *verdict_name(enum verdict verdict);
const char *action_name(enum action action);
const char *kind_name(enum notice_kind kind);

/* Parse a name as written in the rule file (case-insensitive).
 * Return 0 and set *out, or -1 when the name is unknown. */
int verdict_parse(const char *name, enum verdict *out);
int action_parse(const char *name, enum action *out);
int kind_parse(const char *name, enum notice_kind *out);

#endif
