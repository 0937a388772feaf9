/* SPDX-License-Identifier: GPL-3.0-or-later */
/* deliver.c: check --deliver writes the message into a local mailbox itself
 * (mbox, maildir, MH), the way procmail and Exim's appendfile do: the bytes
 * as received, one lock held across a whole mbox append, fsync before
 * success, and a failure that leaves the mailbox as it was. See deliver.h
 * for the formats and their guarantees.
 *
 * Limits: local mailboxes only (no IMAP/POP URL); the lock wait, the
 * dotlock's staleness and the name retries are bounded by caps.h; a stale
 * dotlock is judged by its age and, when it holds a process ID, by whether
 * that process exists on this host (as liblockfile does).
 */
#include <config.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "caps.h"
#include "deliver.h"
#include "util.h"

#define WRITE_CHUNK 65536

/* ------------------------------------------------------------ quoting */

void
mboxrd_quoter_start(struct mboxrd_quoter *quoter,
                    int (*emit)(void *, const char *, size_t), void *cookie)
{
  quoter->emit = emit;
  quoter->cookie = cookie;
  quoter->state = QUOTE_LINE_START;
  quoter->matched = 0;
}

static const char from_space[] = "From ";

/* One '>' more in front of ^>*From : the extra '>' may as well go after
 * the run of '>' (all of them are the same byte), so the run is written
 * as it comes and only up to five bytes of "From " are ever held back. */
int
mboxrd_quoter_feed(struct mboxrd_quoter *quoter, const char *data, size_t length)
{
  const char *end = data + length;
  while (data < end) {
    switch (quoter->state) {
    case QUOTE_LINE_START:
    case QUOTE_GT_RUN: {
      const char *p = data;
      while (p < end && *p == '>')
        p++;
      if (p > data) {
        if (quoter->emit(quoter->cookie, data, (size_t) (p - data)) < 0)
          return -1;
        quoter->state = QUOTE_GT_RUN;
        data = p;
        continue;
      }
      quoter->state = QUOTE_MATCHING;
      quoter->matched = 0;
      break;
    }
    case QUOTE_MATCHING:
      if (*data == from_space[quoter->matched]) {
        data++;
        if (++quoter->matched == sizeof from_space - 1) {
          if (quoter->emit(quoter->cookie, ">From ", 6) < 0)
            return -1;
          quoter->state = QUOTE_IN_LINE;
        }
        break;
      }
      if (quoter->matched > 0
          && quoter->emit(quoter->cookie, from_space, quoter->matched) < 0)
        return -1;
      quoter->state = QUOTE_IN_LINE;
      break;
    case QUOTE_IN_LINE: {
      const char *newline = memchr(data, '\n', (size_t) (end - data));
      const char *stop = newline ? newline + 1 : end;
      if (quoter->emit(quoter->cookie, data, (size_t) (stop - data)) < 0)
        return -1;
      data = stop;
      if (newline)
        quoter->state = QUOTE_LINE_START;
      break;
    }
    }
  }
  return 0;
}

int
mboxrd_quoter_finish(struct mboxrd_quoter *quoter)
{
  int rc = 0;
  if (quoter->state == QUOTE_MATCHING && quoter->matched > 0)
    rc = quoter->emit(quoter->cookie, from_space, quoter->matched);
  quoter->state = QUOTE_LINE_START;
  quoter->matched = 0;
  return rc;
}

/* ------------------------------------------------------------- sender */

char *
deliver_envelope_sender(const char *sender, char *out, size_t size)
{
  size_t start = 0, end = sender ? strlen(sender) : 0, used = 0;
  size_t limit = size - 1 < CAP_ADDRESS_BYTES ? size - 1 : CAP_ADDRESS_BYTES;

  while (start < end && (sender[start] == ' ' || sender[start] == '\t'))
    start++;
  while (end > start && (sender[end - 1] == ' ' || sender[end - 1] == '\t'
                         || sender[end - 1] == '\n' || sender[end - 1] == '\r'))
    end--;
  if (end - start >= 2 && sender[start] == '<' && sender[end - 1] == '>') {
    start++;
    end--;
  }
  for (size_t i = start; i < end && used < limit; i++) {
    unsigned char c = (unsigned char) sender[i];
    out[used++] = c > 0x20 && c < 0x7f ? (char) c : '_';
  }
  out[used] = '\0';
  if (used == 0)
    snprintf(out, size, "MAILER-DAEMON");
  return out;
}

/* --------------------------------------------------------- the writer */

