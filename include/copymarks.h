/* SPDX-License-Identifier: GPL-3.0-or-later */
/* copymarks.h: the lines of a notice's text where its own words stop and a
 * copy of the original message begins ("------ This is a copy of the
 * message, including all the headers. ------", "--- Below this line is a
 * copy of the message.", "----- Original message follows -----", the
 * copy's first header lines), plus the one line that begins a notice's
 * SMTP transcript. One list for the modules that cut a notice's text
 * there: classify (only the notice's own words decide its kind) and
 * references (only they name the failed recipients).
 *
 * Limits: a mark is a prefix of a line, matched without regard to case
 * after its quoting (blanks, tabs and '>'); lines are not unfolded. A
 * mark is found only where a line starts; one in the middle of a line
 * never counts.
 */
#ifndef BSF_COPYMARKS_H
#define BSF_COPYMARKS_H

#include <stddef.h>

enum copymark_kind {
  /* The copy of the original begins on this line: what follows is the
   * original's, neither the notice's kind nor its failed recipients. */
  COPYMARK_ORIGINAL,
  /* "----- Transcript of session follows -----": the notice's own record
   * of its SMTP session. Still its own words (classify reads them: the
   * line itself and the server's "550 ... User unknown" answers say what
   * happened), but no longer its list of failed recipients (the session
   * also names the envelope sender). */
  COPYMARK_TRANSCRIPT,
};

struct copymark {
  const char *prefix;        /* lower case, compared without case */
  enum copymark_kind kind;
};

/* Every mark, for tests (each must have a case). */
extern const struct copymark copymarks[];
extern const size_t copymark_count;

/* The mark a text line starts with (`line` without its line end; leading
 * blanks, tabs and '>' are skipped), or NULL. */
const struct copymark *copymark_find(const char *line, size_t length);

#endif
