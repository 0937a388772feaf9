/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-input.c: the spool (memory, the cap, the spill to a temporary
 * file, reads across the border, a write failure), byte sources, and the
 * line-end style input_from_buffer reads from the header. Table-driven;
 * every byte is checked against the pattern that was written. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "caps.h"
#include "input.h"
#include "../tap.h"

/* Byte i of every test message: no run repeats, so a misplaced read shows. */
static char
pattern(unsigned long long i)
{
  return (char) ((i * 7 + i / 251) & 0xff);
}

static char *
pattern_bytes(size_t length)
{
  char *data = malloc(length + 1);
  for (size_t i = 0; data && i < length; i++)
    data[i] = pattern(i);
  return data;
}

/* Does [offset, offset + size) of the spool read back as the pattern? */
static int
reads_back(struct spool *spool, unsigned long long offset, size_t size)
{
  char *buffer = malloc(size + 1);
  size_t got = 99;
  int rc = spool_read_at(spool, offset, buffer, size, &got);
  unsigned long long want = offset >= spool->length ? 0
                            : spool->length - offset < size ? spool->length - offset
                            : size;
  int same = rc == 0 && got == want;
  for (size_t i = 0; same && i < got; i++)
    same = buffer[i] == pattern(offset + i);
  free(buffer);
  return same;
}

/* The whole spool through a byte source, `step` bytes a read. */
static int
source_reads_back(struct spool *spool, size_t step)
{
  struct byte_source source;
  char *buffer = malloc(step);
  unsigned long long at = 0;
  size_t got;
  int same = 1;
  byte_source_spool(&source, spool, 0);
  while (same && byte_source_read(&source, buffer, step, &got) == 0 && got > 0) {
    for (size_t i = 0; same && i < got; i++)
      same = buffer[i] == pattern(at + i);
    at += got;
  }
  free(buffer);
  return same && at == spool->length;
}

static void
test_spool_table(void)
{
  static const struct {
    const char *name;
    size_t cap;
    size_t writes[6];         /* sizes written in turn, 0 ends */
    int through_tail;         /* use spool_tail/commit while it offers room */
    int spilled;              /* a file is expected */
  } cases[] = {
    { "empty", 100, { 0 }, 0, 0 },
    { "memory only", 100, { 10, 50 }, 0, 0 },
    { "exactly at the cap", 100, { 100 }, 0, 0 },
    { "exactly at the cap in pieces", 100, { 1, 98, 1 }, 0, 0 },
    { "one byte past the cap", 100, { 101 }, 0, 1 },
    { "past the cap in one write", 100, { 350 }, 0, 1 },
    { "across the cap in pieces", 100, { 30, 30, 30, 30, 30, 200 }, 0, 1 },
    { "written in place, then past the cap", 100, { 40, 40, 40, 100 }, 1, 1 },
    { "written in place, to the cap", 100, { 60, 40 }, 1, 0 },
    { "real cap, exactly", CAP_MEMORY_BYTES, { CAP_MEMORY_BYTES }, 0, 0 },
    { "real cap, spilled", CAP_MEMORY_BYTES, { CAP_MEMORY_BYTES - 3, 70000 }, 1, 1 },
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    size_t total = 0;
    for (size_t w = 0; w < 6 && cases[c].writes[w]; w++)
      total += cases[c].writes[w];
    char *data = pattern_bytes(total);
    struct spool spool;
    struct failure failure = { 0 };
    int failed = 0;
    size_t at = 0;

    spool_init(&spool, cases[c].cap, NULL);
    for (size_t w = 0; w < 6 && cases[c].writes[w]; w++) {
      size_t length = cases[c].writes[w], room = 0;
      char *tail = cases[c].through_tail ? spool_tail(&spool, &room) : NULL;
      if (tail && room >= length) {
        memcpy(tail, data + at, length);
        spool_commit(&spool, length);
      } else if (spool_write(&spool, data + at, length, &failure) < 0) {
        failed = 1;
      }
      at += length;
    }
    const char *name = cases[c].name;
    TAP_INT(failed, 0, "spool %s: stored", name);
    TAP_INT(spool.length, total, "spool %s: length", name);
    TAP_INT(spool.fd >= 0, cases[c].spilled, "spool %s: spilled to a file or not", name);
    TAP_OK(spool.memory_length <= cases[c].cap && spool.memory_allocated <= cases[c].cap,
           "spool %s: memory within the cap (%zu held, %zu allocated)", name,
           spool.memory_length, spool.memory_allocated);
    size_t cap = cases[c].cap;
    const unsigned long long offsets[] = { 0, 1, cap - 1, cap, cap + 1, total / 2,
                                           total ? total - 1 : 0, total, total + 5 };
    const size_t sizes[] = { 1, 7, 4096, total + 10 };
    int all = 1;
    for (size_t o = 0; o < sizeof offsets / sizeof offsets[0]; o++)
      for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        if (!reads_back(&spool, offsets[o], sizes[s])) {
          all = 0;
          printf("# read at %llu, %zu bytes: wrong\n", offsets[o], sizes[s]);
        }
    TAP_OK(all, "spool %s: read at offsets across the memory/file border", name);
    TAP_OK(source_reads_back(&spool, 13) && source_reads_back(&spool, 65536),
           "spool %s: a byte source reads it all back", name);
    struct byte_source source;
    size_t contiguous = 0;
    byte_source_spool(&source, &spool, 0);
    const char *in_place = byte_source_contiguous(&source, &contiguous);
    TAP_OK(cases[c].spilled ? in_place == NULL
                            : in_place && contiguous == total
                              && memcmp(in_place, data, total) == 0,
           "spool %s: in place exactly when it never spilled", name);
    spool_free(&spool);
    TAP_OK(spool.length == 0 && spool.fd == -1 && spool.memory == NULL,
           "spool %s: freed", name);
    free(data);
  }
}