/* Buffered writes to one descriptor; the first error is kept. */
struct sink {
  int fd;
  char *buffer;
  size_t used;
  char last;                /* last byte put, '\n' before any */
  int error;                /* errno of the first failure */
};

static int
sink_flush(struct sink *sink)
{
  if (!sink->error && write_all(sink->fd, sink->buffer, sink->used) < 0)
    sink->error = errno;
  sink->used = 0;
  return sink->error ? -1 : 0;
}

static int
sink_put(void *cookie, const char *data, size_t length)
{
  struct sink *sink = cookie;
  if (sink->error)
    return -1;
  if (length == 0)
    return 0;
  sink->last = data[length - 1];
  while (length > 0) {
    size_t room = WRITE_CHUNK - sink->used;
    size_t take = length < room ? length : room;
    memcpy(sink->buffer + sink->used, data, take);
    sink->used += take;
    data += take;
    length -= take;
    if (sink->used == WRITE_CHUNK && sink_flush(sink) < 0)
      return -1;
  }
  return 0;
}

/* The message's bytes on their way to a sink: a leading "From " line
 * dropped, CRLF made LF (crlf input only; a lone CR stays), every CR made
 * LF in classic-Mac mail (cr_only input: it has no LF, so nothing is lost,
 * and mail readers split lines on LF only), then mboxrd quoting for an
 * mbox. */
struct writer {
  struct sink sink;
  struct mboxrd_quoter quoter;
  int quote;
  int crlf;
  int cr_only;
  int pending_cr;           /* a CR ended the last piece */
  int skipping_line;        /* still in the MTA's "From " line */
};

static int
writer_body(struct writer *writer, const char *data, size_t length)
{
  if (length == 0)
    return 0;
  return writer->quote ? mboxrd_quoter_feed(&writer->quoter, data, length)
                       : sink_put(&writer->sink, data, length);
}

static int
writer_feed(struct writer *writer, const char *data, size_t length)
{
  const char *end = data + length;
  if (writer->skipping_line) {
    const char *newline = memchr(data, writer->cr_only ? '\r' : '\n', length);
    if (!newline)
      return 0;
    writer->skipping_line = 0;
    data = newline + 1;
  }
  if (writer->cr_only) {
    while (data < end) {
      const char *cr = memchr(data, '\r', (size_t) (end - data));
      if (!cr)
        return writer_body(writer, data, (size_t) (end - data));
      if (writer_body(writer, data, (size_t) (cr - data)) < 0
          || writer_body(writer, "\n", 1) < 0)
        return -1;
      data = cr + 1;
    }
    return 0;
  }
  if (!writer->crlf)
    return writer_body(writer, data, (size_t) (end - data));
  if (writer->pending_cr && data < end) {
    writer->pending_cr = 0;
    if (*data != '\n' && writer_body(writer, "\r", 1) < 0)
      return -1;
  }
  while (data < end) {
    const char *cr = memchr(data, '\r', (size_t) (end - data));
    if (!cr)
      return writer_body(writer, data, (size_t) (end - data));
    if (cr + 1 == end) {
      writer->pending_cr = 1;
      return writer_body(writer, data, (size_t) (cr - data));
    }
    /* CR LF: drop the CR, the LF starts the next span; a lone CR stays. */
    size_t span = (size_t) (cr - data) + (cr[1] == '\n' ? 0 : 1);
    if (writer_body(writer, data, span) < 0)
      return -1;
    data = cr + 1;
  }
  return 0;
}

static int
writer_finish(struct writer *writer)
{
  if (writer->pending_cr) {
    writer->pending_cr = 0;
    if (writer_body(writer, "\r", 1) < 0)
      return -1;
  }
  if (writer->quote && mboxrd_quoter_finish(&writer->quoter) < 0)
    return -1;
  return writer->sink.error ? -1 : 0;
}

static int
writer_chunk(void *cookie, const char *chunk, size_t n)
{
  return writer_feed(cookie, chunk, n);
}

/* Copy the whole spooled message through the writer. Returns 0, -1 with
 * the sink's error set (errno of the sink, or EIO for a read error, then
 * *what says why: `read_failure` holds the text). */
static int
writer_copy(struct writer *writer, struct input *input, const char **what,
            struct failure *read_failure)
{
  if (input_copy_out(input, writer_chunk, writer, read_failure) < 0) {
    if (!writer->sink.error) {
      *what = read_failure->message;
      writer->sink.error = read_failure->class == FAILURE_MEMORY ? ENOMEM : EIO;
    }
    return -1;
  }
  return writer_finish(writer);
}

