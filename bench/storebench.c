/* SPDX-License-Identifier: GPL-3.0-or-later */
/* storebench.c: builds sent stores of a given size and measures lookups
 * and records in one process, for bench/run.sh.
 *
 *   storebench build PATH N       N Message-IDs (half of them older than
 *                                 60 days, for expire) plus the benchmark
 *                                 DSN's original and N/4 recipients
 *   storebench lookup PATH K [N]  open, K lookups (half hits among the
 *                                 N built keys, half misses), close;
 *                                 prints ns per lookup and ns per open+close
 *                                 of a fresh handle (no lookups: as a check)
 *   storebench record PATH K      K records, each its own open+add+close
 *                                 (what one `record` process does); ns each
 * Keys are deterministic; K is at most 10,000,000.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "store.h"

#define BENCH_ID "20261120093000.bench-0001@mail.example.org"

/* The i-th benchmark Message-ID: a UUID-like local part (what Thunderbird,
 * Gmail and most MUAs write). Sequential IDs such as "%ld.sent-%ld@host"
 * with the same counter twice are avoided on purpose: GDBM's additive hash
 * gives 168 of a million of them one identical 31-bit value, more than a
 * bucket holds, and the directory then grows to 64 MB (see BENCHMARKS.md). */
static void
bench_msgid(char *key, size_t size, long i)
{
  unsigned long long x = (unsigned long long) i + 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  x ^= x >> 31;
  snprintf(key, size, "%08llx-%04llx-%ld@mail.example.org", x >> 32,
           (x >> 16) & 0xffff, i);
}

static double
now_ns(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static int
fail(const struct failure *failure)
{
  fprintf(stderr, "storebench: %s\n", failure->message);
  return 1;
}

int
main(int argc, char **argv)
{
  struct sent_store *store = NULL;
  struct failure failure = { 0 };
  char key[128];
  time_t now = time(NULL);

  if (argc != 4 && argc != 5)
    return 64;
  long n = atol(argv[3]);
  if (n < 1 || n > 10000000)
    return 64;
  if (strcmp(argv[1], "build") == 0) {
    if (sent_store_open(&store, argv[2], STORE_WRITE, 5000, &failure) < 0)
      return fail(&failure);
    if (sent_store_add_msgid(store, BENCH_ID, now - 3600, &failure) < 0)
      return fail(&failure);
    for (long i = 0; i < n; i++) {
      bench_msgid(key, sizeof key, i);
      time_t when = i % 2 ? now - 60 * 86400L : now - (i % 86400);
      if (sent_store_add_msgid(store, key, when, &failure) < 0)
        return fail(&failure);
      if (i % 4 == 0) {
        snprintf(key, sizeof key, "friend%ld@example.net", i);
        if (sent_store_add_recipient(store, key, when, &failure) < 0)
          return fail(&failure);
      }
    }
    sent_store_close(&store);
    return 0;
  }
  if (strcmp(argv[1], "lookup") == 0) {
    /* Open and close as one check does (the close of the handle used for
     * the lookups below would also free the bucket cache they filled). */
    double t0 = now_ns();
    if (sent_store_open(&store, argv[2], STORE_READ, 5000, &failure) < 0)
      return fail(&failure);
    sent_store_close(&store);
    double open_close = now_ns() - t0;
    if (sent_store_open(&store, argv[2], STORE_READ, 5000, &failure) < 0)
      return fail(&failure);
    double t1 = now_ns();
    long found = 0, n_built = argc > 4 ? atol(argv[4]) : 1000;
    if (n_built < 1)
      n_built = 1;
    unsigned seed = 1;
    for (long i = 0; i < n; i++) {
      seed = seed * 1103515245u + 12345u;
      long which = (long) (seed >> 8) % 1000000;
      if (i % 2)
        bench_msgid(key, sizeof key, which % n_built);
      else
        snprintf(key, sizeof key, "missing-%ld@forged.example.com", which);
      int got = sent_store_find_msgid(store, key, NULL, &failure);
      if (got < 0)
        return fail(&failure);
      found += got;
    }
    double t2 = now_ns();
    sent_store_close(&store);
    printf("%.0f %.0f %ld\n", (t2 - t1) / n, open_close, found);
    return 0;
  }
  if (strcmp(argv[1], "record") == 0) {
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
      if (sent_store_open(&store, argv[2], STORE_WRITE, 5000, &failure) < 0)
        return fail(&failure);
      snprintf(key, sizeof key, "new-%ld.%ld@mail.example.org", (long) now, i);
      if (sent_store_add_msgid(store, key, now, &failure) < 0)
        return fail(&failure);
      sent_store_close(&store);
    }
    printf("%.0f\n", (now_ns() - t0) / n);
    return 0;
  }
  return 64;
}
