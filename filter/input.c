/* SPDX-License-Identifier: GPL-3.0-or-later */
/* input.c: spooling the caller's bytes exactly (struct input), for --tag,
 * --passthrough, --deliver and --sendmail, and handing them back out
 * (input_copy_out, byte sources) so that no other module touches the
 * spool's storage.
 * Limits: CAP_MEMORY_BYTES held in memory, in a buffer that grows with
 * the message (each page touched costs a fault, a large part of a short
 * run); the rest in an unlinked temporary file; the body past what the
 * caller keeps is counted and dropped. read() goes straight into the
 * spool's memory, so the bytes kept are copied by the kernel only.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "caps.h"
#include "header.h"
#include "input.h"
#include "util.h"

enum {
  READ_CHUNK = 65536,           /* copies out of the file part */
  SPOOL_FIRST_BLOCK = 8192,     /* the spool's first allocation */
  /* Reads of bytes not kept in memory (a body nobody reads, the part
   * past the memory cap): a few pages, reused. Larger saves read()s of
   * a megabyte body, but every page costs a fault, and most of what is
   * dropped is tens of kilobytes. */
  SCRATCH_BYTES = 16384,
};

/* The line-end style is read from the header, which is kept whole in
 * memory: it is at most this long. */
#define SNIFF_BYTES (CAP_HEADER_BLOCK_BYTES + CAP_LINE_BYTES)
_Static_assert(SNIFF_BYTES <= CAP_MEMORY_BYTES, "the header fits the spool's memory");

/* ------------------------------------------------------------ the spool */

void
spool_init(struct spool *spool, size_t memory_cap, const char *tmpdir)
{
  memset(spool, 0, sizeof *spool);
  spool->fd = -1;
  spool->memory_cap = memory_cap;
  spool->tmpdir = tmpdir && tmpdir[0] ? tmpdir : "/tmp";
}

/* Grow memory to hold at least `need` bytes (doubling from
 * SPOOL_FIRST_BLOCK, at most the cap unless spilling failed). 0 or -1. */
static int
spool_grow(struct spool *spool, size_t need)
{
  size_t grow = spool->memory_allocated ? spool->memory_allocated : SPOOL_FIRST_BLOCK;
  while (grow < need && grow <= SIZE_MAX / 2)
    grow *= 2;
  if (grow < need)
    grow = need;
  if (!spool->spill_failed && grow > spool->memory_cap)
    grow = spool->memory_cap;
  char *bigger = realloc(spool->memory, grow);
  if (!bigger)
    return -1;
  spool->memory = bigger;
  spool->memory_allocated = grow;
  return 0;
}

/* An unlinked file of our own in tmpdir: O_TMPFILE where the file system
 * has it, else a random name unlinked at once. The descriptor, or -1
 * with errno set. */