static int
writer_open(struct writer *writer, int fd, struct input *input, int quote)
{
  memset(writer, 0, sizeof *writer);
  writer->sink.fd = fd;
  writer->sink.last = '\n';
  writer->sink.buffer = malloc(WRITE_CHUNK);
  if (!writer->sink.buffer)
    return -1;
  writer->quote = quote;
  writer->crlf = input->crlf;
  writer->cr_only = input->cr_only;
  writer->skipping_line = input->has_from_line;
  mboxrd_quoter_start(&writer->quoter, sink_put, &writer->sink);
  return 0;
}

static void
writer_close(struct writer *writer)
{
  free(writer->sink.buffer);
  writer->sink.buffer = NULL;
}

/* Write the message (and, for an mbox, `before` and `after`) to fd. On
 * failure: -1, with the reason in failure. */
static int
write_message(int fd, struct input *input, int quote, const char *before,
              const char *mailbox, struct failure *failure)
{
  struct writer writer;
  const char *read_error = NULL;
  struct failure read_failure = { 0 };
  int rc;

  if (writer_open(&writer, fd, input, quote) < 0)
    return failure_set(failure, FAILURE_MEMORY, "out of memory delivering to %s",
                       mailbox);
  rc = before ? sink_put(&writer.sink, before, strlen(before)) : 0;
  if (rc == 0)
    rc = writer_copy(&writer, input, &read_error, &read_failure);
  /* An mbox message ends with a newline and then the empty separator line. */
  if (rc == 0 && quote && writer.sink.last != '\n')
    rc = sink_put(&writer.sink, "\n", 1);
  if (rc == 0 && quote)
    rc = sink_put(&writer.sink, "\n", 1);
  if (rc == 0)
    rc = sink_flush(&writer.sink);
  if (rc == 0 && fsync(fd) < 0)
    writer.sink.error = errno, rc = -1;
  int error = writer.sink.error;
  writer_close(&writer);
  if (rc == 0)
    return 0;
  if (read_error)
    return failure_set(failure, FAILURE_IO, "cannot read the message back to "
                       "deliver it to %s: %s", mailbox, read_error);
  return failure_set(failure, FAILURE_IO, "cannot write to %s: %s", mailbox,
                     strerror(error));
}

/* ---------------------------------------------------------- utilities */

static long long
now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep a little longer each time (1 ms doubling to 64 ms, with jitter so
 * that waiters do not wake in step), never past the deadline. */
static void
backoff(unsigned *round, long long deadline)
{
  long long ms = 1LL << (*round < 6 ? *round : 6);
  long long left = deadline - now_ms();
  ms += (getpid() + *round) % (ms + 1);
  if (ms > left)
    ms = left > 0 ? left : 0;
  (*round)++;
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

static unsigned long long
random_number(void)
{
  static unsigned long long counter;
  unsigned long long value = 0;
  if (getrandom(&value, sizeof value, GRND_NONBLOCK) != (ssize_t) sizeof value) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    value = ((unsigned long long) ts.tv_nsec << 20) ^ (unsigned long long) getpid();
  }
  return value ^ ++counter;
}

/* "DIR/NAME" into a fresh allocation, or NULL. */
static char *
path_join(const char *dir, const char *name)
{
  size_t a = strlen(dir), b = strlen(name);
  char *path = malloc(a + b + 2);
  if (path) {
    memcpy(path, dir, a);
    path[a] = '/';
    memcpy(path + a + 1, name, b + 1);
  }
  return path;
}

/* fsync a directory, so that a new name in it lasts a crash. */
static int
sync_directory(const char *dir)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  int rc = fsync(fd);
  int saved = errno;
  close(fd);
  errno = saved;
  /* Some file systems cannot sync a directory; their names are durable. */
  return rc < 0 && errno != EINVAL && errno != EROFS ? -1 : 0;
}

/* The directory part of a path ("." for a bare name), into buffer. */
static const char *
directory_of(const char *path, char *buffer, size_t size)
{
  const char *slash = strrchr(path, '/');
  if (!slash)
    return ".";
  if (slash == path)
    return "/";
  snprintf(buffer, size, "%.*s", (int) (slash - path), path);
  return buffer;
}

/* Create the directories above a mailbox path (0700), as procmail does
 * for a folder that does not exist yet. Errors surface when it is opened. */
