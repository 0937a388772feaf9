/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pairtime.c: paired wall-time runs for the benchmarks.
 *
 *   pairtime RUNS INPUT -- A-COMMAND... -- B-COMMAND...
 *
 * Runs A and B alternately (A B A B ...) RUNS times each, stdin from INPUT,
 * stdout and stderr to /dev/null, and prints one line:
 *   median_a_us median_b_us median_ratio_b_over_a maxrss_a_kb maxrss_b_kb
 *   median_faults_a median_faults_b
 * The ratio is the median of the per-pair ratios B/A, so a slow moment of
 * the machine hits both halves of a pair. Peak RSS and page faults
 * (ru_minflt + ru_majflt: each is a trap, dear on virtual machines) come
 * from wait4().
 * Limits: RUNS at most 1000; each command at most 60 words.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_RUNS = 1000, MAX_WORDS = 60 };

static double
run_once(char **argv, const char *input, long *maxrss_kb, double *faults)
{
  struct timespec start, end;
  struct rusage usage;
  int status;
  clock_gettime(CLOCK_MONOTONIC, &start);
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    exit(2);
  }
  if (pid == 0) {
    int in = open(input, O_RDONLY);
    int null = open("/dev/null", O_WRONLY);
    if (in < 0 || null < 0)
      _exit(126);
    dup2(in, 0);
    dup2(null, 1);
    dup2(null, 2);
    execvp(argv[0], argv);
    _exit(127);
  }
  if (wait4(pid, &status, 0, &usage) < 0) {
    perror("wait4");
    exit(2);
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  if (WIFEXITED(status) && WEXITSTATUS(status) >= 126) {
    fprintf(stderr, "pairtime: cannot run %s\n", argv[0]);
    exit(2);
  }
  if (usage.ru_maxrss > *maxrss_kb)
    *maxrss_kb = usage.ru_maxrss;
  *faults = (double) (usage.ru_minflt + usage.ru_majflt);
  return (end.tv_sec - start.tv_sec) * 1e6 + (end.tv_nsec - start.tv_nsec) / 1e3;
}

static int
compare(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median(double *values, int count)
{
  qsort(values, (size_t) count, sizeof *values, compare);
  return count % 2 ? values[count / 2]
                   : (values[count / 2 - 1] + values[count / 2]) / 2;
}

int
main(int argc, char **argv)
{
  static double a_us[MAX_RUNS], b_us[MAX_RUNS], ratio[MAX_RUNS];
  static double a_faults[MAX_RUNS], b_faults[MAX_RUNS];
  double ignored;
  char *a[MAX_WORDS + 1] = { 0 }, *b[MAX_WORDS + 1] = { 0 };
  int words_a = 0, words_b = 0, i = 3;
  long rss_a = 0, rss_b = 0;

  if (argc < 7 || strcmp(argv[3], "--") != 0) {
    fprintf(stderr, "usage: pairtime RUNS INPUT -- A... -- B...\n");
    return 64;
  }
  int runs = atoi(argv[1]);
  if (runs < 1 || runs > MAX_RUNS)
    return 64;
  for (i = 4; i < argc && strcmp(argv[i], "--") != 0 && words_a < MAX_WORDS; i++)
    a[words_a++] = argv[i];
  for (i++; i < argc && words_b < MAX_WORDS; i++)
    b[words_b++] = argv[i];
  if (!words_a || !words_b)
    return 64;
  run_once(a, argv[2], &rss_a, &ignored); /* warm the page cache, not counted */
  run_once(b, argv[2], &rss_b, &ignored);
  rss_a = rss_b = 0;
  for (int r = 0; r < runs; r++) {
    a_us[r] = run_once(a, argv[2], &rss_a, &a_faults[r]);
    b_us[r] = run_once(b, argv[2], &rss_b, &b_faults[r]);
    ratio[r] = b_us[r] / a_us[r];
  }
  printf("%.0f %.0f %.3f %ld %ld %.0f %.0f\n", median(a_us, runs), median(b_us, runs),
         median(ratio, runs), rss_a, rss_b, median(a_faults, runs),
         median(b_faults, runs));
  return 0;
}
