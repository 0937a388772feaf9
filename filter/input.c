/* SPDX-License-Identifier: GPL-3.0-or-later */
/* input.c: spooling the caller's bytes exactly (struct input), for --tag,
 * --passthrough, --deliver and --sendmail, and handing them back out
 * (input_copy_out) so that no other module touches the spool's stream.
 * Limits: CAP_MEMORY_BYTES held in memory, the rest in an unlinked
 * temporary file (Mailutils' temp stream); the body past what the caller
 * keeps is counted and dropped.
 */
#include <config.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <mailutils/mailutils.h>
#include "caps.h"
#include "header.h"
#include "input.h"
#include "util.h"

enum { READ_CHUNK = 65536 };

static int
input_create(struct input *input, struct failure *failure)
{
  memset(input, 0, sizeof *input);
  int rc = mu_temp_stream_create(&input->raw, CAP_MEMORY_BYTES);
  if (rc)
    return failure_set(failure, FAILURE_IO, "cannot create temporary stream: %s",
                       mu_strerror(rc));
  return 0;
}

/* Note the line-end style and an mbox "From " line from the first bytes. */
static void
input_sniff(struct input *input, const char *data, size_t length)
{
  const char *newline = memchr(data, '\n', length);
  input->crlf = newline && newline > data && newline[-1] == '\r';
  input->cr_only = !newline && memchr(data, '\r', length) != NULL;
  input->has_from_line = length >= 5 && memcmp(data, "From ", 5) == 0;
}

static int
input_finish(struct input *input, struct failure *failure)
{
  int rc = mu_stream_seek(input->raw, 0, MU_SEEK_SET, NULL);
  if (rc)
    return failure_set(failure, FAILURE_IO, "cannot rewind input: %s",
                       mu_strerror(rc));
  return 0;
}

static int
input_store(struct input *input, const char *data, size_t length,
            struct failure *failure)
{
  int rc = mu_stream_write(input->raw, data, length, NULL);
  if (rc)
    return failure_set(failure, FAILURE_IO, "cannot store the message: %s",
                       mu_strerror(rc));
  return 0;
}

int
input_read_kept(int fd, int echo_fd, struct input *input, int *echo_failed,
                input_keep_fn keep_body, void *cookie, struct failure *failure)
{
  char *buffer = malloc(READ_CHUNK);
  char head[1024];
  size_t head_length = 0;
  struct header_scan scan;
  int decided = keep_body == NULL;
  unsigned long long stored = 0, keep_limit = ULLONG_MAX;

  /* The header ends at its empty line, or is cut at the cap (with room
   * for an mbox "From " line before it). */
  header_scan_start(&scan, CAP_HEADER_BLOCK_BYTES + CAP_LINE_BYTES);
  if (echo_failed)
    *echo_failed = 0;
  if (!buffer)
    return failure_set(failure, FAILURE_MEMORY, "out of memory reading input");
  if (input_create(input, failure) < 0) {
    free(buffer);
    return -1;
  }
  for (;;) {
    ssize_t n = read(fd, buffer, READ_CHUNK);
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
        && write_all(echo_fd, buffer, (size_t) n) < 0 && echo_failed)
      *echo_failed = errno ? errno : EIO;
    if (head_length < sizeof head) {
      size_t take = sizeof head - head_length < (size_t) n
                    ? sizeof head - head_length : (size_t) n;
      memcpy(head + head_length, buffer, take);
      head_length += take;
    }
    size_t offset = 0;
    if (!decided) {
      long header_part = header_scan_feed(&scan, buffer, (size_t) n);
      if (header_part < 0) {
        if (input_store(input, buffer, (size_t) n, failure) < 0)
          goto fail;
        stored += (unsigned long long) n;
        input->size += (unsigned long long) n;
        continue;
      }
      /* The header is all here: ask what of the body is worth keeping. */
      offset = (size_t) header_part;
      if (input_store(input, buffer, offset, failure) < 0)
        goto fail;
      stored += offset;
      input->size += offset;
      input_sniff(input, head, head_length);
      if (input_finish(input, failure) < 0)
        goto fail;
      size_t body = keep_body(cookie, input);
      keep_limit = body > ULLONG_MAX - stored ? ULLONG_MAX : stored + body;
      int rc = mu_stream_seek(input->raw, 0, MU_SEEK_END, NULL);
      if (rc) {
        failure_set(failure, FAILURE_IO, "cannot store the message: %s",
                    mu_strerror(rc));
        goto fail;
      }
      decided = 1;
    }
    size_t rest = (size_t) n - offset, take = rest;
    if (stored + take > keep_limit)
      take = (size_t) (keep_limit - stored);
    if (take > 0 && input_store(input, buffer + offset, take, failure) < 0)
      goto fail;
    if (take < rest)
      input->partial = 1;        /* read to the end, but not kept */
    stored += take;
    input->size += rest;
  }
  free(buffer);
  input_sniff(input, head, head_length);
  return input_finish(input, failure);