/* Memory grows with what the message needs: a 5 KB message does not
 * touch 64 KB, a 20 KB one gets at most twice what it holds. */
static void
test_spool_growth(void)
{
  static const struct {
    size_t length, at_most;
  } cases[] = {
    { 1, 8192 }, { 5000, 8192 }, { 8193, 16384 }, { 20000, 32768 },
    { 600000, 1048576 }, { 1048576, 1048576 },
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    char *data = pattern_bytes(cases[c].length);
    struct spool spool;
    struct failure failure;
    spool_init(&spool, CAP_MEMORY_BYTES, NULL);
    /* In 1000-byte writes, as a pipe might hand them over. */
    for (size_t at = 0; at < cases[c].length; at += 1000)
      spool_write(&spool, data + at, cases[c].length - at < 1000 ? cases[c].length - at
                                                               : 1000, &failure);
    TAP_OK(spool.memory_allocated >= cases[c].length
           && spool.memory_allocated <= cases[c].at_most,
           "spool growth: %zu bytes held in %zu allocated (at most %zu)",
           cases[c].length, spool.memory_allocated, cases[c].at_most);
    spool_free(&spool);
    free(data);
  }
}

/* The file: in the directory asked for, unlinked, 0600, close-on-exec. */
static void
test_spool_file(void)
{
  char dir[] = "/tmp/bsf-test-spool-XXXXXX";
  char link[64], target[PATH_MAX];
  struct spool spool;
  struct failure failure;
  struct stat info;
  char *data = pattern_bytes(300);

  if (!mkdtemp(dir)) {
    TAP_OK(0, "spool file: a scratch directory");
    free(data);
    return;
  }
  spool_init(&spool, 100, dir);
  TAP_INT(spool_write(&spool, data, 300, &failure), 0, "spool file: written");
  snprintf(link, sizeof link, "/proc/self/fd/%d", spool.fd);
  ssize_t n = spool.fd >= 0 ? readlink(link, target, sizeof target - 1) : -1;
  target[n > 0 ? n : 0] = '\0';
  TAP_OK(strncmp(target, dir, strlen(dir)) == 0 && target[strlen(dir)] == '/',
         "spool file: in the directory asked for (%.200s)", target);
  TAP_OK(spool.fd >= 0 && fstat(spool.fd, &info) == 0 && info.st_nlink == 0
         && (info.st_mode & 07777) == 0600,
         "spool file: unlinked, mode 0600");
  TAP_OK(spool.fd >= 0 && (fcntl(spool.fd, F_GETFD) & FD_CLOEXEC),
         "spool file: close-on-exec");
  TAP_OK(rmdir(dir) == 0, "spool file: nothing left in the directory");
  TAP_OK(reads_back(&spool, 0, 300), "spool file: reads back");
  spool_free(&spool);

  /* No directory to spill to: kept in memory (as Mailutils' temp stream). */
  spool_init(&spool, 100, "/nonexistent-bsf-spool-dir");
  TAP_INT(spool_write(&spool, data, 300, &failure), 0,
          "spool without a directory: written");
  TAP_OK(spool.fd == -1 && spool.memory_length == 300 && reads_back(&spool, 0, 300)
         && reads_back(&spool, 150, 10),
         "spool without a directory: all of it in memory");
  spool_free(&spool);
  free(data);
}

/* A write to the file that fails (RLIMIT_FSIZE: EFBIG) is a failure,
 * and what was stored before it still reads back. Nothing is printed
 * while the limit is on: our own output may be a file too. */
