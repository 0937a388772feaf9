/* SPDX-License-Identifier: GPL-3.0-or-later */
/* util.c: writing a whole buffer (waiting on a descriptor left in
 * O_NONBLOCK mode), and the ISO 8601 UTC time format (see util.h). No
 * state, no allocation. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "util.h"

int
wait_for_fd(int fd, short events)
{
  struct pollfd poll_fd = { .fd = fd, .events = events };
  for (;;) {
    int ready = poll(&poll_fd, 1, -1);
    if (ready > 0)
      return 0;
    if (ready < 0 && errno != EINTR)
      return -1;
  }
}

int
write_all(int fd, const void *data, size_t length)
{
  const char *next = data;
  while (length > 0) {
    ssize_t written = write(fd, next, length);
    if (written < 0 && errno == EINTR)
      continue;
    if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
        && wait_for_fd(fd, POLLOUT) == 0)
      continue;                   /* left in O_NONBLOCK mode by the caller */
    if (written < 0)
      return -1;
    if (written == 0) {
      errno = EIO;
      return -1;
    }
    next += written;
    length -= (size_t) written;
  }
  return 0;
}

const char *
iso_time(time_t when, char buffer[ISO_TIME_BYTES])
{
  struct tm tm;
  if (gmtime_r(&when, &tm) == NULL
      || strftime(buffer, ISO_TIME_BYTES, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    snprintf(buffer, ISO_TIME_BYTES, "%lld", (long long) when);
  return buffer;
}