fail:
  free(buffer);
  input_free(input);
  return -1;
}
int
input_from_buffer(const char *data, size_t length, struct input *input,
                  struct failure *failure)
{
  if (input_create(input, failure) < 0)
    return -1;
  int rc = mu_stream_write(input->raw, data, length, NULL);
  if (rc) {
    input_free(input);
    return failure_set(failure, FAILURE_IO, "cannot store the message: %s",
                       mu_strerror(rc));
  }
  input->size = length;
  input_sniff(input, data, length < 1024 ? length : 1024);
  return input_finish(input, failure);
}

void
input_free(struct input *input)
{
  if (input->raw)
    mu_stream_destroy(&input->raw);
  memset(input, 0, sizeof *input);
}


/* The normalised stream to parse: the raw copy itself when it is already
 * LF-only without a "From " line, else a copy through the CRLF decoder. */
int
input_normalised_stream(struct input *input, mu_stream_t *out,
                        struct failure *failure)
{
  int rc;
  mu_stream_t source = input->raw, copy;

  if (!input->crlf && !input->has_from_line) {
    mu_stream_ref(input->raw);
    *out = input->raw;
    return 0;
  }
  if ((rc = mu_stream_seek(input->raw, 0, MU_SEEK_SET, NULL)) != 0)
    return failure_set(failure, FAILURE_IO, "cannot rewind input: %s",
                       mu_strerror(rc));
  if (input->has_from_line) {
    char skip[CAP_LINE_BYTES];
    size_t n = 0;
    /* The "From " line is bounded like any line; a longer one is junk. */
    rc = mu_stream_readline(input->raw, skip, sizeof skip, &n);
    if (rc)
      return failure_set(failure, FAILURE_INPUT, "cannot read the first line");
  }
  if (input->crlf) {
    rc = mu_filter_create(&source, input->raw, "CRLF", MU_FILTER_DECODE,
                          MU_STREAM_READ);
    if (rc)
      return failure_set(failure, FAILURE_IO, "cannot create CRLF filter: %s",
                         mu_strerror(rc));
  } else {
    mu_stream_ref(source);
  }
  rc = mu_temp_stream_create(&copy, CAP_MEMORY_BYTES);
  if (rc == 0)
    rc = mu_stream_copy(copy, source, 0, NULL);
  mu_stream_unref(source);
  if (rc == 0)
    rc = mu_stream_seek(copy, 0, MU_SEEK_SET, NULL);
  if (rc) {
    if (copy)
      mu_stream_destroy(&copy);
    return failure_set(failure, FAILURE_IO, "cannot normalise the message: %s",
                       mu_strerror(rc));
  }
  *out = copy;
  return 0;
}


int
input_copy_out(struct input *input, input_chunk_fn chunk, void *cookie,
               struct failure *failure)
{
  char *buffer = malloc(READ_CHUNK);
  int result = 0;

  if (!buffer)
    return failure_set(failure, FAILURE_MEMORY, "out of memory copying the message");
  int rc = mu_stream_seek(input->raw, 0, MU_SEEK_SET, NULL);
  if (rc) {
    free(buffer);
    return failure_set(failure, FAILURE_IO, "cannot rewind the message: %s",
                       mu_strerror(rc));
  }
  for (;;) {
    size_t n = 0;
    rc = mu_stream_read(input->raw, buffer, READ_CHUNK, &n);
    if (rc) {
      result = failure_set(failure, FAILURE_IO, "cannot read the message back: %s",
                           mu_strerror(rc));
      break;
    }
    if (n == 0)
      break;
    if (chunk(cookie, buffer, n) < 0) {
      result = -1;
      break;
    }
  }
  free(buffer);
  return result;
}
