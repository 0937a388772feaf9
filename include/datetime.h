/* SPDX-License-Identifier: GPL-3.0-or-later */
/* datetime.h: our own reader of an RFC 5322 date-time (a Date field's
 * value), so that comparing an original's Date with the store (decision.c)
 * or stamping an imported message (record.c) needs no Mailutils plugin.
 * Bounded (at most CAP_DATE_BYTES, never a byte past the length given),
 * allocation-free, no locale, no time zone database, no libc time
 * functions: the date is turned into seconds by our own civil-date
 * arithmetic (proleptic Gregorian, UTC).
 *
 * What is read (RFC 5322 section 3.3 and the obsolete syntax of 4.3):
 *     [day-name ["," ]] day month year hour ":" minute [":" second] zone
 * with CFWS (blanks, tabs, CR, LF, nested comments with quoted pairs)
 * allowed before, between and after every token;
 *   - day-name: Mon..Sun, or the full English name; case-insensitive;
 *     not checked against the date (a mismatch sets DATETIME_WEEKDAY_WRONG);
 *   - day 1 or 2 digits; month Jan..Dec, case-insensitive;
 *   - year 4 or more digits, 1900..9999; obsolete 2 digits (00-49 is
 *     2000-2049, 50-99 is 1950-1999) and 3 digits (1900 added);
 *   - hour 1 or 2 digits (1 is a deviation), minute 2, second 2 and up to
 *     60 (a leap second counts as the next minute's first);
 *   - zone: +hhmm / -hhmm (exactly 4 digits, mm < 60; -0000 means UTC
 *     with no local time known), or the obsolete UT, GMT, EST, EDT, CST,
 *     CDT, MST, MDT, PST, PDT, the military letters A-I, K-Z (read as
 *     -0000, as RFC 5322 4.3 says, since their signs were used both ways),
 *     and UTC (a deviation seen in real mail).
 * Deviations read on purpose (each seen in tests/corpus; FORMATS.md): a
 * day name with no comma ("Tue 01 Dec ..."), no blank after the comma
 * ("Tue,01 Dec"), a one-digit hour, extra blanks, a comment after the zone
 * ("+0200 (CEST)"), UTC.
 * Not read (DATETIME_SYNTAX): a date without a zone, other zone names
 * (CET, BST, JST, CEST...: their meaning is not in the RFC and some are
 * ambiguous), a zone of 3 or 5 digits, asctime() and ISO 8601 layouts,
 * full month names, relative dates, anything after the zone but comments,
 * a NUL byte anywhere, an unclosed comment. Out of range (DATETIME_RANGE):
 * a day past its month's length (leap years included), month, hour >= 24,
 * minute >= 60, second > 60, zone minutes >= 60, a year outside
 * 1900..9999 (huge numbers are read without overflow), a time that does
 * not fit time_t.
 */
#ifndef BSF_DATETIME_H
#define BSF_DATETIME_H

#include <stddef.h>
#include <time.h>

enum datetime_result {
  DATETIME_OK = 0,
  DATETIME_SYNTAX,     /* not a date-time in a form we read */
  DATETIME_RANGE,      /* the form is right, a field is out of range */
  DATETIME_TOO_LONG,   /* longer than CAP_DATE_BYTES: not read at all */
};

/* Which obsolete or deviant forms a value used (bits, for tests, logs and
 * FORMATS.md); 0 for a value in RFC 5322's own syntax. */
enum datetime_form {
  DATETIME_OBSOLETE_YEAR = 1u << 0,    /* a 2- or 3-digit year */
  DATETIME_OBSOLETE_ZONE = 1u << 1,    /* UT, GMT, EST ... PDT */
  DATETIME_MILITARY_ZONE = 1u << 2,    /* one letter, read as -0000 */
  DATETIME_UTC_ZONE      = 1u << 3,    /* "UTC" (not in the RFC) */
  DATETIME_NO_COMMA      = 1u << 4,    /* a day name with no comma after it */
  DATETIME_SHORT_HOUR    = 1u << 5,    /* a one-digit hour */
  DATETIME_FULL_DAY_NAME = 1u << 6,    /* "Tuesday" */
  DATETIME_WEEKDAY_WRONG = 1u << 7,    /* the day name is not the date's */
  DATETIME_LOCAL_UNKNOWN = 1u << 8,    /* -0000: UTC, local time not known */
};

struct datetime {
  time_t when;                /* seconds since the epoch (UTC) */
  int year, month, day;       /* year with the century; month 1..12 */
  int hour, minute, second;   /* as written (second 0 when left out) */
  int zone_minutes;           /* east of UTC: -0500 is -300 */
  unsigned forms;             /* enum datetime_form bits */
};

/* Read the date-time in the `length` bytes at `text` (a field value, no
 * terminator needed; a NUL among them is a syntax error). DATETIME_OK and
 * *parsed filled in, or another result and *parsed zeroed. */
enum datetime_result datetime_parse(const char *text, size_t length,
                                    struct datetime *parsed);

/* The same for a NUL-terminated string (at most CAP_DATE_BYTES + 1 bytes
 * of it are looked at): 0 and *when, or -1. */
int datetime_parse_string(const char *text, time_t *when);

/* "ok", "syntax", "range", "too long": for logs and tests. */
const char *datetime_result_name(enum datetime_result result);

#endif
