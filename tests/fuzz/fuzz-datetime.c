/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-datetime.c: libFuzzer target for our date-time reader (datetime.h):
 * any bytes, in libFuzzer's buffer of exactly their size (ASan sees a byte
 * read past it), through datetime_parse(). A value it reads must hold
 * fields in range and the seconds glibc's timegm() gives them less the
 * zone; a failure must leave *parsed zeroed; the NUL-terminated variant
 * must give the same answer. Any breach traps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caps.h"
#include "datetime.h"

static int
month_days(int year, int month)
{
  static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

static void
check_fields(const struct datetime *parsed)
{
  if (parsed->year < 1900 || parsed->year > 9999 || parsed->month < 1
      || parsed->month > 12 || parsed->day < 1
      || parsed->day > month_days(parsed->year, parsed->month) || parsed->hour < 0
      || parsed->hour > 23 || parsed->minute < 0 || parsed->minute > 59
      || parsed->second < 0 || parsed->second > 60
      || parsed->zone_minutes < -(99 * 60 + 59) || parsed->zone_minutes > 99 * 60 + 59)
    __builtin_trap();
  struct tm tm = { .tm_year = parsed->year - 1900, .tm_mon = parsed->month - 1,
                   .tm_mday = parsed->day, .tm_hour = parsed->hour,
                   .tm_min = parsed->minute, .tm_sec = parsed->second };
  if (timegm(&tm) - (time_t) parsed->zone_minutes * 60 != parsed->when)
    __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct datetime parsed;
  enum datetime_result result = datetime_parse((const char *) data, size, &parsed);
  if (result == DATETIME_OK) {
    check_fields(&parsed);
  } else {
    static const struct datetime zero;
    if (memcmp(&parsed, &zero, sizeof parsed) != 0)
      __builtin_trap();
  }
  if (size <= CAP_DATE_BYTES && !memchr(data, '\0', size)) {
    char text[CAP_DATE_BYTES + 1];
    time_t when = 0;
    memcpy(text, data, size);
    text[size] = '\0';
    int status = datetime_parse_string(text, &when);
    if ((status == 0) != (result == DATETIME_OK)
        || (status == 0 && when != parsed.when))
      __builtin_trap();
  }
  return 0;
}