static void
test_spool_write_failure(void)
{
  struct rlimit saved, small;
  struct spool spool;
  struct failure failure = { 0 };
  char *data = pattern_bytes(5000);
  void (*previous)(int) = signal(SIGXFSZ, SIG_IGN);

  fflush(stdout);
  getrlimit(RLIMIT_FSIZE, &saved);
  small = saved;
  small.rlim_cur = 1000;
  int limited = setrlimit(RLIMIT_FSIZE, &small) == 0;
  spool_init(&spool, 100, NULL);
  int first = spool_write(&spool, data, 600, &failure);
  int second = spool_write(&spool, data + 600, 4400, &failure);
  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, previous);
  if (!limited) {
    TAP_OK(1, "# SKIP cannot set RLIMIT_FSIZE");
  } else {
    TAP_INT(first, 0, "spool write failure: within the limit, written");
    TAP_INT(second, -1, "spool write failure: past the limit, fails");
    TAP_INT(failure.class, FAILURE_IO, "spool write failure: an I/O failure");
    TAP_OK(strstr(failure.message, "cannot store the message") != NULL,
           "spool write failure: says why (%s)", failure.message);
    TAP_OK(spool.length == 600 && reads_back(&spool, 0, 600),
           "spool write failure: what was stored before reads back");
  }
  spool_free(&spool);
  free(data);
}

/* A byte source over memory, and its in-place view. */
static void
test_memory_source(void)
{
  struct byte_source source;
  char buffer[8];
  size_t got, length;

  byte_source_memory(&source, "abcdefghij", 10);
  TAP_OK(byte_source_read(&source, buffer, 4, &got) == 0 && got == 4
         && memcmp(buffer, "abcd", 4) == 0, "memory source: first read");
  const char *rest = byte_source_contiguous(&source, &length);
  TAP_OK(rest && length == 6 && memcmp(rest, "efghij", 6) == 0,
         "memory source: the rest in place");
  TAP_OK(byte_source_read(&source, buffer, 8, &got) == 0 && got == 6,
         "memory source: the rest read");
  TAP_OK(byte_source_read(&source, buffer, 8, &got) == 0 && got == 0,
         "memory source: then the end");
  byte_source_memory(&source, "", 0);
  TAP_OK(byte_source_contiguous(&source, &length) != NULL && length == 0
         && byte_source_read(&source, buffer, 8, &got) == 0 && got == 0,
         "memory source: empty");
}

/* The line-end style comes from the first LF of the header, however far
 * in it is (the bug: only the first kilobyte was looked at). */
static void
test_line_ends(void)
{
  static const struct {
    const char *name;
    const char *start;          /* before the long line */
    size_t filler;              /* bytes of 'a' in the first line */
    const char *rest;
    int crlf, cr_only, from_line;
  } cases[] = {
    { "LF", "Subject: s", 10, "\nX: y\n\nbody\n", 0, 0, 0 },
    { "CRLF", "Subject: s", 10, "\r\nX: y\r\n\r\nbody\r\n", 1, 0, 0 },
    { "CR only", "Subject: s", 10, "\rX: y\r\rbody\r", 0, 1, 0 },
    { "CRLF, first LF past 1 KB", "X-Long: ", 2000, "\r\nX: y\r\n\r\nbody\r\n", 1, 0, 0 },
    { "CRLF, CR at byte 1023, LF at 1024", "X-Long: ", 1015, "\r\nX: y\r\n\r\nb\r\n",
      1, 0, 0 },
    { "LF, a lone CR in a long first line", "X-Long: a\rb", 1500, "\nX: y\n\nbody\n",
      0, 0, 0 },
    { "CR-only header, an LF in the body", "Subject: s", 10, "\rX: y\r\rbody\nmore\r",
      0, 1, 0 },
    { "CRLF, first LF past 100 KB", "X-Long: ", 100000, "\r\n\r\nbody\r\n", 1, 0, 0 },
    { "From line, CRLF", "From a@example.org Mon Nov 23 10:00:00 2026\r\nX: ", 3000,
      "\r\n\r\nbody\r\n", 1, 0, 1 },
    { "no line end at all", "just text ", 3000, "", 0, 0, 0 },
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    size_t start = strlen(cases[c].start), rest = strlen(cases[c].rest);
    size_t length = start + cases[c].filler + rest;
    char *text = malloc(length);
    struct input input;
    struct failure failure;
    memcpy(text, cases[c].start, start);
    memset(text + start, 'a', cases[c].filler);
    memcpy(text + start + cases[c].filler, cases[c].rest, rest);
    int rc = input_from_buffer(text, length, &input, &failure);
    TAP_INT(rc, 0, "line ends, %s: read", cases[c].name);
    TAP_OK(input.crlf == cases[c].crlf && input.cr_only == cases[c].cr_only
           && input.has_from_line == cases[c].from_line,
           "line ends, %s: crlf %d cr_only %d from_line %d (want %d %d %d)",
           cases[c].name, input.crlf, input.cr_only, input.has_from_line,
           cases[c].crlf, cases[c].cr_only, cases[c].from_line);
    input_free(&input);
    free(text);
  }
}

int
main(void)
{
  test_spool_table();
  test_spool_growth();
  test_spool_file();
  test_spool_write_failure();
  test_memory_source();
  test_line_ends();
  return tap_done();
}
