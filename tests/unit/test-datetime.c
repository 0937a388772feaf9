/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-datetime.c: our RFC 5322 date-time reader (datetime.h).
 *   - a table of values: every form RFC 5322 3.3 allows, every obsolete
 *     form of 4.3, the deviations we read on purpose, each range
 *     violation, junk, NUL inside, huge numbers; the seconds expected were
 *     worked out apart from the code under test (Python's calendar.timegm)
 *     and are written relative to F, Fri, 20 Nov 2026 09:30:00 +0000;
 *   - every value cut short, each in a heap block of exactly its length
 *     (ASan sees a byte read past it), and values around CAP_DATE_BYTES;
 *   - a differential test: every Date field of tests/corpus and
 *     tests/messages (found here, in the files) read by ours and by the
 *     Mailutils plugin's parse_date (its sources linked in), under two
 *     local time zones: wherever both read a value they agree, except the
 *     obsolete forms whose meaning RFC 5322 4.3 fixes and Mailutils reads
 *     otherwise (listed, counted); where only the plugin reads a value is
 *     counted and listed, and must stay rare.
 */
#include <config.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include "caps.h"
#include "datetime.h"
#include "muplugin.h"
#include "../tap.h"

/* Fri, 20 Nov 2026 09:30:00 +0000 (calendar.timegm((2026,11,20,9,30,0))) */
#define F 1795167000LL
#define H 3600LL

enum { ANY_FORMS = -1 };

static const struct {
  const char *text;
  enum datetime_result want;
  long long when;              /* when DATETIME_OK */
  int forms;                   /* when DATETIME_OK: exactly these, or ANY_FORMS */
} cases[] = {
  /* RFC 5322 3.3 */
  { "Fri, 20 Nov 2026 09:30:00 +0000", DATETIME_OK, F, 0 },
  { "20 Nov 2026 09:30:00 +0000", DATETIME_OK, F, 0 },
  { "Fri, 20 Nov 2026 09:30 +0000", DATETIME_OK, F, 0 },
  { "Thu, 01 Jan 1970 00:00:00 +0000", DATETIME_OK, 0, 0 },
  { "1 Jan 1970 00:00:00 -0100", DATETIME_OK, 3600, 0 },
  { "Fri, 20 Nov 2026 09:30:00 +1400", DATETIME_OK, F - 14 * H, 0 },
  { "Fri, 20 Nov 2026 09:30:00 -1200", DATETIME_OK, F + 12 * H, 0 },
  { "Fri, 20 Nov 2026 09:30:00 +0530", DATETIME_OK, F - 5 * H - 1800, 0 },
  { "Fri, 20 Nov 2026 09:30:00 +9959", DATETIME_OK, F - 99 * H - 59 * 60, 0 },
  { "Fri, 20 Nov 2026 09:30:00 -9959", DATETIME_OK, F + 99 * H + 59 * 60, 0 },
  { "Fri, 20 Nov 2026 09:30:00 -0000", DATETIME_OK, F, DATETIME_LOCAL_UNKNOWN },
  { "Sat, 29 Feb 2020 12:00:00 +0000", DATETIME_OK, 1582977600, 0 },
  { "Tue, 29 Feb 2000 00:00:00 +0000", DATETIME_OK, 951782400, 0 },
  { "Tue, 31 Dec 2024 23:59:60 +0000", DATETIME_OK, 1735689600, 0 },
  { "Mon, 1 Jan 1900 00:00:00 +0000", DATETIME_OK, -2208988800LL, 0 },
  { "Fri, 31 Dec 9999 23:59:59 +0000", DATETIME_OK, 253402300799LL, 0 },
  { "Fri, 20 Nov 02026 09:30:00 +0000", DATETIME_OK, F, 0 },
  { "fri, 20 nov 2026 09:30:00 +0000", DATETIME_OK, F, 0 },
  { "FRI, 20 NOV 2026 09:30:00 +0000", DATETIME_OK, F, 0 },
  /* CFWS everywhere, nested comments, quoted pairs, folding */
  { "(a) Fri (b) , (c) 20 (d) Nov (e) 2026 (f) 09 (g) : (h) 30 (i) : (j) 00 (k) +0000 (l)",
    DATETIME_OK, F, 0 },
  { "Fri, 20 Nov 2026 09:30:00 +0000 (a (b \\) c) \\( d)", DATETIME_OK, F, 0 },
  { "Fri, 20 Nov 2026\r\n 09:30:00\r\n\t+0000\r\n", DATETIME_OK, F, 0 },
  { "  Fri,\t 20   Nov  2026    09:30:00      +0000   ", DATETIME_OK, F, 0 },
  { "Fri, 20 Nov 2026 09:30:00 +0200 (CEST)", DATETIME_OK, F - 2 * H, 0 },
  { "Fri, 20 Nov 2026 09:30:00 +0000 (Mitteleurop\xc3\xa4ische Zeit)", DATETIME_OK, F, 0 },
  { "Fri, 20 Nov 2026 09:30:00+0000", DATETIME_OK, F, 0 },
  /* obsolete years (RFC 5322 4.3) */
  { "Fri, 20 Nov 26 09:30:00 +0000", DATETIME_OK, F, DATETIME_OBSOLETE_YEAR },
  { "Fri, 20 Nov 126 09:30:00 +0000", DATETIME_OK, F, DATETIME_OBSOLETE_YEAR },
  { "Mon, 20 Nov 00 09:30:00 +0000", DATETIME_OK, 974712600, DATETIME_OBSOLETE_YEAR },
  { "Sat, 20 Nov 49 09:30:00 +0000", DATETIME_OK, 2521013400LL, DATETIME_OBSOLETE_YEAR },
  { "Mon, 20 Nov 50 09:30:00 +0000", DATETIME_OK, -603210600LL, DATETIME_OBSOLETE_YEAR },
  { "Sat, 20 Nov 99 09:30:00 +0000", DATETIME_OK, 943090200, DATETIME_OBSOLETE_YEAR },
  { "Mon, 20 Nov 100 09:30:00 +0000", DATETIME_OK, 974712600, DATETIME_OBSOLETE_YEAR },
  /* corpus: flufl.bounce smtp32_01.txt */
  { "Mon,  2 Apr 101 04:20:10 CST", DATETIME_OK, 986206810,
    DATETIME_OBSOLETE_YEAR | DATETIME_OBSOLETE_ZONE },
  /* obsolete zones */
  { "Fri, 20 Nov 2026 09:30:00 UT", DATETIME_OK, F, DATETIME_OBSOLETE_ZONE },
  { "Fri, 20 Nov 2026 09:30:00 GMT", DATETIME_OK, F, DATETIME_OBSOLETE_ZONE },
  { "Fri, 20 Nov 2026 09:30:00 gmt", DATETIME_OK, F, DATETIME_OBSOLETE_ZONE },
  { "Fri, 20 Nov 2026 09:30:00 EST", DATETIME_OK, F + 5 * H, DATETIME_OBSOLETE_ZONE },
  { "Fri, 20 Nov 2026 09:30:00 EDT", DATETIME_OK, F + 4 * H, DATETIME_OBSOLETE_ZONE },
  { "Fri, 20 Nov 2026 09:30:00 CST", DATETIME_OK, F + 6 * H, DATETIME_OBSOLETE_ZONE },
  { "Fri, 20 Nov 2026 09:30:00 CDT", DATETIME_OK, F + 5 * H, DATETIME_OBSOLETE_ZONE },
  { "Fri, 20 Nov 2026 09:30:00 MST", DATETIME_OK, F + 7 * H, DATETIME_OBSOLETE_ZONE },
  { "Fri, 20 Nov 2026 09:30:00 MDT", DATETIME_OK, F + 6 * H, DATETIME_OBSOLETE_ZONE },
  { "Fri, 20 Nov 2026 09:30:00 PST", DATETIME_OK, F + 8 * H, DATETIME_OBSOLETE_ZONE },
  { "Fri, 20 Nov 2026 09:30:00 pdt", DATETIME_OK, F + 7 * H, DATETIME_OBSOLETE_ZONE },
  { "Fri, 20 Nov 2026 09:30:00 A", DATETIME_OK, F,
    DATETIME_MILITARY_ZONE | DATETIME_LOCAL_UNKNOWN },
  { "Fri, 20 Nov 2026 09:30:00 m", DATETIME_OK, F,
    DATETIME_MILITARY_ZONE | DATETIME_LOCAL_UNKNOWN },
  { "Fri, 20 Nov 2026 09:30:00 N", DATETIME_OK, F,
    DATETIME_MILITARY_ZONE | DATETIME_LOCAL_UNKNOWN },
  { "Fri, 20 Nov 2026 09:30:00 Y", DATETIME_OK, F,
    DATETIME_MILITARY_ZONE | DATETIME_LOCAL_UNKNOWN },
  { "Fri, 20 Nov 2026 09:30:00 Z", DATETIME_OK, F,
    DATETIME_MILITARY_ZONE | DATETIME_LOCAL_UNKNOWN },
  { "Fri, 20 Nov 2026 09:30:00 J", DATETIME_SYNTAX, 0, 0 },
  /* deviations read on purpose (FORMATS.md) */
  { "Fri, 20 Nov 2026 09:30:00 UTC", DATETIME_OK, F, DATETIME_UTC_ZONE },
  { "Fri 20 Nov 2026 09:30:00 +0000", DATETIME_OK, F, DATETIME_NO_COMMA },
  { "Tue,01 Dec 2020 19:25:26 +0800", DATETIME_OK, 1606821926, 0 },
  { "Friday, 20 Nov 2026 09:30:00 +0000", DATETIME_OK, F, DATETIME_FULL_DAY_NAME },
  { "Fri, 20 Nov 2026 9:30:00 +0000", DATETIME_OK, F, DATETIME_SHORT_HOUR },
  { "Wed, 3 May 2006 5:09:22 +0000", DATETIME_OK, 1146632962, DATETIME_SHORT_HOUR },
  { "Mon, 20 Nov 2026 09:30:00 +0000", DATETIME_OK, F, DATETIME_WEEKDAY_WRONG },
  /* out of range */
  { "Fri, 31 Apr 2026 09:30:00 +0000", DATETIME_RANGE, 0, 0 },
  { "Sun, 29 Feb 2026 09:30:00 +0000", DATETIME_RANGE, 0, 0 },
  { "Thu, 29 Feb 1900 09:30:00 +0000", DATETIME_RANGE, 0, 0 },
  { "Wed, 30 Feb 2000 09:30:00 +0000", DATETIME_RANGE, 0, 0 },
  { "0 Nov 2026 09:30:00 +0000", DATETIME_RANGE, 0, 0 },
  { "32 Dec 2026 09:30:00 +0000", DATETIME_RANGE, 0, 0 },
  { "20 Nov 2026 24:00:00 +0000", DATETIME_RANGE, 0, 0 },
  { "20 Nov 2026 09:60:00 +0000", DATETIME_RANGE, 0, 0 },
  { "20 Nov 2026 09:30:61 +0000", DATETIME_RANGE, 0, 0 },
  { "20 Nov 2026 09:30:00 +0060", DATETIME_RANGE, 0, 0 },
  { "20 Nov 2026 09:30:00 -1299", DATETIME_RANGE, 0, 0 },
  { "31 Dec 1899 23:59:59 +0000", DATETIME_RANGE, 0, 0 },
  { "1 Jan 10000 00:00:00 +0000", DATETIME_RANGE, 0, 0 },
  /* huge numbers: read without overflow */
  { "20 Nov 99999999999999999999999999999 09:30:00 +0000", DATETIME_RANGE, 0, 0 },
  { "20 Nov 4294967296 09:30:00 +0000", DATETIME_RANGE, 0, 0 },
  { "99999999999999999999 Nov 2026 09:30:00 +0000", DATETIME_SYNTAX, 0, 0 },
  { "20 Nov 2026 99999999999999999999:30:00 +0000", DATETIME_SYNTAX, 0, 0 },
  { "20 Nov 2026 09:99999999999999999999:00 +0000", DATETIME_SYNTAX, 0, 0 },
  { "20 Nov 2026 09:30:99999999999999999999 +0000", DATETIME_SYNTAX, 0, 0 },
  { "20 Nov 2026 09:30:00 +99999999999999999999", DATETIME_SYNTAX, 0, 0 },
  /* not a date-time we read */
  { "", DATETIME_SYNTAX, 0, 0 },
  { "   ", DATETIME_SYNTAX, 0, 0 },
  { "(only a comment)", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2026 09:30:00", DATETIME_SYNTAX, 0, 0 },
  { "Wed, 3 May 2006 00:09:22", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2026 09:30:00 CET", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2026 09:30:00 CEST", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 25 Feb 2022 00:07:54 +000", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2026 09:30:00 +00000", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2026 09:30:00 +", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2026 09:30:00 + 0000", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2026 09:30:00 +0000 x", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2026 09:30:00 +0000 +0000", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2026 09:30:00 +0100 CET", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2026 09:30:00 +0000 (unclosed", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2026 09:30:00 +0000 (a (b)", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2026 09:30:00 +0000 (ends in a quote\\", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2026 09:30:00 +0000 )", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 November 2026 09:30:00 +0000", DATETIME_SYNTAX, 0, 0 },
  { "Fry, 20 Nov 2026 09:30:00 +0000", DATETIME_SYNTAX, 0, 0 },
  { "Fri., 20 Nov 2026 09:30:00 +0000", DATETIME_SYNTAX, 0, 0 },
  { "Fri,, 20 Nov 2026 09:30:00 +0000", DATETIME_SYNTAX, 0, 0 },
  { ", 20 Nov 2026 09:30:00 +0000", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2026 09:3:00 +0000", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2026 09:30:0 +0000", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2026 09:300 +0000", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2026 09 +0000", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2026 09:30: +0000", DATETIME_SYNTAX, 0, 0 },
  { "Fri, 20 Nov 2 09:30:00 +0000", DATETIME_SYNTAX, 0, 0 },
  { "Fri, Nov 20 2026 09:30:00 +0000", DATETIME_SYNTAX, 0, 0 },
  { "Fri Nov 20 09:30:00 2026 +0000", DATETIME_SYNTAX, 0, 0 },
  { "2026-11-20T09:30:00Z", DATETIME_SYNTAX, 0, 0 },
  { "Thu Feb 18 2016 15:31:20 GMT-0500 (CST)", DATETIME_SYNTAX, 0, 0 },
  { "Wednesday, April 03, 2002 5:56 AM", DATETIME_SYNTAX, 0, 0 },
  { "yesterday", DATETIME_SYNTAX, 0, 0 },
  { "now", DATETIME_SYNTAX, 0, 0 },
};

/* The value for a test's name: control bytes as \r, \n, \t, \xHH (a TAP
 * line is one line). */
static const char *
shown(const char *text)
{
  static char out[512];
  size_t used = 0;
  for (; *text && used + 5 < sizeof out; text++) {
    unsigned char c = (unsigned char) *text;
    if (c == '\r' || c == '\n' || c == '\t')
      used += (size_t) snprintf(out + used, sizeof out - used, "\\%c",
                                c == '\r' ? 'r' : c == '\n' ? 'n' : 't');
    else if (c < 0x20 || c == 0x7f)
      used += (size_t) snprintf(out + used, sizeof out - used, "\\x%02x", c);
    else
      out[used++] = (char) c;
  }
  out[used] = '\0';
  return out;
}

/* Parse `length` bytes from a heap block of exactly that size. */
static enum datetime_result
parse_exact(const char *text, size_t length, struct datetime *parsed)
{
  char *copy = malloc(length ? length : 1);
  if (!copy)
    abort();
  memcpy(copy, text, length);
  enum datetime_result result = datetime_parse(copy, length, parsed);
  free(copy);
  return result;
}

static void
test_table(void)
{
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct datetime parsed;
    enum datetime_result got = parse_exact(cases[i].text, strlen(cases[i].text), &parsed);
    if (cases[i].want != DATETIME_OK || got != DATETIME_OK) {
      TAP_OK(got == cases[i].want, "'%s': %s (got %s)", shown(cases[i].text),
             datetime_result_name(cases[i].want), datetime_result_name(got));
      if (got != DATETIME_OK)
        TAP_OK(parsed.when == 0 && parsed.year == 0 && parsed.forms == 0,
               "... nothing left in *parsed");
      continue;
    }
    TAP_INT(parsed.when, cases[i].when, "'%s': %lld", shown(cases[i].text), cases[i].when);
    if (cases[i].forms != ANY_FORMS)
      TAP_INT(parsed.forms, cases[i].forms, "... forms 0x%x", cases[i].forms);
  }
}

/* The fields as written, and the seconds against glibc's timegm(). */
static void
test_fields(void)
{
  struct datetime parsed;
  const char *text = "Tue, 3 Mar 2026 4:05:06 -0730 (x)";
  TAP_INT(datetime_parse(text, strlen(text), &parsed), DATETIME_OK, "'%s'", text);
  TAP_OK(parsed.year == 2026 && parsed.month == 3 && parsed.day == 3
         && parsed.hour == 4 && parsed.minute == 5 && parsed.second == 6,
         "... its fields as written");
  TAP_INT(parsed.zone_minutes, -450, "... zone -0730 is -450 minutes");
  struct tm tm = { .tm_year = 126, .tm_mon = 2, .tm_mday = 3, .tm_hour = 4,
                   .tm_min = 5, .tm_sec = 6 };
  TAP_INT(parsed.when, timegm(&tm) + 450 * 60, "... the same seconds as timegm()");

  /* Every day of 1899-12-31 .. 2101-01-01 at noon, against timegm(). */
  int wrong = 0, days = 0;
  static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  for (int year = 1900; year <= 2100; year++)
    for (int month = 0; month < 12; month++)
      for (int day = 1; day <= 31; day++) {
        struct tm want = { .tm_year = year - 1900, .tm_mon = month, .tm_mday = day,
                           .tm_hour = 12 };
        time_t seconds = timegm(&want);
        int exists = want.tm_mday == day;     /* timegm normalised it otherwise */
        char value[64];
        int length = snprintf(value, sizeof value, "%d %s %d 12:00:00 +0000", day,
                              months[month], year);
        enum datetime_result got = datetime_parse(value, (size_t) length, &parsed);
        if (exists ? got != DATETIME_OK || parsed.when != seconds : got != DATETIME_RANGE)
          wrong++;
        days += exists;
      }
  TAP_INT(wrong, 0, "every day from 1900 to 2100 (%d) as timegm(), every other "
          "day-of-month out of range", days);
}

/* Every value cut short at every length: never a byte read past it (the
 * heap block is exactly that long), and read only where the cut leaves a
 * whole date-time: just after the zone, or after the blank that follows
 * it, when a comment comes next. */
static void
test_truncated(void)
{
  static const struct {
    const char *value;
    int whole;                 /* shorter lengths that are whole date-times */
  } values[] = {
    { "Fri, 20 Nov 2026 09:30:00 +0000", 0 },
    /* cut to "... G": the military letter G, read as -0000 */
    { "Fri, 20 Nov 2026 09:30:00 GMT", 1 },
    { "(a) Fri (b) , (c) 20 (d) Nov (e) 2026 (f) 09 (g) : (h) 30 (i) : (j) 00 (k) +0000 (l)", 2 },
    { "Fri, 20 Nov 2026 09:30:00 -0000 (a (b \\) c))", 2 },
  };
  for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
    size_t full = strlen(values[v].value);
    int ok = 0;
    for (size_t length = 0; length < full; length++) {
      struct datetime parsed;
      if (parse_exact(values[v].value, length, &parsed) == DATETIME_OK)
        ok++;
    }
    TAP_INT(ok, values[v].whole, "'%s' cut short at each of its %zu lengths: read "
            "only where whole", values[v].value, full);
  }
}

/* A NUL among the bytes, and lengths around CAP_DATE_BYTES. */
static void
test_bounds(void)
{
  struct datetime parsed;
  static const char with_nul[] = "Fri, 20 Nov 2026 09:30:00 +0000 (a\0b)";
  TAP_INT(parse_exact(with_nul, sizeof with_nul - 1, &parsed), DATETIME_SYNTAX,
          "a NUL inside a comment: syntax");
  static const char nul_after[] = "Fri, 20 Nov 2026 09:30:00 +0000\0";
  TAP_INT(parse_exact(nul_after, sizeof nul_after - 1, &parsed), DATETIME_SYNTAX,
          "a NUL after the zone: syntax");
  TAP_INT(parse_exact(nul_after, sizeof nul_after - 2, &parsed), DATETIME_OK,
          "... the same bytes without it: ok");

  char value[CAP_DATE_BYTES + 2];
  const char *date = "Fri, 20 Nov 2026 09:30:00 +0000 (";
  size_t prefix = strlen(date);
  memcpy(value, date, prefix);
  memset(value + prefix, 'x', sizeof value - prefix);
  value[CAP_DATE_BYTES - 1] = ')';
  TAP_INT(parse_exact(value, CAP_DATE_BYTES, &parsed), DATETIME_OK,
          "CAP_DATE_BYTES (%d) long: read", CAP_DATE_BYTES);
  TAP_INT(parsed.when, F, "... its date");
  value[CAP_DATE_BYTES - 1] = 'x';
  value[CAP_DATE_BYTES] = ')';
  TAP_INT(parse_exact(value, CAP_DATE_BYTES + 1, &parsed), DATETIME_TOO_LONG,
          "one byte longer: too long, not read");
  TAP_INT(datetime_parse(value, (size_t) -1 / 2, &parsed), DATETIME_TOO_LONG,
          "a huge length: too long, nothing read");

  time_t when = 0;
  TAP_INT(datetime_parse_string("Fri, 20 Nov 2026 09:30:00 +0000", &when), 0,
          "datetime_parse_string: 0");
  TAP_INT(when, F, "... and the time");
  TAP_INT(datetime_parse_string("Fri, 20 Nov 2026 09:30:00", &when), -1,
          "datetime_parse_string without a zone: -1");
  value[CAP_DATE_BYTES + 1] = '\0';
  TAP_INT(datetime_parse_string(value, &when), -1,
          "datetime_parse_string of a string longer than the cap: -1");
  TAP_STR(datetime_result_name(DATETIME_RANGE), "range", "datetime_result_name");
}

/* ---------- differential: ours and Mailutils' on the corpus ---------- */

enum { VALUE_BYTES = 1024, FILE_BYTES_MAX = 16 * 1024 * 1024 };

struct corpus_dates {
  char (*values)[VALUE_BYTES];
  size_t *lengths;
  size_t count, room;
  size_t files, skipped_files;
};

static struct corpus_dates corpus;

static void
add_value(const char *value, size_t length)
{
  if (corpus.count == corpus.room) {
    corpus.room = corpus.room ? corpus.room * 2 : 1024;
    corpus.values = realloc(corpus.values, corpus.room * sizeof *corpus.values);
    corpus.lengths = realloc(corpus.lengths, corpus.room * sizeof *corpus.lengths);
    if (!corpus.values || !corpus.lengths)
      abort();
  }
  memcpy(corpus.values[corpus.count], value, length);
  corpus.values[corpus.count][length] = '\0';
  corpus.lengths[corpus.count++] = length;
}

static int
is_line_end(char c)
{
  return c == '\n' || c == '\r';
}

/* Past the line end at `at` (CRLF, LF or CR). */
static size_t
skip_line_end(const char *data, size_t size, size_t at)
{
  if (at < size && data[at] == '\r') {
    at++;
    if (at < size && data[at] == '\n')
      at++;
  } else if (at < size && data[at] == '\n') {
    at++;
  }
  return at;
}

/* Every "Date:" field at a line start (a header's, an attached original's,
 * or quoted in a text: every one a real value), unfolded: a value's
 * continuation lines start with a blank and are not blank. */
static void
extract_dates(const char *data, size_t size)
{
  for (size_t at = 0; at + 5 <= size; ) {
    if ((at == 0 || is_line_end(data[at - 1])) && strncasecmp(data + at, "date:", 5) == 0) {
      char value[VALUE_BYTES];
      size_t used = 0, p = at + 5;
      for (;;) {
        while (p < size && !is_line_end(data[p])) {
          if (used < VALUE_BYTES - 1)
            value[used++] = data[p];
          p++;
        }
        size_t next = skip_line_end(data, size, p);
        size_t q = next;
        while (q < size && (data[q] == ' ' || data[q] == '\t'))
          q++;
        if (next < size && (data[next] == ' ' || data[next] == '\t')
            && q < size && !is_line_end(data[q])) {
          p = next;
          continue;
        }
        break;
      }
      add_value(value, used);
      at = p;
      continue;
    }
    at++;
  }
}

static int
visit_file(const char *path, const struct stat *status, int type, struct FTW *ftw)
{
  (void) ftw;
  if (type != FTW_F)
    return 0;
  if (status->st_size > FILE_BYTES_MAX) {
    corpus.skipped_files++;
    return 0;
  }
  FILE *file = fopen(path, "rb");
  if (!file) {
    corpus.skipped_files++;
    return 0;
  }
  char *data = malloc((size_t) status->st_size + 1);
  size_t size = data ? fread(data, 1, (size_t) status->st_size, file) : 0;
  fclose(file);
  if (data) {
    extract_dates(data, size);
    corpus.files++;
  }
  free(data);
  return 0;
}

struct tally {
  size_t both_agree, both_differ_rfc, both_differ, ours_only, plugin_only, neither;
  size_t ours_tz_dependent;
};

/* Both readers on every value, local time zone `tz`. */
static void
compare(const char *tz, const struct muplugin *plugin, struct tally *tally, int list)
{
  setenv("TZ", tz, 1);
  tzset();
  time_t now = (time_t) F;
  for (size_t i = 0; i < corpus.count; i++) {
    struct datetime ours;
    time_t theirs = 0;
    int ours_ok = datetime_parse(corpus.values[i], corpus.lengths[i], &ours) == DATETIME_OK;
    int theirs_ok = plugin->parse_date(corpus.values[i], &now, &theirs) == 0;
    if (ours_ok && theirs_ok && ours.when == theirs) {
      tally->both_agree++;
    } else if (ours_ok && theirs_ok
               && (ours.forms & (DATETIME_OBSOLETE_YEAR | DATETIME_MILITARY_ZONE))) {
      tally->both_differ_rfc++;
      if (list)
        printf("# RFC 5322 4.3 read otherwise by Mailutils: '%s': ours %lld, Mailutils %lld\n",
               shown(corpus.values[i]), (long long) ours.when, (long long) theirs);
    } else if (ours_ok && theirs_ok) {
      tally->both_differ++;
      printf("# DIFFERENT (TZ=%s): '%s': ours %lld, Mailutils %lld\n", tz,
             shown(corpus.values[i]), (long long) ours.when, (long long) theirs);
    } else if (ours_ok) {
      tally->ours_only++;
      if (list)
        printf("# only ours reads '%s'\n", shown(corpus.values[i]));
    } else if (theirs_ok) {
      tally->plugin_only++;
      if (list)
        printf("# only Mailutils reads '%s'\n", shown(corpus.values[i]));
    } else {
      tally->neither++;
    }
  }
}

static void
test_differential(void)
{
  const char *srcdir = getenv("BSF_SRCDIR");
  char path[2048];
  static const char *const directories[] = { "tests/corpus", "tests/messages" };
  for (size_t d = 0; d < 2; d++) {
    if (srcdir && *srcdir) {
      snprintf(path, sizeof path, "%s/%s", srcdir, directories[d]);
    } else {
      const char *slash = strrchr(__FILE__, '/');
      snprintf(path, sizeof path, "%.*s/../../%s", slash ? (int) (slash - __FILE__) : 1,
               slash ? __FILE__ : ".", directories[d]);
    }
    TAP_INT(nftw(path, visit_file, 16, FTW_PHYS), 0, "walked %s", directories[d]);
    printf("# %s\n", path);
  }
  printf("# %zu Date fields in %zu files (%zu files skipped)\n", corpus.count,
         corpus.files, corpus.skipped_files);
  TAP_OK(corpus.count >= 1000, "the corpus has Date fields to compare (%zu)", corpus.count);

  muplugin_use(&backscatter_filter_mailutils);
  struct failure failure = { 0 };
  const struct muplugin *plugin = muplugin_load(MUPLUGIN_TEXT, &failure);
  TAP_OK(plugin != NULL, "the plugin's table, linked in");
  if (!plugin)
    return;

  struct tally utc = { 0 }, eastern = { 0 };
  compare("UTC0", plugin, &utc, 1);
  compare("EST5EDT,M3.2.0,M11.1.0", plugin, &eastern, 0);
  unsetenv("TZ");
  tzset();
  size_t plugin_read = utc.both_agree + utc.both_differ_rfc + utc.both_differ
                       + utc.plugin_only;
  printf("# TZ=UTC0: both read %zu and agree, %zu are obsolete forms Mailutils reads "
         "otherwise, %zu differ; only ours reads %zu, only Mailutils %zu (of %zu it "
         "reads), neither %zu\n", utc.both_agree, utc.both_differ_rfc, utc.both_differ,
         utc.ours_only, utc.plugin_only, plugin_read, utc.neither);
  TAP_INT(utc.both_differ, 0, "TZ=UTC0: wherever both read a value, the same time "
          "(but the obsolete forms RFC 5322 4.3 fixes)");
  TAP_INT(eastern.both_differ, 0, "TZ=EST5EDT: the same");
  TAP_OK(eastern.both_agree == utc.both_agree && eastern.ours_only == utc.ours_only
         && eastern.both_differ_rfc == utc.both_differ_rfc,
         "ours reads the same values whatever the local time zone");
  /* What only Mailutils reads (no zone, asctime() and other layouts) must
   * stay rare: ours is what check and import use first. */
  TAP_OK(utc.plugin_only * 50 <= plugin_read,
         "only Mailutils reads %zu of the %zu values it reads (at most 2%%)",
         utc.plugin_only, plugin_read);
  free(corpus.values);
  free(corpus.lengths);
}

int
main(void)
{
  test_table();
  test_fields();
  test_truncated();
  test_bounds();
  test_differential();
  return tap_done();
}
