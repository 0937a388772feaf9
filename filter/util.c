/* SPDX-License-Identifier: GPL-3.0-or-later */
/* util.c: writing a whole buffer (waiting on a descriptor left in
 * O_NONBLOCK mode), copying a descriptor, the ISO 8601 UTC time format,
 * creating files only where we may (see util.h). No state. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int
copy_all(int in, int out)
{
  char buffer[65536];
  for (;;) {
    ssize_t got = read(in, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
        && wait_for_fd(in, POLLIN) == 0)
      continue;                   /* left in O_NONBLOCK mode by the caller */
    if (got < 0)
      return -1;
    if (got == 0)
      return 0;
    if (write_all(out, buffer, (size_t) got) < 0)
      return -1;
  }
}

int
may_create_in(const char *directory, uid_t *owner)
{
  struct stat info;
  if (stat(directory, &info) != 0)
    return -1;
  if (owner)
    *owner = info.st_uid;
  return info.st_uid == geteuid() || info.st_uid == 0;
}

int
open_private_append(const char *path)
{
  const int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY;
  for (int attempt = 0; attempt < 2; attempt++) {
    int fd = open(path, flags);
    if (fd >= 0 || errno != ENOENT)
      return fd;
    const char *slash = strrchr(path, '/');
    char *directory = !slash ? strdup(".") : slash == path ? strdup("/")
                      : strndup(path, (size_t) (slash - path));
    if (!directory) {
      errno = ENOMEM;
      return -1;
    }
    int allowed = may_create_in(directory, NULL);
    free(directory);
    if (allowed <= 0) {
      if (allowed == 0)
        errno = EPERM;
      return -1;
    }
    fd = open(path, flags | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) {
      /* The umask may have taken bits away; never added any. */
      if (fchmod(fd, 0600) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
      }
      return fd;
    }
    if (errno != EEXIST)        /* else someone created it meanwhile: open it */
      return -1;
  }
  return -1;
}

void
close_descriptors_from(int lowest)
{
  if (close_range((unsigned) lowest, ~0U, 0) == 0)
    return;
  long limit = sysconf(_SC_OPEN_MAX);
  if (limit < 0 || limit > 65536)
    limit = 65536;
  for (int fd = lowest; fd < limit; fd++)
    close(fd);
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