static void
make_parents(const char *path)
{
  char *copy = strdup(path);
  if (!copy)
    return;
  for (char *slash = strchr(copy + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
    *slash = '\0';
    if (mkdir(copy, 0700) < 0 && errno != EEXIST)
      break;
    *slash = '/';
  }
  free(copy);
}

/* -------------------------------------------------------------- mbox */

struct dotlock {
  char *path;               /* NAME.lock */
  dev_t device;
  ino_t inode;              /* of the lock we made, to remove only ours */
  int held;
};

/* Remove a dotlock left by a writer that is gone: older than the stale
 * age, or naming a process that does not exist. Returns 1 if removed. */
static int
dotlock_break_stale(const char *path)
{
  struct stat info;
  char text[32];
  int stale = 0;

  if (lstat(path, &info) < 0)
    return errno == ENOENT;
  if (time(NULL) - info.st_mtime > CAP_DOTLOCK_STALE_SECONDS)
    stale = 1;
  else {
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
      ssize_t n = read(fd, text, sizeof text - 1);
      close(fd);
      if (n > 0) {
        text[n] = '\0';
        char *end;
        long pid = strtol(text, &end, 10);
        if (pid > 0 && pid < INT_MAX && (*end == '\n' || *end == '\0')
            && kill((pid_t) pid, 0) < 0 && errno == ESRCH)
          stale = 1;
      }
    }
  }
  if (!stale)
    return 0;
  /* Only if it is still the file judged (not one made meanwhile). */
  struct stat again;
  if (lstat(path, &again) == 0 && again.st_ino == info.st_ino
      && again.st_dev == info.st_dev && again.st_mtime == info.st_mtime)
    return unlink(path) == 0;
  return 0;
}

/* Take NAME.lock: a uniquely named file with our PID, hard-linked to the
 * lock name (atomic even over NFS, where the link count is the answer).
 * 0 taken; 1 the directory lets us make no file (go on with the fcntl lock
 * alone, as procmail does); -1 failure (the wait ran out). */
static int
dotlock_take(struct dotlock *lock, const char *mailbox, long long deadline,
             struct failure *failure)
{
  size_t length = strlen(mailbox);
  char *unique = malloc(length + 64);
  unsigned round = 0;
  int fd = -1;

  memset(lock, 0, sizeof *lock);
  lock->path = malloc(length + 6);
  if (!unique || !lock->path) {
    free(unique);
    free(lock->path);
    lock->path = NULL;
    return failure_set(failure, FAILURE_MEMORY, "out of memory locking %s", mailbox);
  }
  snprintf(lock->path, length + 6, "%s.lock", mailbox);
  for (unsigned tries = 0; fd < 0 && tries < CAP_UNIQUE_NAME_TRIES; tries++) {
    snprintf(unique, length + 64, "%s.lock.%ld.%llx", mailbox, (long) getpid(),
             random_number() & 0xffffffffffULL);
    fd = open(unique, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST)
      break;
  }
  if (fd < 0) {
    int error = errno;
    free(unique);
    free(lock->path);
    lock->path = NULL;
    if (error == EACCES || error == EPERM)
      return 1;
    return failure_set(failure, FAILURE_IO, "cannot create a lock file for %s: %s",
                       mailbox, strerror(error));
  }
  char pid[24];
  int pid_length = snprintf(pid, sizeof pid, "%ld\n", (long) getpid());
  ssize_t written = write(fd, pid, (size_t) pid_length);
  int error = written == pid_length ? 0 : written < 0 ? errno : ENOSPC;
  struct stat own;
  if (fstat(fd, &own) < 0 && !error)
    error = errno;
  close(fd);
  while (!error) {
    struct stat info;
    int linked = link(unique, lock->path) == 0;
    int link_error = errno;
    if (!linked && stat(unique, &info) == 0 && info.st_nlink == 2)
      linked = 1;                 /* NFS: the reply was lost, the link made */
    if (!linked && (link_error == EPERM || link_error == EOPNOTSUPP
                    || link_error == ENOSYS)) {
      /* No hard links here: exclusive creation is the next best lock. */
      int direct = open(lock->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                        | O_CLOEXEC, 0600);
      if (direct >= 0) {
        if (write(direct, pid, (size_t) pid_length) != pid_length
            || fstat(direct, &own) < 0)
          error = errno ? errno : EIO;
        close(direct);
        linked = !error;
        if (error)
          unlink(lock->path);
      } else {
        link_error = errno;
      }
    }
    if (linked) {
      lock->device = own.st_dev;
      lock->inode = own.st_ino;
      lock->held = 1;
      break;
    }
    if (error)
      break;
    if (link_error != EEXIST) {
      error = link_error;
      break;
    }
    if (dotlock_break_stale(lock->path))
      continue;
    if (now_ms() >= deadline) {
      unlink(unique);
      free(unique);
      return failure_set(failure, FAILURE_LOCKED, "%s stayed locked (%s) for %d s",
                         mailbox, lock->path, CAP_MAILBOX_LOCK_WAIT_MS / 1000);
    }
    backoff(&round, deadline);
  }
  unlink(unique);
  free(unique);
  if (lock->held)
    return 0;
  failure_set(failure, FAILURE_IO, "cannot lock %s with %s: %s", mailbox,
              lock->path, strerror(error));
  free(lock->path);
  lock->path = NULL;
  return -1;
}

