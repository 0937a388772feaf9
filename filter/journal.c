/* SPDX-License-Identifier: GPL-3.0-or-later */
/* journal.c: the store's journal (see journal.h for the format and the
 * locking). What `record` could not put into the store waits here until
 * the next writer merges it.
 *
 * Limits: the file is capped at CAP_JOURNAL_BYTES (appends past it fail);
 * a line longer than JOURNAL_LINE_MAX, or not of the form "TIME m|r NAME",
 * is skipped when read. Names are never written with white space or
 * control characters (normalised names have none; others are refused).
 */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "caps.h"
#include "journal.h"

#define JOURNAL_SUFFIX ".journal"
#define MERGING_SUFFIX ".merging"
#define REPLAY_LOCK_SUFFIX ".replay"
/* "TIME TYPE NAME\n": 20 digits, two spaces, a type, a name, a newline. */
#define JOURNAL_LINE_MAX (24 + (CAP_ID_BYTES > CAP_ADDRESS_BYTES ? CAP_ID_BYTES \
                                                               : CAP_ADDRESS_BYTES))

struct journal_view {
  struct journal_entry *entries;
  char **names;              /* owned copies of the entries' names */
  size_t count, allocated;
};

char *
journal_path(const char *store_path)
{
  char *path = NULL;
  if (asprintf(&path, "%s%s", store_path, JOURNAL_SUFFIX) < 0)
    return NULL;
  return path;
}

static char *
merging_path(const char *path)
{
  char *merging = NULL;
  if (asprintf(&merging, "%s%s", path, MERGING_SUFFIX) < 0)
    return NULL;
  return merging;
}

/* Ours and writable by no one else, like the store (whoever can write the
 * journal can make a bounce look genuine). */
static int
check_file(int fd, const char *path, struct failure *failure)
{
  struct stat info;
  if (fstat(fd, &info) != 0)
    return failure_set(failure, FAILURE_STORE, "journal %s: %s", path,
                       strerror(errno));
  if (!S_ISREG(info.st_mode))
    return failure_set(failure, FAILURE_STORE,
                       "journal %s is not a regular file", path);
  if (info.st_uid != geteuid() || (info.st_mode & (S_IWGRP | S_IWOTH)))
    return failure_set(failure, FAILURE_STORE, "journal %s is not ours or is "
                       "writable by others; refusing it", path);
  return 0;
}

static bool
name_is_clean(const char *name)
{
  if (!name || !*name)
    return false;
  for (const unsigned char *p = (const unsigned char *) name; *p; p++)
    if (*p <= 0x20 || *p == 0x7f)
      return false;
  return true;
}

/* ------------------------------------------------------------- append */

/* Take an exclusive flock on fd within wait_ms (jittered 1-10 ms polls,
 * as the store does). */
static int
lock_within(int fd, long wait_ms)
{
  struct timespec start, now;
  unsigned seed = (unsigned) getpid() | 1u;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
      return 0;
    if (errno != EWOULDBLOCK && errno != EINTR)
      return -1;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long waited = (now.tv_sec - start.tv_sec) * 1000
                  + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (waited >= wait_ms) {
      errno = EWOULDBLOCK;
      return -1;
    }
    struct timespec pause = { 0, (1 + rand_r(&seed) % 10) * 1000000L };
    nanosleep(&pause, NULL);
  }
}

/* Open PATH for appending, locked, and still the file at PATH (a replay
 * may have renamed it away between our open and our lock). */
static int
open_locked_for_append(const char *path, long wait_ms, struct failure *failure)
{
  for (int attempt = 0; attempt < 8; attempt++) {
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
                  0600);
    if (fd < 0)
      return failure_set(failure, FAILURE_STORE, "cannot open journal %s: %s",
                         path, strerror(errno));
    if (lock_within(fd, wait_ms) != 0) {
      int error = errno;
      close(fd);
      return failure_set(failure, FAILURE_LOCKED, "cannot lock journal %s: %s",
                         path, strerror(error));
    }
    struct stat opened, named;
    if (fstat(fd, &opened) == 0 && stat(path, &named) == 0
        && opened.st_ino == named.st_ino && opened.st_dev == named.st_dev)
      return check_file(fd, path, failure) == 0 ? fd : (close(fd), -1);
    close(fd);                  /* renamed by a replay: open the new one */
  }
  return failure_set(failure, FAILURE_LOCKED, "journal %s keeps being "
                     "replaced", path);
}

