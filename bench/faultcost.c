/* SPDX-License-Identifier: GPL-3.0-or-later */
/* faultcost.c: what one page fault costs on this machine, for reading the
 * wall-time figures of BENCHMARKS.md (a short-lived process's time is
 * mostly its page faults on virtual machines).
 *
 *   faultcost [PAGES]      (default 256 pages = 1 MB; at most 65536)
 *
 * Maps PAGES fresh anonymous pages and touches one byte of each (one fault
 * per page), five times, and prints the median microseconds per fault;
 * then the same with the pages populated by one madvise(MADV_POPULATE_WRITE)
 * call when the kernel has it. Limits: wall clock, one process; figures
 * are comparable within one run only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

enum { ROUNDS = 5, MAX_PAGES = 65536 };

static double
now_us(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int
compare(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Microseconds per page to make `pages` fresh pages usable. */
static double
one_round(size_t pages, size_t page_size, int populate, int *populate_failed)
{
  size_t length = pages * page_size;
  volatile char *area = mmap(NULL, length, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) {
    perror("mmap");
    exit(1);
  }
  double start = now_us();
  if (populate && madvise((void *) area, length, MADV_POPULATE_WRITE) != 0)
    *populate_failed = 1;
  for (size_t i = 0; i < length; i += page_size)
    area[i] = 1;
  double spent = now_us() - start;
  munmap((void *) area, length);
  return spent / (double) pages;
}

int
main(int argc, char **argv)
{
  long pages = argc > 1 ? strtol(argv[1], NULL, 10) : 256;
  long page_size = sysconf(_SC_PAGESIZE);
  if (pages < 1 || pages > MAX_PAGES || page_size <= 0) {
    fprintf(stderr, "usage: faultcost [PAGES] (1..%d)\n", MAX_PAGES);
    return 64;
  }
  double faulted[ROUNDS], populated[ROUNDS];
  int populate_failed = 0;
  for (int r = 0; r < ROUNDS; r++) {
    faulted[r] = one_round((size_t) pages, (size_t) page_size, 0, &populate_failed);
    populated[r] = one_round((size_t) pages, (size_t) page_size, 1, &populate_failed);
  }
  qsort(faulted, ROUNDS, sizeof faulted[0], compare);
  qsort(populated, ROUNDS, sizeof populated[0], compare);
  printf("%.2f %.2f%s\n", faulted[ROUNDS / 2], populated[ROUNDS / 2],
         populate_failed ? " (MADV_POPULATE_WRITE not supported)" : "");
  return 0;
}