static void
dotlock_release(struct dotlock *lock)
{
  struct stat info;
  if (lock->held && lstat(lock->path, &info) == 0 && info.st_ino == lock->inode
      && info.st_dev == lock->device)
    unlink(lock->path);
  free(lock->path);
  memset(lock, 0, sizeof *lock);
}

/* A write lock on the whole file, waited for until the deadline. */
static int
fcntl_lock(int fd, const char *mailbox, long long deadline, struct failure *failure)
{
  struct flock range = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
  unsigned round = 0;
  while (fcntl(fd, F_SETLK, &range) < 0) {
    if (errno != EACCES && errno != EAGAIN && errno != EINTR)
      return failure_set(failure, FAILURE_IO, "cannot lock %s: %s", mailbox,
                         strerror(errno));
    if (now_ms() >= deadline)
      return failure_set(failure, FAILURE_LOCKED, "%s stayed locked (fcntl) for %d s",
                         mailbox, CAP_MAILBOX_LOCK_WAIT_MS / 1000);
    backoff(&round, deadline);
  }
  return 0;
}

/* Open (creating 0600) the mbox for appending; it must be a regular file
 * (O_NONBLOCK: a FIFO must not hang us). Sets *created. fd or -1. */
static int
mbox_open(const char *path, int *created, struct failure *failure)
{
  int fd;
  *created = 0;
  for (unsigned tries = 0;; tries++) {
    fd = open(path, O_RDWR | O_APPEND | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0 || errno != ENOENT || tries >= CAP_UNIQUE_NAME_TRIES)
      break;
    fd = open(path, O_RDWR | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_CREAT | O_EXCL,
              0600);
    if (fd >= 0) {
      *created = 1;
      break;
    }
    if (errno != EEXIST)
      break;
  }
  if (fd < 0)
    return failure_set(failure, FAILURE_IO, "cannot open %s: %s", path,
                       strerror(errno));
  struct stat info;
  if (fstat(fd, &info) < 0) {
    int error = errno;
    close(fd);
    return failure_set(failure, FAILURE_IO, "cannot deliver to %s: %s", path,
                       strerror(error));
  }
  if (!S_ISREG(info.st_mode)) {
    close(fd);
    return failure_set(failure, FAILURE_IO, "cannot deliver to %s: not a regular "
                       "file", path);
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

/* What must come before our "From " line so that it starts a line after
 * an empty one, judged from the last two bytes only. */
static const char *
mbox_gap(int fd, off_t size)
{
  char tail[2];
  if (size <= 0)
    return "";
  size_t want = size >= 2 ? 2 : 1;
  if (pread(fd, tail, want, size - (off_t) want) != (ssize_t) want)
    return "\n";             /* unreadable: a line break is safe */
  if (tail[want - 1] != '\n')
    return "\n\n";
  return want == 2 && tail[0] != '\n' ? "\n" : "";
}

static int
deliver_mbox(struct input *input, const char *path, const char *sender,
             struct failure *failure)
{
  long long deadline = now_ms() + CAP_MAILBOX_LOCK_WAIT_MS;
  struct dotlock lock = { 0 };
  int fd, created = 0;

  /* Locked, and still the file the path names: a mail reader may have
   * replaced it (rewrite and rename) while we waited; then start again. */
  for (;;) {
    int made;
    fd = mbox_open(path, &made, failure);
    if (fd < 0)
      return -1;
    created |= made;
    if (fcntl_lock(fd, path, deadline, failure) < 0) {
      close(fd);
      return -1;
    }
    if (dotlock_take(&lock, path, deadline, failure) < 0) {
      close(fd);
      return -1;
    }
    struct stat opened, named;
    if (fstat(fd, &opened) == 0 && stat(path, &named) == 0
        && opened.st_ino == named.st_ino && opened.st_dev == named.st_dev)
      break;
    dotlock_release(&lock);
    close(fd);
    if (now_ms() >= deadline)
      return failure_set(failure, FAILURE_LOCKED, "%s kept being replaced", path);
  }

  char word[CAP_ADDRESS_BYTES + 1], from_line[CAP_ADDRESS_BYTES + 80];
  char prefix[sizeof from_line + 2];
  time_t now = time(NULL);
  struct tm tm;
  struct stat info;
  int result = 0;

  gmtime_r(&now, &tm);
  snprintf(from_line, sizeof from_line, "From %s ",
           deliver_envelope_sender(sender, word, sizeof word));
  strftime(from_line + strlen(from_line), sizeof from_line - strlen(from_line),
           "%a %b %e %H:%M:%S %Y\n", &tm);
  if (fstat(fd, &info) < 0)
    result = failure_set(failure, FAILURE_IO, "cannot deliver to %s: %s", path,
                         strerror(errno));
  else {
    snprintf(prefix, sizeof prefix, "%s%s", mbox_gap(fd, info.st_size), from_line);
    if (write_message(fd, input, 1, prefix, path, failure) < 0) {
      /* Leave the mbox as it was: cut our partial copy off again. */
      result = -1;
      if (ftruncate(fd, info.st_size) < 0 || fsync(fd) < 0) {
        char why[sizeof failure->message];
        snprintf(why, sizeof why, "%s", failure->message);
        failure_set(failure, FAILURE_IO, "%.300s; and cannot cut %.100s back to "
                    "%lld bytes: %s", why, path, (long long) info.st_size,
                    strerror(errno));
      }
    }
  }
  dotlock_release(&lock);
  if (close(fd) < 0 && result == 0)
    result = failure_set(failure, FAILURE_IO, "cannot write to %s: %s", path,
                         strerror(errno));
  if (result == 0 && created) {
    char buffer[4096];
    if (sync_directory(directory_of(path, buffer, sizeof buffer)) < 0)
      result = failure_set(failure, FAILURE_IO, "cannot sync the directory of %s: %s",
                           path, strerror(errno));
  }
  return result;
}

/* -------------------------------------------------- maildir and MH */

/* Write the message to a new file `path` (O_EXCL), fsync'ed. On failure
 * the file is removed. */
static int
write_new_file(const char *path, struct input *input, const char *mailbox,
               struct failure *failure)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return -1;                 /* errno for the caller (EEXIST: try another) */
  int rc = write_message(fd, input, 0, NULL, mailbox, failure);
  if (close(fd) < 0 && rc == 0)
    rc = failure_set(failure, FAILURE_IO, "cannot write to %s: %s", mailbox,
                     strerror(errno));
  if (rc < 0) {
    unlink(path);
    errno = 0;                 /* failure says why */
    return -1;
  }
  return 0;
}

static int
make_directory(const char *path, const char *mailbox, struct failure *failure)
{
  struct stat info;
  if (mkdir(path, 0700) < 0 && errno != EEXIST)
    return failure_set(failure, FAILURE_IO, "cannot create %s for %s: %s", path,
                       mailbox, strerror(errno));
  if (stat(path, &info) < 0 || !S_ISDIR(info.st_mode))
    return failure_set(failure, FAILURE_IO, "cannot deliver to %s: %s is not a "
                       "directory", mailbox, path);
  return 0;
}

/* The host name as a maildir name may hold it ('/' and ':' escaped). */
static void
maildir_host(char *out, size_t size)
{
  char host[256] = "localhost";
  size_t used = 0;
  if (gethostname(host, sizeof host - 1) < 0)
    snprintf(host, sizeof host, "localhost");
  host[sizeof host - 1] = '\0';
  for (const char *p = host; *p && used + 5 < size; p++) {
    unsigned char c = (unsigned char) *p;
    if (c == '/' || c == ':')
      used += (size_t) snprintf(out + used, size - used, "\\%03o", c);
    else
      out[used++] = c > 0x20 && c < 0x7f ? (char) c : '_';
  }
  out[used] = '\0';
}

static int
deliver_maildir(struct input *input, const char *dir, struct failure *failure)
{
  char host[128], name[256];
  char *tmp_dir = path_join(dir, "tmp"), *new_dir = path_join(dir, "new");
  char *cur_dir = path_join(dir, "cur"), *tmp_path = NULL, *new_path = NULL;
  int result = -1;

  if (!tmp_dir || !new_dir || !cur_dir) {
    failure_set(failure, FAILURE_MEMORY, "out of memory delivering to %s", dir);
    goto done;
  }
  if (make_directory(dir, dir, failure) < 0 || make_directory(tmp_dir, dir, failure) < 0
      || make_directory(new_dir, dir, failure) < 0
      || make_directory(cur_dir, dir, failure) < 0)
    goto done;
  maildir_host(host, sizeof host);
  for (unsigned tries = 0;; tries++) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(name, sizeof name, "%lld.M%ldP%ldR%llx.%s", (long long) ts.tv_sec,
             ts.tv_nsec / 1000, (long) getpid(), random_number() & 0xffffffULL, host);
    free(tmp_path);
    free(new_path);
    tmp_path = path_join(tmp_dir, name);
    new_path = path_join(new_dir, name);
    if (!tmp_path || !new_path) {
      failure_set(failure, FAILURE_MEMORY, "out of memory delivering to %s", dir);
      goto done;
    }
    errno = 0;
    if (write_new_file(tmp_path, input, dir, failure) < 0) {
      if (errno == EEXIST && tries < CAP_UNIQUE_NAME_TRIES)
        continue;
      if (errno)
        failure_set(failure, FAILURE_IO, "cannot create %s: %s", tmp_path,
                    strerror(errno));
      goto done;
    }
    /* link, not rename: rename would replace a file of the same name. */
    if (link(tmp_path, new_path) == 0)
      break;
    int error = errno;
    if (error == EPERM || error == EOPNOTSUPP || error == ENOSYS) {
      struct stat info;           /* no hard links here: rename, unless taken */
      if (lstat(new_path, &info) < 0 && errno == ENOENT
          && rename(tmp_path, new_path) == 0)
        break;
      error = errno == ENOENT ? error : errno;
    }
    unlink(tmp_path);
    if (error != EEXIST || tries >= CAP_UNIQUE_NAME_TRIES) {
      failure_set(failure, FAILURE_IO, "cannot move the message into %s: %s",
                  new_dir, strerror(error));
      goto done;
    }
  }
  unlink(tmp_path);
  if (sync_directory(new_dir) < 0) {
    failure_set(failure, FAILURE_IO, "cannot sync %s: %s", new_dir, strerror(errno));
    unlink(new_path);             /* not durable: the MTA delivers it again */
    goto done;
  }
  result = 0;
done:
  free(tmp_dir);
  free(new_dir);
  free(cur_dir);
  free(tmp_path);
  free(new_path);
  return result;
}