int
journal_append(const char *path, const struct journal_entry *entries,
               size_t count, long lock_wait_ms, struct failure *failure)
{
  if (count == 0)
    return 0;
  size_t size = 0;
  char *text = NULL;
  FILE *lines = open_memstream(&text, &size);
  if (!lines)
    return failure_set(failure, FAILURE_MEMORY, "journal %s: out of memory",
                       path);
  for (size_t i = 0; i < count; i++) {
    const struct journal_entry *entry = &entries[i];
    if (!name_is_clean(entry->name) || entry->when < 0
        || (entry->type != JOURNAL_MSGID && entry->type != JOURNAL_RECIPIENT))
      continue;               /* never produced by the normalisers */
    fprintf(lines, "%lld %c ", (long long) entry->when, (char) entry->type);
    for (const char *p = entry->name; *p; p++)
      putc(entry->type == JOURNAL_RECIPIENT && (unsigned char) *p < 0x80
           ? tolower((unsigned char) *p) : *p, lines);
    putc('\n', lines);
  }
  if (fclose(lines) != 0) {
    free(text);
    return failure_set(failure, FAILURE_MEMORY, "journal %s: out of memory",
                       path);
  }
  if (size == 0) {
    free(text);
    return 0;
  }

  int result = 0;
  int fd = open_locked_for_append(path, lock_wait_ms, failure);
  if (fd < 0) {
    free(text);
    return -1;
  }
  struct stat info;
  if (fstat(fd, &info) != 0)
    result = failure_set(failure, FAILURE_STORE, "journal %s: %s", path,
                         strerror(errno));
  else if ((unsigned long long) info.st_size + size > CAP_JOURNAL_BYTES)
    result = failure_set(failure, FAILURE_LIMIT, "journal %s is full (%lu "
                         "bytes): the store needs a writer to merge it", path,
                         (unsigned long) CAP_JOURNAL_BYTES);
  else {
    ssize_t written = write(fd, text, size);
    if (written != (ssize_t) size) {
      int error = written < 0 ? errno : ENOSPC;
      /* Never leave half a line: cut back to where we started (we hold the
       * lock, so no one appended since). */
      if (written > 0 && ftruncate(fd, info.st_size) != 0)
        error = errno;
      result = failure_set(failure, FAILURE_STORE, "cannot write journal %s: "
                           "%s", path, strerror(error));
    } else if (fdatasync(fd) != 0) {
      result = failure_set(failure, FAILURE_STORE, "cannot write journal %s: "
                           "%s", path, strerror(errno));
    }
  }
  close(fd);                   /* releases the lock */
  free(text);
  return result;
}

/* -------------------------------------------------------------- read */

/* Parse one line (without its newline). */
static bool
parse_line(char *line, struct journal_entry *entry)
{
  char *end;
  errno = 0;
  if (!isdigit((unsigned char) line[0]))
    return false;
  intmax_t when = strtoimax(line, &end, 10);
  if (errno || end[0] != ' ' || (end[1] != JOURNAL_MSGID
                                 && end[1] != JOURNAL_RECIPIENT)
      || end[2] != ' ' || !name_is_clean(end + 3) || when < 0)
    return false;
  entry->when = (time_t) when;
  entry->type = (enum journal_type) end[1];
  entry->name = end + 3;
  return true;
}

typedef int line_visitor(void *data, const struct journal_entry *entry,
                         struct failure *failure);