static int
spool_open_file(const char *tmpdir)
{
#ifdef O_TMPFILE
  int fd = open(tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
    return fd;
#endif
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/backscatter-filter.XXXXXX", tmpdir)
      >= (int) sizeof path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int made = mkostemp(path, O_CLOEXEC);      /* mode 0600 */
  if (made >= 0)
    unlink(path);
  return made;
}

int
spool_write(struct spool *spool, const char *data, size_t length,
            struct failure *failure)
{
  if (length == 0)
    return 0;
  if (spool->fd < 0) {
    /* Below the cap memory_length stays, unless spilling failed. */
    size_t fits = spool->spill_failed || length <= spool->memory_cap - spool->memory_length
                  ? length : spool->memory_cap - spool->memory_length;
    if (fits > 0) {
      if (spool->memory_length + fits > spool->memory_allocated
          && spool_grow(spool, spool->memory_length + fits) < 0)
        return failure_set(failure, FAILURE_MEMORY, "out of memory storing the message");
      memcpy(spool->memory + spool->memory_length, data, fits);
      spool->memory_length += fits;
      spool->length += fits;
      data += fits;
      length -= fits;
    }
    if (length == 0)
      return 0;
    spool->fd = spool_open_file(spool->tmpdir);
    if (spool->fd < 0) {
      spool->spill_failed = 1;       /* as Mailutils' temp stream: memory only */
      return spool_write(spool, data, length, failure);
    }
  }
  if (write_all(spool->fd, data, length) < 0)
    return failure_set(failure, FAILURE_IO, "cannot store the message: %s",
                       strerror(errno));
  spool->length += length;
  return 0;
}

char *
spool_tail(struct spool *spool, size_t *room)
{
  if (spool->fd >= 0 || spool->spill_failed)
    return NULL;
  if (spool->memory_length == spool->memory_allocated
      && (spool->memory_length >= spool->memory_cap
          || spool_grow(spool, spool->memory_length + 1) < 0))
    return NULL;
  *room = spool->memory_allocated - spool->memory_length;
  return spool->memory + spool->memory_length;
}

void
spool_commit(struct spool *spool, size_t length)
{
  spool->memory_length += length;
  spool->length += length;
}

int
spool_read_at(struct spool *spool, unsigned long long offset, char *buffer,
              size_t size, size_t *got)
{
  *got = 0;
  if (offset >= spool->length)
    return 0;
  if (size > spool->length - offset)
    size = (size_t) (spool->length - offset);
  if (offset < spool->memory_length) {
    size_t take = spool->memory_length - (size_t) offset;
    if (take > size)
      take = size;
    memcpy(buffer, spool->memory + offset, take);
    *got = take;
    offset += take;
  }
  while (*got < size) {
    ssize_t n = pread(spool->fd, buffer + *got, size - *got,
                      (off_t) (offset - spool->memory_length));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return n < 0 ? errno : EIO;    /* shorter than written: truncated */
    *got += (size_t) n;
    offset += (unsigned long long) n;
  }
  if (offset > spool->furthest_read)
    spool->furthest_read = offset;
  return 0;
}

const char *
spool_memory(const struct spool *spool, size_t *length)
{
  *length = spool->memory_length;
  return spool->memory ? spool->memory : "";
}

void
spool_free(struct spool *spool)
{
  free(spool->memory);
  if (spool->fd >= 0)
    close(spool->fd);
  spool_init(spool, spool->memory_cap, NULL);
}

/* ---------------------------------------------------------- byte sources */

void
byte_source_spool(struct byte_source *source, struct spool *spool,
                  unsigned long long offset)
{
  source->spool = spool;
  source->data = NULL;
  source->length = spool->length;
  source->offset = offset;
}

void
byte_source_memory(struct byte_source *source, const char *data, size_t length)
{
  source->spool = NULL;
  source->data = data;
  source->length = length;
  source->offset = 0;
}

int
byte_source_read(struct byte_source *source, char *buffer, size_t size, size_t *got)
{
  *got = 0;
  if (source->offset >= source->length)
    return 0;
  if (size > source->length - source->offset)
    size = (size_t) (source->length - source->offset);
  int rc = 0;
  if (source->spool) {
    rc = spool_read_at(source->spool, source->offset, buffer, size, got);
  } else {
    memcpy(buffer, source->data + source->offset, size);
    *got = size;
  }
  source->offset += *got;
  return rc;
}

const char *
byte_source_contiguous(const struct byte_source *source, size_t *length)
{
  unsigned long long left = source->offset < source->length
                            ? source->length - source->offset : 0;
  if (!source->spool) {
    *length = (size_t) left;
    return source->data + (left ? source->offset : 0);
  }
  if (source->spool->fd >= 0 && source->length > source->spool->memory_length)
    return NULL;
  size_t held;
  const char *memory = spool_memory(source->spool, &held);
  if (source->offset + left > held)
    return NULL;
  *length = (size_t) left;
  if (source->offset + left > source->spool->furthest_read)
    source->spool->furthest_read = source->offset + left;
  return memory + (left ? source->offset : 0);
}

/* ------------------------------------------------------------ the input */

static void
input_init(struct input *input, const char *tmpdir)
{
  memset(input, 0, sizeof *input);
  spool_init(&input->spool, CAP_MEMORY_BYTES, tmpdir);
}

/* The line-end style, from the first LF of the first `window` bytes (the
 * top header block, or as much as there is when it has no end): CRLF
 * when a CR is before it; none there and a CR: classic-Mac CR line ends.
 * And whether it starts with an mbox "From " line. */
static void
input_sniff(struct input *input, unsigned long long window)
{
  size_t length;
  const char *data = spool_memory(&input->spool, &length);
  if (window > SNIFF_BYTES)
    window = SNIFF_BYTES;
  if (length > window)
    length = (size_t) window;
  const char *newline = memchr(data, '\n', length);
  input->crlf = newline && newline > data && newline[-1] == '\r';
  input->cr_only = !newline && memchr(data, '\r', length) != NULL;
  input->has_from_line = length >= 5 && memcmp(data, "From ", 5) == 0;
}

/* Keep `length` bytes of `data`, which lie at the spool's tail already
 * when `in_place`. */
static int
input_keep(struct input *input, const char *data, size_t length, int in_place,
           struct failure *failure)
{
  if (in_place) {
    spool_commit(&input->spool, length);
    return 0;
  }
  return spool_write(&input->spool, data, length, failure);
}

int
input_read_kept(int fd, int echo_fd, struct input *input, const char *tmpdir,
                int *echo_failed, input_keep_fn keep_body, void *cookie,
                struct failure *failure)
{
  char *scratch = NULL;             /* for bytes not kept in memory */
  struct header_scan scan;
  int decided = keep_body == NULL, header_ended = 0;
  unsigned long long keep_limit = ULLONG_MAX, header_end = ULLONG_MAX;

  /* The header ends at its empty line, or is cut at the cap (with room
   * for an mbox "From " line before it). */
  header_scan_start(&scan, CAP_HEADER_BLOCK_BYTES + CAP_LINE_BYTES);
  if (echo_failed)
    *echo_failed = 0;
  input_init(input, tmpdir);
  for (;;) {
    size_t room = 0;
    char *into = input->spool.length < keep_limit ? spool_tail(&input->spool, &room)
                                                  : NULL;
    int in_place = into != NULL;
    if (!in_place) {
      if (!scratch && !(scratch = malloc(SCRATCH_BYTES))) {
        failure_set(failure, FAILURE_MEMORY, "out of memory reading input");
        goto fail;
      }
      into = scratch;
      room = SCRATCH_BYTES;
    }
    ssize_t n = read(fd, into, room);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      /* Left in O_NONBLOCK mode by the caller: nothing there yet. */
      if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_for_fd(fd, POLLIN) == 0)
        continue;
      failure_set(failure, FAILURE_INPUT, "cannot read the message: %s",
                  strerror(errno));
      goto fail;
    }
    if (n == 0)
      break;
    if (echo_fd >= 0 && !(echo_failed && *echo_failed)
        && write_all(echo_fd, into, (size_t) n) < 0 && echo_failed)
      *echo_failed = errno ? errno : EIO;
    size_t offset = 0;
    if (!header_ended) {
      long header_part = header_scan_feed(&scan, into, (size_t) n);
      if (header_part >= 0) {
        header_ended = 1;
        header_end = input->size + (unsigned long long) header_part;
      }
      if (!decided) {
        if (header_part < 0) {
          if (input_keep(input, into, (size_t) n, in_place, failure) < 0)
            goto fail;
          input->size += (unsigned long long) n;
          continue;
        }
        /* The header is all here: ask what of the body is worth keeping. */
        offset = (size_t) header_part;
        if (input_keep(input, into, offset, in_place, failure) < 0)
          goto fail;
        input->size += offset;
        input_sniff(input, header_end);
        size_t body = keep_body(cookie, input);
        unsigned long long stored = input->spool.length;
        keep_limit = body > ULLONG_MAX - stored ? ULLONG_MAX : stored + body;
        decided = 1;
      }
    }
    size_t rest = (size_t) n - offset, take = rest;
    if (input->spool.length + take > keep_limit)
      take = (size_t) (keep_limit - input->spool.length);
    if (take > 0 && input_keep(input, into + offset, take, in_place, failure) < 0)
      goto fail;
    if (take < rest)
      input->partial = 1;        /* read to the end, but not kept */
    input->size += rest;
  }
  free(scratch);
  input_sniff(input, header_end);
  return 0;