/* The highest message number in an MH folder (names of 1 to 9 digits). */
static unsigned long
mh_highest(const char *dir)
{
  unsigned long highest = 0;
  DIR *folder = opendir(dir);
  struct dirent *entry;
  if (!folder)
    return 0;
  while ((entry = readdir(folder)) != NULL) {
    size_t length = strspn(entry->d_name, "0123456789");
    if (length == 0 || length > 9 || entry->d_name[length] != '\0')
      continue;
    unsigned long number = strtoul(entry->d_name, NULL, 10);
    if (number > highest)
      highest = number;
  }
  closedir(folder);
  return highest;
}

static int
deliver_mh(struct input *input, const char *dir, struct failure *failure)
{
  char name[64];
  char *temporary = NULL, *numbered = NULL;
  int result = -1;

  if (make_directory(dir, dir, failure) < 0)
    return -1;
  for (unsigned tries = 0;; tries++) {
    snprintf(name, sizeof name, ".bsf-deliver.%ld.%llx", (long) getpid(),
             random_number() & 0xffffffffULL);
    free(temporary);
    temporary = path_join(dir, name);
    if (!temporary) {
      failure_set(failure, FAILURE_MEMORY, "out of memory delivering to %s", dir);
      goto done;
    }
    errno = 0;
    if (write_new_file(temporary, input, dir, failure) == 0)
      break;
    if (errno == EEXIST && tries < CAP_UNIQUE_NAME_TRIES)
      continue;
    if (errno)
      failure_set(failure, FAILURE_IO, "cannot create %s: %s", temporary,
                  strerror(errno));
    free(temporary);
    return -1;
  }
  /* The next free number: link(2) fails on a name another delivery took. */
  unsigned long number = mh_highest(dir) + 1;
  for (unsigned tries = 0;; tries++, number++) {
    snprintf(name, sizeof name, "%lu", number);
    free(numbered);
    numbered = path_join(dir, name);
    if (!numbered) {
      failure_set(failure, FAILURE_MEMORY, "out of memory delivering to %s", dir);
      goto done;
    }
    if (link(temporary, numbered) == 0)
      break;
    if (errno != EEXIST || tries >= CAP_UNIQUE_NAME_TRIES) {
      failure_set(failure, FAILURE_IO, "cannot add message %s to %s: %s", name, dir,
                  strerror(errno));
      goto done;
    }
  }
  if (sync_directory(dir) < 0) {
    failure_set(failure, FAILURE_IO, "cannot sync %s: %s", dir, strerror(errno));
    unlink(numbered);
    goto done;
  }
  result = 0;
done:
  unlink(temporary);
  free(temporary);
  free(numbered);
  return result;
}