/* Call visit for every well-formed line of an open journal. */
static int
each_line(FILE *file, const char *path, line_visitor *visit, void *data,
          struct failure *failure)
{
  char line[JOURNAL_LINE_MAX + 2];
  bool skipping = false;
  while (fgets(line, sizeof line, file)) {
    size_t length = strlen(line);
    bool complete = length > 0 && line[length - 1] == '\n';
    if (skipping || !complete) {
      skipping = !complete;    /* over-long: skip to its end */
      continue;
    }
    line[length - 1] = '\0';
    struct journal_entry entry;
    if (parse_line(line, &entry) && visit(data, &entry, failure) != 0)
      return -1;
  }
  if (ferror(file))
    return failure_set(failure, FAILURE_STORE, "cannot read journal %s: %s",
                       path, strerror(errno));
  return 0;
}

/* Open an existing journal file for reading: a FILE, or NULL with
 * *missing set when there is none, or NULL with *failure set. */
static FILE *
open_for_reading(const char *path, bool *missing, struct failure *failure)
{
  *missing = false;
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      *missing = true;
    else
      failure_set(failure, FAILURE_STORE, "cannot open journal %s: %s", path,
                  strerror(errno));
    return NULL;
  }
  if (check_file(fd, path, failure) != 0) {
    close(fd);
    return NULL;
  }
  FILE *file = fdopen(fd, "r");
  if (!file) {
    failure_set(failure, FAILURE_MEMORY, "journal %s: out of memory", path);
    close(fd);
  }
  return file;
}

/* Visit the lines of one journal file; a missing file has none. */
static int
visit_file(const char *path, line_visitor *visit, void *data,
           struct failure *failure)
{
  bool missing;
  FILE *file = open_for_reading(path, &missing, failure);
  if (!file)
    return missing ? 0 : -1;
  int result = each_line(file, path, visit, data, failure);
  fclose(file);
  return result;
}

static int
add_to_view(void *data, const struct journal_entry *entry,
            struct failure *failure)
{
  struct journal_view *view = data;
  if (view->count == view->allocated) {
    size_t more = view->allocated ? 2 * view->allocated : 16;
    struct journal_entry *entries = reallocarray(view->entries, more,
                                                 sizeof *entries);
    if (!entries)
      return failure_set(failure, FAILURE_MEMORY, "journal: out of memory");
    view->entries = entries;
    char **names = reallocarray(view->names, more, sizeof *names);
    if (!names)
      return failure_set(failure, FAILURE_MEMORY, "journal: out of memory");
    view->names = names;
    view->allocated = more;
  }
  char *name = strdup(entry->name);
  if (!name)
    return failure_set(failure, FAILURE_MEMORY, "journal: out of memory");
  view->names[view->count] = name;
  view->entries[view->count] = *entry;
  view->entries[view->count].name = name;
  view->count++;
  return 0;
}

int
journal_read(const char *path, struct journal_view **view,
             struct failure *failure)
{
  *view = calloc(1, sizeof **view);
  char *merging = merging_path(path);
  if (!*view || !merging) {
    free(merging);
    journal_view_free(view);
    return failure_set(failure, FAILURE_MEMORY, "journal: out of memory");
  }
  /* The journal is capped, so the view is too (CAP_JOURNAL_BYTES of each
   * file at most: a .merging file is a journal renamed). */
  int result = visit_file(merging, add_to_view, *view, failure);
  if (result == 0)
    result = visit_file(path, add_to_view, *view, failure);
  free(merging);
  if (result != 0)
    journal_view_free(view);
  return result;
}

void
journal_view_free(struct journal_view **view)
{
  if (!view || !*view)
    return;
  for (size_t i = 0; i < (*view)->count; i++)
    free((*view)->names[i]);
  free((*view)->names);
  free((*view)->entries);
  free(*view);
  *view = NULL;
}

size_t
journal_view_count(const struct journal_view *view)
{
  return view ? view->count : 0;
}

const struct journal_entry *
journal_view_entry(const struct journal_view *view, size_t i)
{
  return view && i < view->count ? &view->entries[i] : NULL;
}

int
journal_view_find(const struct journal_view *view, enum journal_type type,
                  const char *name, time_t *when)
{
  int found = 0;
  time_t newest = 0;
  if (!view || !name)
    return 0;
  for (size_t i = 0; i < view->count; i++) {
    const struct journal_entry *entry = &view->entries[i];
    if (entry->type != type)
      continue;
    if (type == JOURNAL_RECIPIENT ? strcasecmp(entry->name, name) != 0
                                  : strcmp(entry->name, name) != 0)
      continue;
    if (!found || entry->when > newest)
      newest = entry->when;
    found = 1;
  }
  if (found && when)
    *when = newest;
  return found;
}

