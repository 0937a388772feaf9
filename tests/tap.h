/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tap.h: the smallest TAP producer for the table-driven unit tests.
 * Each check prints "ok N - what" or "not ok N - what"; tap_done() prints
 * the plan and returns the exit status (non-zero if anything failed). */
#ifndef BSF_TAP_H
#define BSF_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

static inline int
tap_ok(int passed, const char *what)
{
  tap_count++;
  if (!passed)
    tap_failed++;
  printf("%sok %d - %s\n", passed ? "" : "not ", tap_count, what);
  fflush(stdout);
  return passed;
}

#define TAP_OK(cond, ...) do { \
    char tap_what_[2048]; \
    snprintf(tap_what_, sizeof tap_what_, __VA_ARGS__); \
    if (!tap_ok(!!(cond), tap_what_)) \
      printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
  } while (0)

#define TAP_STR(got, want, ...) do { \
    const char *tap_got_ = (got), *tap_want_ = (want); \
    int tap_same_ = tap_got_ && tap_want_ ? strcmp(tap_got_, tap_want_) == 0 \
                                          : tap_got_ == tap_want_; \
    TAP_OK(tap_same_, __VA_ARGS__); \
    if (!tap_same_) \
      printf("#   got '%s', want '%s'\n", tap_got_ ? tap_got_ : "(null)", \
             tap_want_ ? tap_want_ : "(null)"); \
  } while (0)

#define TAP_INT(got, want, ...) do { \
    long long tap_g_ = (long long) (got), tap_w_ = (long long) (want); \
    TAP_OK(tap_g_ == tap_w_, __VA_ARGS__); \
    if (tap_g_ != tap_w_) \
      printf("#   got %lld, want %lld\n", tap_g_, tap_w_); \
  } while (0)

static inline int
tap_done(void)
{
  printf("1..%d\n", tap_count);
  return tap_failed ? 1 : 0;
}

#endif