fail:
  free(scratch);
  input_free(input);
  return -1;
}

int
input_from_buffer(const char *data, size_t length, struct input *input,
                  struct failure *failure)
{
  struct header_scan scan;
  long header_end = -1;

  input_init(input, NULL);
  if (spool_write(&input->spool, data, length, failure) < 0) {
    input_free(input);
    return -1;
  }
  input->size = length;
  header_scan_start(&scan, CAP_HEADER_BLOCK_BYTES + CAP_LINE_BYTES);
  header_end = header_scan_feed(&scan, data, length < SNIFF_BYTES ? length : SNIFF_BYTES);
  input_sniff(input, header_end < 0 ? ULLONG_MAX : (unsigned long long) header_end);
  return 0;
}

void
input_free(struct input *input)
{
  spool_free(&input->spool);
  memset(input, 0, sizeof *input);
  input->spool.fd = -1;
}

int
input_copy_out(struct input *input, input_chunk_fn chunk, void *cookie,
               struct failure *failure)
{
  struct spool *spool = &input->spool;
  size_t held;
  const char *memory = spool_memory(spool, &held);
  char *buffer = NULL;
  unsigned long long offset = 0;

  /* The part in memory is handed out in place. */
  for (; offset < held; offset += READ_CHUNK) {
    size_t piece = held - offset < READ_CHUNK ? held - (size_t) offset : READ_CHUNK;
    if (chunk(cookie, memory + offset, piece) < 0)
      return -1;
  }
  offset = held;
  if (offset < spool->length && !(buffer = malloc(READ_CHUNK)))
    return failure_set(failure, FAILURE_MEMORY, "out of memory copying the message");
  int result = 0;
  while (offset < spool->length) {
    size_t n = 0;
    int rc = spool_read_at(spool, offset, buffer, READ_CHUNK, &n);
    if (rc) {
      result = failure_set(failure, FAILURE_IO, "cannot read the message back: %s",
                           strerror(rc));
      break;
    }
    offset += n;
    if (chunk(cookie, buffer, n) < 0) {
      result = -1;
      break;
    }
  }
  free(buffer);
  return result;
}