/* ------------------------------------------------------------ replay */

struct replay {
  struct sent_store *store;
  size_t merged;
};

static int
replay_entry(void *data, const struct journal_entry *entry,
             struct failure *failure)
{
  struct replay *replay = data;
  struct failure ignored = { 0 };
  int result = entry->type == JOURNAL_MSGID
               ? sent_store_add_msgid(replay->store, entry->name, entry->when,
                                      &ignored)
               : sent_store_add_recipient(replay->store, entry->name,
                                          entry->when, &ignored);
  if (result == 0) {
    replay->merged++;
    return 0;
  }
  /* A name the store refuses (over a cap) is dropped; store trouble stops
   * the replay with the journal kept. */
  if (ignored.class == FAILURE_LIMIT || ignored.class == FAILURE_INPUT)
    return 0;
  *failure = ignored;
  return -1;
}

/* Merge one file into the store, sync, remove it. */
static int
replay_file(const char *file_path, struct replay *replay,
            struct failure *failure)
{
  int result = visit_file(file_path, replay_entry, replay, failure);
  if (result == 0)
    result = sent_store_sync(replay->store, failure);
  if (result == 0 && unlink(file_path) != 0 && errno != ENOENT)
    result = failure_set(failure, FAILURE_STORE, "cannot remove %s: %s",
                         file_path, strerror(errno));
  return result;
}

int
journal_replay(const char *path, struct sent_store *store, size_t *merged,
               struct failure *failure)
{
  struct replay replay = { store, 0 };
  char *merging = merging_path(path);
  char *replaying = NULL;
  if (!merging || asprintf(&replaying, "%s" REPLAY_LOCK_SUFFIX, path) < 0) {
    free(merging);
    return failure_set(failure, FAILURE_MEMORY, "journal: out of memory");
  }
  if (merged)
    *merged = 0;

  /* One replay at a time: a Redis store has no lock of its own, and two
   * replays could rename a journal over the other's .merging file. Whoever
   * finds the replay lock taken leaves the journal to its holder. */
  int replay_lock = open(replaying, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
                         0600);
  free(replaying);
  if (replay_lock < 0 && errno != ENOENT) {
    free(merging);
    return failure_set(failure, FAILURE_STORE, "cannot open the replay lock "
                       "of journal %s: %s", path, strerror(errno));
  }
  if (replay_lock < 0 || flock(replay_lock, LOCK_EX | LOCK_NB) != 0) {
    if (replay_lock >= 0)
      close(replay_lock);
    free(merging);
    return 0;
  }

  /* A .merging left by a replay cut short comes first. */
  int result = 0;
  if (access(merging, F_OK) == 0)
    result = replay_file(merging, &replay, failure);

  int fd = result == 0 ? open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC) : -1;
  if (fd >= 0) {
    struct stat info;
    /* Appenders hold the lock for one write: a second is plenty. */
    if (check_file(fd, path, failure) != 0)
      result = -1;
    else if (lock_within(fd, 1000) != 0)
      ;                         /* busy: the next writer merges it */
    else if (fstat(fd, &info) == 0 && info.st_size > 0) {
      if (rename(path, merging) != 0)
        result = failure_set(failure, FAILURE_STORE, "cannot rename journal "
                             "%s: %s", path, strerror(errno));
      close(fd);               /* appenders waiting now see it renamed */
      fd = -1;
      if (result == 0)
        result = replay_file(merging, &replay, failure);
    }
    if (fd >= 0)
      close(fd);
  } else if (result == 0 && errno != ENOENT) {
    result = failure_set(failure, FAILURE_STORE, "cannot open journal %s: %s",
                         path, strerror(errno));
  }
  free(merging);
  close(replay_lock);
  if (merged)
    *merged = replay.merged;
  return result;
}