/* ------------------------------------------------------------ routing */

enum mailbox_kind { MAILBOX_MBOX, MAILBOX_MAILDIR, MAILBOX_MH };

/* Which format `mailbox` names, and its path (into an allocation). */
static int
resolve_mailbox(const char *mailbox, enum mailbox_kind *kind, char **path,
                int *explicit_kind, struct failure *failure)
{
  static const struct { const char *scheme; enum mailbox_kind kind; } schemes[] = {
    { "mbox:", MAILBOX_MBOX }, { "maildir:", MAILBOX_MAILDIR }, { "mh:", MAILBOX_MH },
  };
  const char *rest = mailbox;
  size_t length;
  int trailing_slash;

  *explicit_kind = 0;
  for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
    size_t n = strlen(schemes[i].scheme);
    if (strncmp(mailbox, schemes[i].scheme, n) == 0) {
      *kind = schemes[i].kind;
      *explicit_kind = 1;
      rest = mailbox + n;
      if (strncmp(rest, "//", 2) == 0)
        rest += 2;                /* mbox:///var/mail/x, as Mailutils writes it */
      break;
    }
  }
  if (!*explicit_kind) {
    size_t scheme = strspn(mailbox, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789+.-");
    if (scheme > 0 && strncmp(mailbox + scheme, "://", 3) == 0)
      return failure_set(failure, FAILURE_CONFIG, "cannot deliver to %s: only local "
                         "mailboxes (a path, mbox:, maildir:, mh:)", mailbox);
  }
  length = strlen(rest);
  trailing_slash = length > 1 && rest[length - 1] == '/';
  while (length > 1 && rest[length - 1] == '/')
    length--;
  if (length == 0)
    return failure_set(failure, FAILURE_CONFIG, "cannot deliver to \"%s\": no path",
                       mailbox);
  *path = strndup(rest, length);
  if (!*path)
    return failure_set(failure, FAILURE_MEMORY, "out of memory");
  if (*explicit_kind)
    return 0;
  struct stat info;
  if (trailing_slash)
    *kind = MAILBOX_MAILDIR;      /* "DIR/", as in procmail and Exim */
  else if (stat(*path, &info) == 0 && S_ISDIR(info.st_mode)) {
    *kind = MAILBOX_MH;
    static const char *const maildir_parts[] = { "tmp", "new", "cur" };
    for (size_t i = 0; i < 3; i++) {
      char *part = path_join(*path, maildir_parts[i]);
      struct stat sub;
      if (part && stat(part, &sub) == 0 && S_ISDIR(sub.st_mode))
        *kind = MAILBOX_MAILDIR;
      free(part);
    }
  } else
    *kind = MAILBOX_MBOX;
  return 0;
}

int
deliver_to_mailbox(struct input *input, const char *mailbox, const char *sender,
                   struct failure *failure)
{
  enum mailbox_kind kind;
  char *path = NULL;
  int explicit_kind, rc;

  if (input->partial)
    return failure_set(failure, FAILURE_INPUT, "only part of the message was kept: "
                       "not delivering it to %s", mailbox);
  if (resolve_mailbox(mailbox, &kind, &path, &explicit_kind, failure) < 0)
    return -1;
  make_parents(path);
  switch (kind) {
  case MAILBOX_MAILDIR: rc = deliver_maildir(input, path, failure); break;
  case MAILBOX_MH: rc = deliver_mh(input, path, failure); break;
  default: rc = deliver_mbox(input, path, sender, failure); break;
  }
  free(path);
  return rc;
}
