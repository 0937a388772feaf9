/* SPDX-License-Identifier: GPL-3.0-or-later */
/* conffile.c: a configuration file opened once, checked on its descriptor
 * (owner, mode, the directories above it) and read whole from it. See
 * conffile.h for the rule; the directory walk is OpenSSH's safe_path(),
 * with sticky directories allowed as procmail allows /tmp-like ones. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "conffile.h"

/* May `info` (a directory or a file) be trusted: owned by us or root? */
static int
owner_trusted(const struct stat *info)
{
  return info->st_uid == 0 || info->st_uid == geteuid();
}

/* Every directory above the file named by `path`, which must still be the
 * file open as `opened`. */
static int
check_directories(const char *path, const char *what,
                  const struct stat *opened, struct failure *failure)
{
  struct stat info;
  char *resolved = realpath(path, NULL);
  int result = 0;
  if (!resolved)
    return failure_set(failure, errno == ENOMEM ? FAILURE_MEMORY
                                                : FAILURE_CONFIG,
                       "%s: cannot resolve its directory: %s", path,
                       strerror(errno));
  if (stat(resolved, &info) != 0 || info.st_dev != opened->st_dev
      || info.st_ino != opened->st_ino) {
    free(resolved);
    return failure_set(failure, FAILURE_CONFIG, "%s: replaced while it was "
                       "being checked: refusing the %s", path, what);
  }
  /* resolved is absolute and free of symbolic links, "." and "..". */
  for (char *slash = strrchr(resolved, '/'); slash && result == 0;
       slash = strrchr(resolved, '/')) {
    if (slash == resolved)
      slash[1] = '\0';                  /* the root directory itself */
    else
      *slash = '\0';
    if (stat(resolved, &info) != 0)
      result = failure_set(failure, FAILURE_CONFIG, "%s: directory %s: %s",
                           path, resolved, strerror(errno));
    else if (!owner_trusted(&info))
      result = failure_set(failure, FAILURE_CONFIG, "%s: directory %s is "
                           "owned by uid %lu, neither us (uid %lu) nor root: "
                           "its owner could replace the %s; refusing it",
                           path, resolved, (unsigned long) info.st_uid,
                           (unsigned long) geteuid(), what);
    else if ((info.st_mode & (S_IWGRP | S_IWOTH))
             && !(info.st_mode & S_ISVTX))
      result = failure_set(failure, FAILURE_CONFIG, "%s: directory %s is "
                           "writable by group or others (mode %04o) and not "
                           "sticky: anyone who can write it could replace "
                           "the %s; refusing it (chmod go-w %s)", path,
                           resolved, (unsigned) (info.st_mode & 07777), what,
                           resolved);
    if (slash == resolved)
      break;
  }
  free(resolved);
  return result;
}

static int
check_file(const char *path, const char *what, const struct stat *info,
           struct failure *failure)
{
  if (!S_ISREG(info->st_mode))
    return failure_set(failure, FAILURE_CONFIG, "%s: not a regular file "
                       "(expected a %s)", path, what);
  if (info->st_mode & (S_IWGRP | S_IWOTH))
    return failure_set(failure, FAILURE_CONFIG, "%s: writable by group or "
                       "others (mode %04o): refusing it (chmod go-w)", path,
                       (unsigned) (info->st_mode & 07777));
  if (!owner_trusted(info))
    return failure_set(failure, FAILURE_CONFIG, "%s: owned by uid %lu, "
                       "neither us (uid %lu) nor root: refusing it", path,
                       (unsigned long) info->st_uid,
                       (unsigned long) geteuid());
  if ((unsigned long long) info->st_size > CAP_RULE_FILE_BYTES)
    return failure_set(failure, FAILURE_CONFIG, "%s: file too large: %lld "
                       "bytes (expected at most %lu)", path,
                       (long long) info->st_size, CAP_RULE_FILE_BYTES);
  return 0;
}

/* Read what `fd` holds, at most CAP_RULE_FILE_BYTES (one byte more is
 * read to notice a file that grew past the cap since fstat). */
static int
read_whole(int fd, const char *path, size_t expected, char **text,
           size_t *length, struct failure *failure)
{
  /* Sized by fstat (a 256 KB buffer for a 1 KB file is a mapping and an
   * unmapping per message); grown if the file grew since. */
  size_t capacity = expected + 1024, used = 0;
  if (capacity > CAP_RULE_FILE_BYTES + 2)
    capacity = CAP_RULE_FILE_BYTES + 2;
  char *buffer = malloc(capacity);
  if (!buffer)
    return failure_set(failure, FAILURE_MEMORY, "%s: out of memory", path);
  while (used <= CAP_RULE_FILE_BYTES) {
    if (used + 1 == capacity) {          /* keep room for the NUL */
      size_t grown = capacity * 2 > CAP_RULE_FILE_BYTES + 2
                     ? CAP_RULE_FILE_BYTES + 2 : capacity * 2;
      char *bigger = realloc(buffer, grown);
      if (!bigger) {
        free(buffer);
        return failure_set(failure, FAILURE_MEMORY, "%s: out of memory",
                           path);
      }
      buffer = bigger;
      capacity = grown;
    }
    ssize_t got = read(fd, buffer + used, capacity - 1 - used);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      int saved = errno;
      free(buffer);
      return failure_set(failure, FAILURE_CONFIG, "%s: cannot read: %s",
                         path, strerror(saved));
    }
    if (got == 0)
      break;
    used += (size_t) got;
  }
  if (used > CAP_RULE_FILE_BYTES) {
    free(buffer);
    return failure_set(failure, FAILURE_CONFIG, "%s: file too large "
                       "(expected at most %lu bytes)", path,
                       CAP_RULE_FILE_BYTES);
  }
  buffer[used] = '\0';
  *text = buffer;
  *length = used;
  return 0;
}

int
conffile_read(const char *path, const char *what, char **text,
              size_t *length, struct failure *failure)
{
  struct stat info;
  /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused
   * right after, as not a regular file); reads of a regular file ignore it. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return failure_set(failure, FAILURE_CONFIG, "%s: cannot open: %s", path,
                       strerror(errno));
  int result = fstat(fd, &info) != 0
               ? failure_set(failure, FAILURE_CONFIG, "%s: cannot stat: %s",
                             path, strerror(errno))
               : check_file(path, what, &info, failure);
  if (result == 0)
    result = check_directories(path, what, &info, failure);
  if (result == 0)
    result = read_whole(fd, path, (size_t) info.st_size, text, length,
                        failure);
  close(fd);
  return result;
}
