/* SPDX-License-Identifier: GPL-3.0-or-later */
/* datetime.c: reading an RFC 5322 date-time (the grammar, the deviations
 * and the limits are in datetime.h). One forward pass over at most
 * CAP_DATE_BYTES bytes through a cursor that never moves past the end;
 * numbers are read with saturation, so no digit string overflows; the date
 * is turned into seconds by days_from_civil(), not by timegm() or
 * mktime() (no time zone database, no locale). No state, no allocation.
 */
#include <config.h>
#include <stdint.h>
#include <string.h>
#include "caps.h"
#include "datetime.h"

/* A digit string is read up to this value; more digits keep it here
 * (a year of 10,000 or more is out of range anyway). */
enum { NUMBER_SATURATED = 100000 };

struct cursor {
  const char *at, *end;
};

static int
is_blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_alpha(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(char c)
{
  return c >= '0' && c <= '9';
}

static char
lower(char c)
{
  return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

/* Blanks and (nested (comments) with \quoted pairs). 0, or -1 for a
 * comment that does not end before the text does. */
static int
skip_cfws(struct cursor *cursor)
{
  for (;;) {
    while (cursor->at < cursor->end && is_blank(*cursor->at))
      cursor->at++;
    if (cursor->at == cursor->end || *cursor->at != '(')
      return 0;
    unsigned depth = 0;
    do {
      char c = *cursor->at++;
      if (c == '\\') {
        if (cursor->at == cursor->end)
          return -1;
        cursor->at++;
      } else if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      }
    } while (depth > 0 && cursor->at < cursor->end);
    if (depth > 0)
      return -1;
  }
}

/* A run of letters: its length (0 when none), *word where it starts. */
static size_t
read_word(struct cursor *cursor, const char **word)
{
  *word = cursor->at;
  while (cursor->at < cursor->end && is_alpha(*cursor->at))
    cursor->at++;
  return (size_t) (cursor->at - *word);
}

/* A run of digits: how many (0 when none), *value their number, kept at
 * NUMBER_SATURATED once it gets there. */
static size_t
read_number(struct cursor *cursor, int *value)
{
  const char *start = cursor->at;
  int number = 0;
  while (cursor->at < cursor->end && is_digit(*cursor->at)) {
    if (number < NUMBER_SATURATED)
      number = number * 10 + (*cursor->at - '0');
    if (number > NUMBER_SATURATED)
      number = NUMBER_SATURATED;
    cursor->at++;
  }
  *value = number;
  return (size_t) (cursor->at - start);
}

/* Do the `length` bytes of word equal the first `length` of `name` (lower
 * case, NUL-padded), ignoring case, with nothing more in `name`? */
static int
word_is(const char *word, size_t length, const char *name, size_t name_size)
{
  if (length >= name_size || name[length] != '\0')
    return 0;
  for (size_t i = 0; i < length; i++)
    if (lower(word[i]) != name[i])
      return 0;
  return 1;
}

/* The tables hold arrays, not pointers: a pointer in a position-independent
 * program is one more relocation at every start. */
static const char day_names[7][10] = {
  "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
};

/* 0 (Monday) .. 6, or -1; *full for the full name. */
static int
day_name(const char *word, size_t length, int *full)
{
  for (int i = 0; i < 7; i++) {
    char abbreviation[4] = { day_names[i][0], day_names[i][1], day_names[i][2], '\0' };
    *full = word_is(word, length, day_names[i], sizeof day_names[i]);
    if (*full || word_is(word, length, abbreviation, sizeof abbreviation))
      return i;
  }
  return -1;
}

static const char month_names[12][4] = {
  "jan", "feb", "mar", "apr", "may", "jun",
  "jul", "aug", "sep", "oct", "nov", "dec",
};

/* 1 .. 12, or 0. */
static int
month_name(const char *word, size_t length)
{
  for (int i = 0; i < 12; i++)
    if (word_is(word, length, month_names[i], sizeof month_names[i]))
      return i + 1;
  return 0;
}

/* The alphabetic zones (RFC 5322 4.3), minutes east of UTC. */
static const struct {
  char name[4];
  int minutes;
} zone_names[] = {
  { "ut", 0 }, { "gmt", 0 },
  { "est", -5 * 60 }, { "edt", -4 * 60 },
  { "cst", -6 * 60 }, { "cdt", -5 * 60 },
  { "mst", -7 * 60 }, { "mdt", -6 * 60 },
  { "pst", -8 * 60 }, { "pdt", -7 * 60 },
};

/* An alphabetic zone: DATETIME_OK with *minutes and the form bits, or
 * DATETIME_SYNTAX for a name we do not know. */
static enum datetime_result
alphabetic_zone(const char *word, size_t length, int *minutes, unsigned *forms)
{
  for (size_t i = 0; i < sizeof zone_names / sizeof zone_names[0]; i++)
    if (word_is(word, length, zone_names[i].name, sizeof zone_names[i].name)) {
      *minutes = zone_names[i].minutes;
      *forms |= DATETIME_OBSOLETE_ZONE;
      return DATETIME_OK;
    }
  if (word_is(word, length, "utc", sizeof "utc")) {
    *minutes = 0;
    *forms |= DATETIME_UTC_ZONE;
    return DATETIME_OK;
  }
  if (length == 1 && lower(word[0]) != 'j') {
    *minutes = 0;
    *forms |= DATETIME_MILITARY_ZONE | DATETIME_LOCAL_UNKNOWN;
    return DATETIME_OK;
  }
  return DATETIME_SYNTAX;
}

static int
is_leap(int year)
{
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int
month_days(int year, int month)
{
  static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

/* Days from 1970-01-01 to year-month-day, proleptic Gregorian (Howard
 * Hinnant's days_from_civil, for years >= 0). */
static int64_t
days_from_civil(int year, int month, int day)
{
  int64_t y = year - (month <= 2);
  int64_t era = y / 400;
  int64_t year_of_era = y - era * 400;
  int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100
                       + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

/* The optional day name and its comma. */
static enum datetime_result
read_day_name(struct cursor *cursor, int *weekday, unsigned *forms)
{
  const char *word;
  size_t length = read_word(cursor, &word);
  int full = 0;
  *weekday = -1;
  if (length == 0)
    return DATETIME_OK;
  if ((*weekday = day_name(word, length, &full)) < 0)
    return DATETIME_SYNTAX;
  if (full)
    *forms |= DATETIME_FULL_DAY_NAME;
  if (skip_cfws(cursor) < 0)
    return DATETIME_SYNTAX;
  if (cursor->at < cursor->end && *cursor->at == ',') {
    cursor->at++;
    return skip_cfws(cursor) < 0 ? DATETIME_SYNTAX : DATETIME_OK;
  }
  *forms |= DATETIME_NO_COMMA;
  return DATETIME_OK;
}

/* day month year, each followed by CFWS. */
static enum datetime_result
read_date(struct cursor *cursor, struct datetime *parsed)
{
  const char *word;
  size_t digits = read_number(cursor, &parsed->day);
  if (digits == 0 || digits > 2 || skip_cfws(cursor) < 0)
    return DATETIME_SYNTAX;
  size_t length = read_word(cursor, &word);
  if ((parsed->month = month_name(word, length)) == 0 || skip_cfws(cursor) < 0)
    return DATETIME_SYNTAX;
  digits = read_number(cursor, &parsed->year);
  if (digits < 2 || skip_cfws(cursor) < 0)
    return DATETIME_SYNTAX;
  if (digits == 2) {
    parsed->year += parsed->year < 50 ? 2000 : 1900;
    parsed->forms |= DATETIME_OBSOLETE_YEAR;
  } else if (digits == 3) {
    parsed->year += 1900;
    parsed->forms |= DATETIME_OBSOLETE_YEAR;
  }
  if (parsed->year < 1900 || parsed->year > 9999)
    return DATETIME_RANGE;
  if (parsed->day < 1 || parsed->day > month_days(parsed->year, parsed->month))
    return DATETIME_RANGE;
  return DATETIME_OK;
}

/* ":" between CFWS, then exactly two digits. */
static enum datetime_result
read_time_part(struct cursor *cursor, int *value)
{
  if (cursor->at == cursor->end || *cursor->at != ':')
    return DATETIME_SYNTAX;
  cursor->at++;
  if (skip_cfws(cursor) < 0 || read_number(cursor, value) != 2
      || skip_cfws(cursor) < 0)
    return DATETIME_SYNTAX;
  return DATETIME_OK;
}

/* hour ":" minute [":" second], followed by CFWS. */
static enum datetime_result
read_time(struct cursor *cursor, struct datetime *parsed)
{
  size_t digits = read_number(cursor, &parsed->hour);
  if (digits == 0 || digits > 2 || skip_cfws(cursor) < 0)
    return DATETIME_SYNTAX;
  if (digits == 1)
    parsed->forms |= DATETIME_SHORT_HOUR;
  if (read_time_part(cursor, &parsed->minute) != DATETIME_OK)
    return DATETIME_SYNTAX;
  if (cursor->at < cursor->end && *cursor->at == ':'
      && read_time_part(cursor, &parsed->second) != DATETIME_OK)
    return DATETIME_SYNTAX;
  if (parsed->hour > 23 || parsed->minute > 59 || parsed->second > 60)
    return DATETIME_RANGE;
  return DATETIME_OK;
}

/* The zone, then nothing but CFWS to the end. */
static enum datetime_result
read_zone(struct cursor *cursor, struct datetime *parsed)
{
  if (cursor->at == cursor->end)
    return DATETIME_SYNTAX;
  char sign = *cursor->at;
  if (sign == '+' || sign == '-') {
    int hhmm;
    cursor->at++;
    if (read_number(cursor, &hhmm) != 4)
      return DATETIME_SYNTAX;
    if (hhmm % 100 > 59)
      return DATETIME_RANGE;
    parsed->zone_minutes = (hhmm / 100 * 60 + hhmm % 100) * (sign == '-' ? -1 : 1);
    if (sign == '-' && hhmm == 0)
      parsed->forms |= DATETIME_LOCAL_UNKNOWN;
  } else {
    const char *word;
    size_t length = read_word(cursor, &word);
    if (length == 0)
      return DATETIME_SYNTAX;
    enum datetime_result result = alphabetic_zone(word, length, &parsed->zone_minutes,
                                                  &parsed->forms);
    if (result != DATETIME_OK)
      return result;
  }
  if (skip_cfws(cursor) < 0 || cursor->at != cursor->end)
    return DATETIME_SYNTAX;
  return DATETIME_OK;
}

static enum datetime_result
parse(struct cursor *cursor, struct datetime *parsed)
{
  int weekday;
  enum datetime_result result;
  if (skip_cfws(cursor) < 0)
    return DATETIME_SYNTAX;
  if ((result = read_day_name(cursor, &weekday, &parsed->forms)) != DATETIME_OK
      || (result = read_date(cursor, parsed)) != DATETIME_OK
      || (result = read_time(cursor, parsed)) != DATETIME_OK
      || (result = read_zone(cursor, parsed)) != DATETIME_OK)
    return result;

  int64_t days = days_from_civil(parsed->year, parsed->month, parsed->day);
  /* 1970-01-01 was a Thursday (3 with Monday 0); days may be negative. */
  if (weekday >= 0 && ((days % 7 + 7 + 3) % 7) != weekday)
    parsed->forms |= DATETIME_WEEKDAY_WRONG;
  int64_t seconds = days * 86400 + parsed->hour * 3600 + parsed->minute * 60
                    + parsed->second - (int64_t) parsed->zone_minutes * 60;
  parsed->when = (time_t) seconds;
  if ((int64_t) parsed->when != seconds)
    return DATETIME_RANGE;
  return DATETIME_OK;
}

enum datetime_result
datetime_parse(const char *text, size_t length, struct datetime *parsed)
{
  memset(parsed, 0, sizeof *parsed);
  if (length > CAP_DATE_BYTES)
    return DATETIME_TOO_LONG;
  if (length == 0 || memchr(text, '\0', length))
    return DATETIME_SYNTAX;
  struct cursor cursor = { text, text + length };
  enum datetime_result result = parse(&cursor, parsed);
  if (result != DATETIME_OK)
    memset(parsed, 0, sizeof *parsed);
  return result;
}

int
datetime_parse_string(const char *text, time_t *when)
{
  struct datetime parsed;
  if (datetime_parse(text, strnlen(text, CAP_DATE_BYTES + 1), &parsed) != DATETIME_OK)
    return -1;
  *when = parsed.when;
  return 0;
}

const char *
datetime_result_name(enum datetime_result result)
{
  switch (result) {
  case DATETIME_OK:
    return "ok";
  case DATETIME_SYNTAX:
    return "syntax";
  case DATETIME_RANGE:
    return "range";
  case DATETIME_TOO_LONG:
    return "too long";
  }
  return "?";
}
