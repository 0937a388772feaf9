/* SPDX-License-Identifier: GPL-3.0-or-later */
/* signatures.h: phrasings that tell automatic mail apart, as data.
 *
 * The shipped table is rules/signatures.txt compiled in at build time
 * (filter/signature-table.c is generated from it by
 * scripts/gen-signatures.awk), so start-up reads no file. A site adds its
 * own with signatures_load(), same format, at most CAP_SITE_SIGNATURES
 * lines of at most CAP_LINE_BYTES, from a file that passes the rule file's
 * checks (owner, mode, directories: conffile.h).
 */
#ifndef BSF_SIGNATURES_H
#define BSF_SIGNATURES_H

#include <stddef.h>
#include "failure.h"
#include "kinds.h"

enum signature_place {
  PLACE_SUBJECT,   /* the decoded Subject */
  PLACE_BODY,      /* text parts, when the message already looks automatic */
  PLACE_STRONG,    /* text parts, always (not for mailing-list mail) */
  PLACE_FROM,      /* the From field's address (its local part; all of it
                      for a phrase with an '@'), never its display name:
                      mailboxes of notice-sending programs */
};

struct signature {
  enum signature_place place;
  enum notice_kind kind;
  const char *family;
  const char *phrase;        /* matched case-insensitively (ASCII) */
};

extern const struct signature builtin_signatures[];
extern const size_t builtin_signature_count;
/* For each shipped phrase, the offset of a byte rare in mail text where the
 * phrase search starts (generated with the table; only speed depends on it). */
extern const unsigned short builtin_signature_anchors[];

/* A site's signatures, loaded from a file. */
struct signature_set {
  struct signature *items;
  size_t count;
  char *text;                /* owns the strings of items */
};

/* Load a signatures file (read once, checked as conffile_read() says).
 * 0, or -1 with FAILURE_CONFIG "FILE:LINE: why" or "FILE: why"; *set is
 * then empty. */
int signatures_load(struct signature_set *set, const char *path,
                    struct failure *failure);
void signatures_free(struct signature_set *set);

#endif
