/* SPDX-License-Identifier: GPL-3.0-or-later */
/* store.c: the sent store, what the user really sent: the public
 * functions of store.h, which check their arguments and dispatch to a
 * backend (store-backend.h), and the GDBM backend, the embedded default.
 * The Redis backend is store-redis.c.
 *
 * GDBM backend:
 *
 * Every process opens the store, does one or a few lookups or records, and
 * closes it, so opening is kept to a handful of system calls: stat the
 * directory, open and flock PATH.lock, open and fstat the GDBM file.
 *
 * Locking: GDBM's own lock never waits, so we flock() a separate PATH.lock
 * (shared for STORE_READ, exclusive for STORE_WRITE), polling with jittered
 * 1-10 ms sleeps up to the caller's bound, and open GDBM with GDBM_NOLOCK.
 * The lock file is never renamed, so expire and gdbm_recover() (which
 * rename a new file over the old one) cannot leave anyone holding a lock on
 * a dead inode.
 *
 * Safety: like ssh and procmail we refuse a store (or its directory) that
 * is not owned by us or is writable by group or others: whoever can write
 * it can make bounces look genuine. GDBM is opened with a NULL fatal
 * function, so its errors come back as codes and never exit the process.
 *
 * Limits: keys longer than "m:" plus CAP_ID_BYTES (or "r:" plus
 * CAP_ADDRESS_BYTES) are never stored, so looking one up answers "not
 * found" and recording one fails with FAILURE_LIMIT. Iteration (expire,
 * stats, dump) walks our own file, not untrusted input, keeping at most
 * WALK_CACHE_BUCKETS buckets in memory whatever the size of the store.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gdbm.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "store.h"
#include "store-backend.h"
#include "util.h"

#define KEY_MSGID_PREFIX     STORE_KEY_MSGID_PREFIX
#define KEY_RECIPIENT_PREFIX STORE_KEY_RECIPIENT_PREFIX
#define KEY_SINCE            STORE_KEY_SINCE
#define KEY_LAST             STORE_KEY_LAST
#define KEY_PREFIX_BYTES     STORE_KEY_PREFIX_BYTES
/* Longest value we accept: a 64-bit decimal number. */
#define VALUE_MAX_BYTES      20
#define LOCK_SUFFIX          ".lock"
#define LOCK_SLEEP_MIN_MS    1
#define LOCK_SLEEP_MAX_MS    10

enum entry_type { ENTRY_MSGID, ENTRY_RECIPIENT, ENTRY_SINCE, ENTRY_LAST,
                  ENTRY_OTHER };

/* ---- small helpers ---------------------------------------------------- */

/* Only files this program made are ever removed beside the store: a
 * user's own sent.db.backup or sent.db.241130 is not ours to delete. */
#define EXPIRE_COPY_INFIX ".bsf-expire."   /* expire's copy: PATH.bsf-expire.XXXXXX */

/* A regular file (not a link) owned by us: something we may have made. */
static bool
own_regular_file(const char *path)
{
  struct stat info;
  return lstat(path, &info) == 0 && S_ISREG(info.st_mode)
         && info.st_uid == geteuid();
}

/* Expire's copies left by a crash (PATH.bsf-expire.XXXXXX: the name is
 * ours alone). We hold the exclusive lock, so no one else is writing one. */
static void
remove_expire_copies(const char *path)
{
  char pattern[PATH_MAX];
  glob_t copies;
  if (snprintf(pattern, sizeof pattern, "%s" EXPIRE_COPY_INFIX "??????", path)
      >= (int) sizeof pattern)
    return;
  if (glob(pattern, GLOB_NOSORT, NULL, &copies) != 0)
    return;
  for (size_t i = 0; i < copies.gl_pathc; i++)
    if (own_regular_file(copies.gl_pathv[i]))
      unlink(copies.gl_pathv[i]);
  globfree(&copies);
}

/* GDBM 1.23's gdbm_recover() builds its copy in PATH.XXXXXX, a name we
 * cannot choose and a user's backup may have too, and leaves it behind
 * when it fails (say the disk is still full). So the names of that shape
 * are listed before it runs, and after a failure only a file that appeared
 * meanwhile is removed: we hold the exclusive lock, so it is GDBM's. */
static int
list_recovery_names(const char *path, glob_t *names)
{
  char pattern[PATH_MAX];
  memset(names, 0, sizeof *names);
  if (snprintf(pattern, sizeof pattern, "%s.??????", path) >= (int) sizeof pattern)
    return -1;
  int result = glob(pattern, GLOB_NOSORT, NULL, names);
  return result == 0 || result == GLOB_NOMATCH ? 0 : -1;
}

static void
remove_new_recovery_copies(const char *path, const glob_t *before)
{
  glob_t now;
  if (list_recovery_names(path, &now) != 0) {
    globfree(&now);
    return;
  }
  for (size_t i = 0; i < now.gl_pathc; i++) {
    bool seen = false;
    for (size_t j = 0; j < before->gl_pathc && !seen; j++)
      seen = strcmp(now.gl_pathv[i], before->gl_pathv[j]) == 0;
    if (!seen && own_regular_file(now.gl_pathv[i]))
      unlink(now.gl_pathv[i]);
  }
  globfree(&now);
}

/* gdbm_store(), repairing the store once when a write failed half way.
 * A write cut short (disk full, a file size limit) leaves GDBM's buckets
 * and directory out of step: every later lookup then fails ("Unexpected
 * end of file") until someone runs `gdbmtool recover`. A writer holds the
 * exclusive lock, so the next one to meet the damage rebuilds the store
 * with gdbm_recover() (a copy from every readable bucket, renamed into
 * place; the lock file is untouched) and retries once. If the repair fails
 * too, REPAIR_FAILED. Readers never repair: they judge without it. */
#define REPAIR_FAILED (-2)   /* errno says why; GDBM's error is cleared */

static int
store_repairing(struct sent_store *store, datum key, datum value, int flag)
{
  int result = gdbm_store(store->db, key, value, flag);
  /* Not when this very write failed: the disk is still full, and a failed
   * gdbm_recover() leaves its half-written copy behind. The next writer
   * finds the damage as a read error and repairs it then. */
  if (result < 0 && gdbm_needs_recovery(store->db)
      && gdbm_last_errno(store->db) != GDBM_FILE_WRITE_ERROR) {
    gdbm_recovery recovery;
    glob_t before;
    int listed = list_recovery_names(store->path, &before);
    memset(&recovery, 0, sizeof recovery);
    if (gdbm_recover(store->db, &recovery, GDBM_RCVR_FORCE) == 0) {
      result = gdbm_store(store->db, key, value, flag);
    } else {
      int error = errno;
      if (listed == 0)
        remove_new_recovery_copies(store->path, &before);
      errno = error;
      result = REPAIR_FAILED;
    }
    globfree(&before);
  }
  return result;
}

static int
store_gdbm_failure(struct sent_store *store, struct failure *failure,
                   const char *doing)
{
  return failure_set(failure, FAILURE_STORE, "store %s: %s: %s", store->path,
                     doing, gdbm_db_strerror(store->db));
}

static long long
elapsed_ms(const struct timespec *start)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long) (now.tv_sec - start->tv_sec) * 1000
         + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Parse a stored value: ASCII decimal digits only, no sign, no NUL. */
static bool
parse_time_value(const char *bytes, int size, time_t *when)
{
  if (!bytes || size <= 0 || size > VALUE_MAX_BYTES)
    return false;
  uint64_t value = 0;
  for (int i = 0; i < size; i++) {
    if (bytes[i] < '0' || bytes[i] > '9')
      return false;
    uint64_t digit = (uint64_t) (bytes[i] - '0');
    if (value > (UINT64_MAX - digit) / 10)
      return false;
    value = value * 10 + digit;
  }
  if (value > (uint64_t) INT64_MAX)
    return false;
  *when = (time_t) value;
  return true;
}

bool
store_parse_time(const char *bytes, size_t size, time_t *when)
{
  return size <= VALUE_MAX_BYTES && parse_time_value(bytes, (int) size, when);
}

static enum entry_type
entry_type_of_bytes(const char *key, size_t size)
{
  if (size == strlen(KEY_SINCE) && memcmp(key, KEY_SINCE, size) == 0)
    return ENTRY_SINCE;
  if (size == strlen(KEY_LAST) && memcmp(key, KEY_LAST, size) == 0)
    return ENTRY_LAST;
  if (size > KEY_PREFIX_BYTES
      && memcmp(key, KEY_MSGID_PREFIX, KEY_PREFIX_BYTES) == 0)
    return ENTRY_MSGID;
  if (size > KEY_PREFIX_BYTES
      && memcmp(key, KEY_RECIPIENT_PREFIX, KEY_PREFIX_BYTES) == 0)
    return ENTRY_RECIPIENT;
  return ENTRY_OTHER;
}

static enum entry_type
entry_type_of(datum key)
{
  return entry_type_of_bytes(key.dptr, key.dsize > 0 ? (size_t) key.dsize : 0);
}

/* Build "PREFIXname" into buffer (which holds STORE_KEY_MAX_BYTES).
 * Addresses are lower-cased (ASCII) so that lookups match records
 * whatever case the caller used. Returns the key size, 0 for
 * an empty name, -1 for a name over the cap. */
static int
build_key(char *buffer, const char *prefix, const char *name, size_t cap,
          bool lower_case)
{
  size_t length = name ? strnlen(name, cap + 1) : 0;
  if (length == 0)
    return 0;
  if (length > cap)
    return -1;
  memcpy(buffer, prefix, KEY_PREFIX_BYTES);
  for (size_t i = 0; i < length; i++) {
    unsigned char c = (unsigned char) name[i];
    buffer[KEY_PREFIX_BYTES + i] = lower_case && c < 0x80 ? (char) tolower(c)
                                                          : (char) c;
  }
  return (int) (KEY_PREFIX_BYTES + length);
}

/* ---- opening ---------------------------------------------------------- */

/* Like ssh: the store must be ours and not writable by anyone else. */
static int
check_ownership(const struct stat *info, const char *what, const char *path,
                struct failure *failure)
{
  if (info->st_uid != geteuid())
    return failure_set(failure, FAILURE_STORE,
                       "store %s %s is owned by uid %lu, not by us (uid %lu); "
                       "refusing it", what, path, (unsigned long) info->st_uid,
                       (unsigned long) geteuid());
  if (info->st_mode & (S_IWGRP | S_IWOTH))
    return failure_set(failure, FAILURE_STORE,
                       "store %s %s is writable by group or others "
                       "(mode %04o); refusing it (chmod go-w)", what, path,
                       (unsigned) (info->st_mode & 07777));
  return 0;
}

/* mkdir -p: every missing directory of the chain is created with mode
 * 0700, as the XDG base directory rules ask for ~/.local/state (missing on
 * a fresh account); existing ones are left as they are. Nothing is created
 * inside a directory owned by another user than us or root
 * (may_create_in()): root with a user's HOME must not leave a root-owned
 * ~/.local there. 0, or -1 with *failure set. */
static int
make_directories(const char *directory, struct failure *failure)
{
  char *prefix = strdup(directory);
  int result = 0;
  if (!prefix)
    return failure_set(failure, FAILURE_MEMORY, "store directory %s: out of "
                       "memory", directory);
  size_t length = strlen(prefix);
  for (size_t end = 1; end <= length && result == 0; end++) {
    if (end < length && prefix[end] != '/')
      continue;
    char kept = prefix[end];
    prefix[end] = '\0';
    struct stat info;
    if (stat(prefix, &info) != 0) {
      /* Missing: its parent (the prefix so far) exists, or we made it. */
      char *slash = strrchr(prefix, '/');
      const char *parent = !slash ? "." : slash == prefix ? "/" : prefix;
      uid_t owner = 0;
      if (slash && slash != prefix)
        *slash = '\0';
      int allowed = may_create_in(parent, &owner);
      if (slash && slash != prefix)
        *slash = '/';
      if (allowed == 0)
        result = failure_set(failure, FAILURE_STORE, "refusing to create "
                             "store directory %s: its parent is owned by uid "
                             "%lu, neither us (uid %lu) nor root (run as "
                             "that user, or give --store)", prefix,
                             (unsigned long) owner, (unsigned long) geteuid());
      else if (mkdir(prefix, 0700) != 0 && errno != EEXIST)
        result = failure_set(failure, FAILURE_STORE, "cannot create store "
                             "directory %s: %s", prefix, strerror(errno));
    }
    prefix[end] = kept;
  }
  free(prefix);
  return result;
}

/* Check the directory holding the store; in STORE_WRITE create it (and
 * any missing parent, mode 0700) when missing. */
static int
prepare_directory(const char *path, enum store_mode mode,
                  struct failure *failure)
{
  const char *slash = strrchr(path, '/');
  char *directory;
  if (!slash)
    directory = strdup(".");
  else if (slash == path)
    directory = strdup("/");
  else
    directory = strndup(path, (size_t) (slash - path));
  if (!directory)
    return failure_set(failure, FAILURE_MEMORY, "store %s: out of memory",
                       path);

  int result = 0;
  struct stat info;
  if (stat(directory, &info) != 0) {
    if (errno == ENOENT && mode == STORE_READ)
      result = failure_set(failure, FAILURE_MISSING,
                           "store %s does not exist (no directory %s)", path,
                           directory);
    else if (errno != ENOENT)
      result = failure_set(failure, FAILURE_STORE, "store directory %s: %s",
                           directory, strerror(errno));
    else if (make_directories(directory, failure) != 0)
      result = -1;
    else if (stat(directory, &info) != 0)
      result = failure_set(failure, FAILURE_STORE, "store directory %s: %s",
                           directory, strerror(errno));
  }
  if (result == 0 && !S_ISDIR(info.st_mode))
    result = failure_set(failure, FAILURE_STORE,
                         "store directory %s is not a directory", directory);
  if (result == 0)
    result = check_ownership(&info, "directory", directory, failure);
  free(directory);
  return result;
}

/* Open PATH.lock. Writers create it. Readers create it when they can; in a
 * directory they cannot write they go on without it, which is safe: no
 * writer can run there either, since a writer must create the lock file.
 * Returns 0 with *lock_fd set (maybe -1), or -1. */
static int
open_lock_file(const char *path, enum store_mode mode, int *lock_fd,
               struct failure *failure)
{
  size_t length = strlen(path);
  char *lock_path = malloc(length + sizeof LOCK_SUFFIX);
  if (!lock_path)
    return failure_set(failure, FAILURE_MEMORY, "store %s: out of memory",
                       path);
  memcpy(lock_path, path, length);
  memcpy(lock_path + length, LOCK_SUFFIX, sizeof LOCK_SUFFIX);

  int result = 0;
  int flags = O_CLOEXEC | O_NOFOLLOW;
  if (mode == STORE_WRITE) {
    *lock_fd = open(lock_path, flags | O_RDWR | O_CREAT, 0600);
    if (*lock_fd < 0)
      result = failure_set(failure, FAILURE_STORE,
                           "cannot open lock file %s: %s", lock_path,
                           strerror(errno));
  } else {
    *lock_fd = open(lock_path, flags | O_RDONLY);
    if (*lock_fd < 0 && errno == ENOENT) {
      /* Do not leave a lock file behind for a store that is not there. */
      if (access(path, F_OK) != 0 && errno == ENOENT)
        result = failure_set(failure, FAILURE_MISSING,
                             "store %s does not exist", path);
      else {
        *lock_fd = open(lock_path, flags | O_RDONLY | O_CREAT, 0600);
        if (*lock_fd < 0 && (errno == EACCES || errno == EROFS))
          errno = 0;       /* read-only directory: go on unlocked */
      }
    }
    if (result == 0 && *lock_fd < 0 && errno != 0)
      result = failure_set(failure, FAILURE_STORE,
                           "cannot open lock file %s: %s", lock_path,
                           strerror(errno));
  }
  free(lock_path);
  return result;
}

/* Take the flock, retrying with jittered sleeps until lock_wait_ms. */
static int
take_lock(int lock_fd, const char *path, enum store_mode mode,
          long lock_wait_ms, struct failure *failure)
{
  int operation = (mode == STORE_WRITE ? LOCK_EX : LOCK_SH) | LOCK_NB;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  unsigned seed = 0;     /* set on the first retry: most opens never wait */

  for (;;) {
    if (flock(lock_fd, operation) == 0)
      return 0;
    if (errno != EWOULDBLOCK && errno != EINTR)
      return failure_set(failure, FAILURE_STORE, "cannot lock %s.lock: %s",
                         path, strerror(errno));
    long long waited = elapsed_ms(&start);
    if (waited >= lock_wait_ms)
      return failure_set(failure, FAILURE_LOCKED,
                         "store %s is locked by another process "
                         "(gave up after %lld ms)", path, waited);
    if (seed == 0)
      seed = ((unsigned) getpid() ^ (unsigned) start.tv_nsec) | 1u;
    long jitter_range = LOCK_SLEEP_MAX_MS - LOCK_SLEEP_MIN_MS + 1;
    long sleep_ms = LOCK_SLEEP_MIN_MS + rand_r(&seed) % jitter_range;
    if (sleep_ms > lock_wait_ms - waited)
      sleep_ms = (long) (lock_wait_ms - waited);
    struct timespec pause = { 0, sleep_ms * 1000000L };
    nanosleep(&pause, NULL);
  }
}

/* Room before writing: GDBM cannot undo a write cut short by a full disk
 * or a file size limit, and a bucket split cut half way loses the entries
 * already in that bucket. So a writer first reserves room for the most one
 * session can add (CAP_RECORD_RECIPIENTS keys, splits, a doubled
 * directory) beyond the end of the file, without changing its size, and
 * records nothing when there is none. Where fallocate() is not supported
 * the reservation is skipped. */
#define STORE_WRITE_RESERVE_BYTES (1024L * 1024)

static int
reserve_room(int fd, const struct stat *info, const char *path,
             struct failure *failure)
{
  off_t reserve = STORE_WRITE_RESERVE_BYTES + info->st_size / 4;
  struct rlimit limit;
  if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
      && (rlim_t) (info->st_size + reserve) > limit.rlim_cur)
    return failure_set(failure, FAILURE_STORE, "store %s: the file size limit "
                       "(%llu bytes) leaves no room to record safely", path,
                       (unsigned long long) limit.rlim_cur);
  if (fallocate(fd, FALLOC_FL_KEEP_SIZE, info->st_size, reserve) != 0
      && errno != EOPNOTSUPP && errno != ENOSYS && errno != EINTR)
    return failure_set(failure, FAILURE_STORE, "store %s: no room to record "
                       "safely: %s", path, strerror(errno));
  return 0;
}

/* Open the GDBM file through our own descriptor, so that the ownership and
 * mode checks apply to exactly the file GDBM reads (and O_NOFOLLOW refuses
 * a symlink planted in its place). */
static int
open_database(struct sent_store *store, struct failure *failure)
{
  int flags = O_CLOEXEC | O_NOFOLLOW
              | (store->mode == STORE_WRITE ? O_RDWR | O_CREAT : O_RDONLY);
  int fd = open(store->path, flags, 0600);
  if (fd < 0) {
    if (errno == ENOENT)
      return failure_set(failure, store->mode == STORE_READ ? FAILURE_MISSING
                                                            : FAILURE_STORE,
                         "store %s does not exist", store->path);
    return failure_set(failure, FAILURE_STORE, "cannot open store %s: %s",
                       store->path, strerror(errno));
  }
  struct stat info;
  if (fstat(fd, &info) != 0) {
    int error = errno;
    close(fd);
    return failure_set(failure, FAILURE_STORE, "store %s: %s", store->path,
                       strerror(error));
  }
  if (!S_ISREG(info.st_mode)) {
    close(fd);
    return failure_set(failure, FAILURE_STORE,
                       "store %s is not a regular file", store->path);
  }
  if (check_ownership(&info, "file", store->path, failure) != 0) {
    close(fd);
    return -1;
  }

  if (store->mode == STORE_WRITE && reserve_room(fd, &info, store->path, failure) != 0) {
    if (info.st_size == 0)      /* we just created it: leave nothing behind */
      unlink(store->path);
    close(fd);
    return -1;
  }

  /* NULL fatal function: GDBM reports fatal errors as GDBM_NEED_RECOVERY
   * instead of calling exit(). GDBM_CLOERROR closes fd on failure.
   * GDBM_NOMMAP: mapping and unmapping the whole file costs more than the
   * few block reads one lookup needs (figures in bench/ANALYSIS.md). */
  int gdbm_flags = GDBM_NOMMAP | GDBM_NOLOCK | GDBM_CLOEXEC | GDBM_CLOERROR
                   | (store->mode == STORE_WRITE ? GDBM_WRCREAT : GDBM_READER);
  store->db = gdbm_fd_open(fd, store->path, 0, gdbm_flags, NULL);
  if (!store->db) {
    int error = gdbm_errno;
    int system_error = errno;
    /* A new store whose first blocks could not be written (disk full, a
     * file size limit) would stay a malformed file that every later open
     * refuses. It is empty and ours (exclusive lock): remove it. */
    if (store->mode == STORE_WRITE && info.st_size == 0)
      unlink(store->path);
    if (gdbm_check_syserr(error))
      return failure_set(failure, FAILURE_STORE, "store %s: %s: %s",
                         store->path, gdbm_strerror(error),
                         strerror(system_error));
    return failure_set(failure, FAILURE_STORE, "store %s: %s", store->path,
                       gdbm_strerror(error));
  }
  return 0;
}

static const struct store_ops gdbm_backend_ops;

/* store->path and mode are set; on failure the caller closes. */
/* While expire copies the store it holds only a shared lock, so that
 * checks go on reading; writers must keep out, since what they wrote into
 * the old file would be lost with it. Expire says it is running by holding
 * an exclusive flock on PATH.expiring; a writer that finds it held fails at
 * once with FAILURE_LOCKED (record then puts its entry in the journal,
 * import waits), before and after taking the store's lock. A marker left
 * by a crash is not locked, so it stops no one. */
#define EXPIRE_MARK_SUFFIX ".expiring"

static bool
expire_running(const char *path)
{
  char marker[PATH_MAX];
  if (snprintf(marker, sizeof marker, "%s" EXPIRE_MARK_SUFFIX, path)
      >= (int) sizeof marker)
    return false;
  int fd = open(marker, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return false;
  bool running = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd);
  return running;
}

static int
refuse_during_expire(const char *path, struct failure *failure)
{
  return failure_set(failure, FAILURE_LOCKED, "store %s is being rewritten "
                     "by expire", path);
}

static int
gdbm_backend_open(struct sent_store *opened, long lock_wait_ms,
                  struct failure *failure)
{
  const char *path = opened->path;
  enum store_mode mode = opened->mode;
  opened->ops = &gdbm_backend_ops;
  if (mode == STORE_WRITE && expire_running(path))
    return refuse_during_expire(path, failure);
  if (prepare_directory(path, mode, failure) != 0
      || open_lock_file(path, mode, &opened->lock_fd, failure) != 0
      || (opened->lock_fd >= 0
          && take_lock(opened->lock_fd, path, mode, lock_wait_ms, failure) != 0))
    return -1;
  if (mode == STORE_WRITE && expire_running(path))
    return refuse_during_expire(path, failure);
  return open_database(opened, failure);
}

static void
gdbm_backend_close(struct sent_store *closing)
{
  if (closing->db)
    gdbm_close(closing->db);    /* syncs a writer's changes first */
  if (closing->lock_fd >= 0)
    close(closing->lock_fd);    /* releases the flock */
}

/* ---- lookups and records ---------------------------------------------- */

/* Fetch a time value: 1 found, 0 not found, -1 error. */
static int
fetch_time(struct sent_store *store, datum key, time_t *when,
           struct failure *failure)
{
  datum value = gdbm_fetch(store->db, key);
  if (!value.dptr) {
    if (gdbm_last_errno(store->db) == GDBM_ITEM_NOT_FOUND)
      return 0;
    return store_gdbm_failure(store, failure, "lookup");
  }
  time_t parsed;
  bool valid = parse_time_value(value.dptr, value.dsize, &parsed);
  free(value.dptr);
  if (!valid)
    return failure_set(failure, FAILURE_STORE,
                       "store %s: bad time value for key %.*s "
                       "(expire removes such entries)", store->path,
                       key.dsize > 64 ? 64 : key.dsize, key.dptr);
  if (when)
    *when = parsed;
  return 1;
}

int
store_query_key(const struct store_query *query, char *buffer)
{
  int size;
  switch (query->entry) {
  case STORE_ENTRY_MSGID:
    size = build_key(buffer, KEY_MSGID_PREFIX, query->name, CAP_ID_BYTES,
                     false);
    break;
  case STORE_ENTRY_RECIPIENT:
    size = build_key(buffer, KEY_RECIPIENT_PREFIX, query->name,
                     CAP_ADDRESS_BYTES, true);
    break;
  case STORE_ENTRY_SINCE:
    size = (int) strlen(KEY_SINCE);
    memcpy(buffer, KEY_SINCE, (size_t) size);
    break;
  case STORE_ENTRY_LAST:
    size = (int) strlen(KEY_LAST);
    memcpy(buffer, KEY_LAST, (size_t) size);
    break;
  default:
    size = 0;
  }
  return size < 0 ? 0 : size;   /* empty or over the cap: never recorded */
}

/* GDBM answers one key at a time: no round trips to save. */
static int
gdbm_backend_find_all(struct sent_store *store, struct store_query *queries,
                      size_t count, struct failure *failure)
{
  char buffer[STORE_KEY_MAX_BYTES];
  for (size_t i = 0; i < count; i++) {
    queries[i].found = 0;
    int size = store_query_key(&queries[i], buffer);
    if (size == 0)
      continue;
    datum key = { buffer, size };
    int found = fetch_time(store, key, &queries[i].when, failure);
    if (found < 0)
      return -1;
    queries[i].found = found;
  }
  return 0;
}

static int
gdbm_backend_add(struct sent_store *store, const char *key_bytes, int size,
                 time_t when, struct failure *failure)
{
  char text[VALUE_MAX_BYTES + 1];
  int text_size = snprintf(text, sizeof text, "%lld", (long long) when);
  datum key = { (char *) key_bytes, size };
  datum value = { text, text_size };
  int stored = store_repairing(store, key, value, GDBM_REPLACE);
  if (stored == REPAIR_FAILED)
    return failure_set(failure, FAILURE_STORE, "store %s: damaged by an "
                       "earlier failed write, and the repair failed: %s",
                       store->path, strerror(errno));
  if (stored != 0)
    return store_gdbm_failure(store, failure, "record");

  /* GDBM_INSERT leaves an existing "!since" alone (returns 1). */
  datum since_key = { (char *) KEY_SINCE, (int) strlen(KEY_SINCE) };
  if (store_repairing(store, since_key, value, GDBM_INSERT) < 0)
    return store_gdbm_failure(store, failure, "record start time");
  return 0;
}

static int
gdbm_backend_set_mark(struct sent_store *store, const char *key_bytes, int size,
                      time_t when, struct failure *failure)
{
  char text[VALUE_MAX_BYTES + 1];
  datum key = { (char *) key_bytes, size };
  datum value = { text, snprintf(text, sizeof text, "%lld", (long long) when) };
  if (store_repairing(store, key, value, GDBM_REPLACE) != 0)
    return store_gdbm_failure(store, failure, "record a time");
  return 0;
}

static int
gdbm_backend_sync(struct sent_store *store, struct failure *failure)
{
  if (gdbm_sync(store->db) != 0)
    return store_gdbm_failure(store, failure, "sync");
  return 0;
}

/* ---- walking the whole store ------------------------------------------ */

/* Called for each entry; a non-zero return stops the walk with that value.
 * The key and value belong to the walker: copy them to keep them. */
typedef int entry_visitor(struct sent_store *store, const datum *key,
                          const datum *value, enum entry_type type,
                          bool time_valid, time_t when, void *data,
                          struct failure *failure);

/* Buckets GDBM keeps in memory during a walk (and in expire's copy). By
 * default GDBM 1.23 grows its cache to every bucket it has read, so a walk
 * over a 1M-entry store held 40 MB; a walk visits each bucket once, and
 * the copy is written in hash order, so a few hundred are enough. */
#define WALK_CACHE_BUCKETS 256

static void
bound_cache(GDBM_FILE db)
{
  size_t buckets = WALK_CACHE_BUCKETS;
  int automatic = 0;
  /* Failure leaves the default, which only costs memory. */
  gdbm_setopt(db, GDBM_SETCACHEAUTO, &automatic, sizeof automatic);
  gdbm_setopt(db, GDBM_SETCACHESIZE, &buckets, sizeof buckets);
}

static int
walk_entries(struct sent_store *store, entry_visitor *visit, void *data,
             struct failure *failure)
{
  bound_cache(store->db);
  datum key = gdbm_firstkey(store->db);
  while (key.dptr) {
    enum entry_type type = entry_type_of(key);
    time_t when = 0;
    bool valid = false;
    datum value = gdbm_fetch(store->db, key);
    if (!value.dptr) {
      free(key.dptr);
      return store_gdbm_failure(store, failure, "read entry");
    }
    valid = parse_time_value(value.dptr, value.dsize, &when);
    int stop = visit(store, &key, &value, type, valid, when, data, failure);
    free(value.dptr);
    if (stop != 0) {
      free(key.dptr);
      return stop;
    }
    datum next = gdbm_nextkey(store->db, key);
    free(key.dptr);
    key = next;
  }
  if (gdbm_last_errno(store->db) != GDBM_ITEM_NOT_FOUND)
    return store_gdbm_failure(store, failure, "walk entries");
  return 0;
}

/* Expire copies the entries it keeps into a new GDBM file beside the store
 * (PATH.bsf-expire.XXXXXX, 0600) and renames it over the store, as gdbm_reorganize()
 * would after deleting, but in memory that does not grow with the store:
 * collecting the expired keys before deleting them (GDBM cannot delete
 * while iterating) measured 96 MB RSS on a 1M-entry store, and
 * gdbm_reorganize() maps the new file and caches its every bucket (36 MB).
 * Both files keep at most WALK_CACHE_BUCKETS buckets in memory. A first
 * walk stops at the first expired entry, so a store with nothing to expire
 * is not rewritten. A copy that fails (disk full) is removed and the store
 * is left as it was. The rename is safe because our lock lives on
 * PATH.lock; a copy left by a crash is removed by the next expire (we hold
 * the exclusive lock, so no one else is writing it). */

static bool
entry_expired(enum entry_type type, bool time_valid, time_t when, time_t cutoff)
{
  if (type == ENTRY_SINCE || type == ENTRY_LAST || type == ENTRY_OTHER)
    return false;
  return !time_valid || when < cutoff;
}

static int
find_expired(struct sent_store *store, const datum *key, const datum *value,
             enum entry_type type, bool time_valid, time_t when, void *data,
             struct failure *failure)
{
  (void) store, (void) key, (void) value, (void) failure;
  const time_t *cutoff = data;
  return entry_expired(type, time_valid, when, *cutoff) ? 1 : 0;
}

struct expire_copy {
  time_t cutoff;
  GDBM_FILE copy;
  size_t dropped;
};

static int
copy_kept(struct sent_store *store, const datum *key, const datum *value,
          enum entry_type type, bool time_valid, time_t when, void *data,
          struct failure *failure)
{
  struct expire_copy *expire = data;
  if (entry_expired(type, time_valid, when, expire->cutoff)) {
    expire->dropped++;
    return 0;
  }
  if (gdbm_store(expire->copy, *key, *value, GDBM_REPLACE) != 0)
    return failure_set(failure, FAILURE_STORE, "store %s: expire: writing "
                       "the copy: %s", store->path,
                       gdbm_db_strerror(expire->copy));
  return 0;
}

/* Open a new, empty GDBM file beside the store: its name in *copy_path
 * (to free), or -1. */
static int
create_copy(struct sent_store *store, GDBM_FILE *copy, char **copy_path,
            struct failure *failure)
{
  if (asprintf(copy_path, "%s" EXPIRE_COPY_INFIX "XXXXXX", store->path) < 0) {
    *copy_path = NULL;
    return failure_set(failure, FAILURE_MEMORY, "store %s: out of memory",
                       store->path);
  }
  int fd = mkostemp(*copy_path, O_CLOEXEC);      /* 0600 */
  if (fd < 0)
    return failure_set(failure, FAILURE_STORE, "store %s: expire: cannot "
                       "create %s: %s", store->path, *copy_path,
                       strerror(errno));
  *copy = gdbm_fd_open(fd, *copy_path, 0,
                       GDBM_NEWDB | GDBM_NOLOCK | GDBM_NOMMAP | GDBM_CLOEXEC
                       | GDBM_CLOERROR, NULL);
  if (!*copy) {
    int error = gdbm_errno;
    unlink(*copy_path);
    return failure_set(failure, FAILURE_STORE, "store %s: expire: cannot "
                       "create %s: %s", store->path, *copy_path,
                       gdbm_strerror(error));
  }
  bound_cache(*copy);
  return 0;
}

/* Expire's lock dance: mark the store as being rewritten (writers keep
 * out, see expire_running()), write out what this handle recorded, and let
 * readers in (shared lock) for the long walk and copy; take the exclusive
 * lock again (readers hold it briefly) only to rename the copy. */
#define EXPIRE_RELOCK_WAIT_MS 60000L

static int
expire_begin(struct sent_store *store, int *marker, struct failure *failure)
{
  char *marker_path = NULL;
  *marker = -1;
  if (asprintf(&marker_path, "%s" EXPIRE_MARK_SUFFIX, store->path) < 0)
    return failure_set(failure, FAILURE_MEMORY, "store %s: out of memory",
                       store->path);
  *marker = open(marker_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  int result = 0;
  if (*marker < 0 || flock(*marker, LOCK_EX | LOCK_NB) != 0)
    result = failure_set(failure, FAILURE_STORE, "store %s: expire: %s: %s",
                         store->path, marker_path, strerror(errno));
  else if (gdbm_sync(store->db) != 0)
    result = store_gdbm_failure(store, failure, "sync");
  else if (flock(store->lock_fd, LOCK_SH) != 0)
    result = failure_set(failure, FAILURE_STORE, "store %s: expire: cannot "
                         "share the lock: %s", store->path, strerror(errno));
  free(marker_path);
  return result;
}

/* Take the exclusive lock back and drop the marker. */
static int
expire_end(struct sent_store *store, int marker, struct failure *failure)
{
  int result = 0;
  if (store->lock_fd >= 0)
    result = take_lock(store->lock_fd, store->path, STORE_WRITE,
                       EXPIRE_RELOCK_WAIT_MS, failure);
  if (marker >= 0) {
    char *marker_path = NULL;
    if (asprintf(&marker_path, "%s" EXPIRE_MARK_SUFFIX, store->path) >= 0) {
      unlink(marker_path);
      free(marker_path);
    }
    close(marker);
  }
  return result;
}

static int
gdbm_backend_expire(struct sent_store *store, time_t cutoff, size_t *removed,
                    struct failure *failure)
{
  remove_expire_copies(store->path);

  int marker;
  if (expire_begin(store, &marker, failure) != 0) {
    expire_end(store, marker, NULL);
    return -1;
  }
  int found = walk_entries(store, find_expired, &cutoff, failure);
  if (found <= 0) {
    int ended = expire_end(store, marker, failure);
    return found < 0 ? found : ended;
  }

  struct expire_copy expire = { .cutoff = cutoff };
  char *copy_path = NULL;
  int result = create_copy(store, &expire.copy, &copy_path, failure);
  if (result == 0)
    result = walk_entries(store, copy_kept, &expire, failure);
  if (result == 0 && gdbm_sync(expire.copy) != 0)
    result = failure_set(failure, FAILURE_STORE, "store %s: expire: writing "
                         "the copy: %s", store->path,
                         gdbm_db_strerror(expire.copy));
  /* The exclusive lock again: no reader is mid-lookup in the old file. */
  if (result == 0 && store->lock_fd >= 0
      && take_lock(store->lock_fd, store->path, STORE_WRITE,
                   EXPIRE_RELOCK_WAIT_MS, failure) != 0)
    result = -1;
  if (result == 0 && rename(copy_path, store->path) != 0)
    result = failure_set(failure, FAILURE_STORE, "store %s: expire: cannot "
                         "rename %s over it: %s", store->path, copy_path,
                         strerror(errno));
  if (result == 0) {
    gdbm_close(store->db);          /* unchanged: nothing to write */
    store->db = expire.copy;
    if (removed)
      *removed = expire.dropped;
  } else if (expire.copy) {
    gdbm_close(expire.copy);
    unlink(copy_path);
  }
  free(copy_path);
  if (expire_end(store, marker, result == 0 ? failure : NULL) != 0)
    result = -1;
  return result;
}

int
store_count_entry(struct sent_store *store, struct store_stats *stats,
                  const char *key, size_t size, bool time_valid, time_t when,
                  struct failure *failure)
{
  enum entry_type type = entry_type_of_bytes(key, size);
  if (type == ENTRY_OTHER)
    return 0;
  if (!time_valid)
    return failure_set(failure, FAILURE_STORE,
                       "store %s: bad time value for key %.*s "
                       "(expire removes such entries)", store->path,
                       size > 64 ? 64 : (int) size, key);
  if (type == ENTRY_SINCE) {
    stats->since = when;
    return 0;
  }
  if (type == ENTRY_LAST) {
    stats->last_recorded = when;
    return 0;
  }
  if (type == ENTRY_MSGID)
    stats->msgids++;
  else
    stats->recipients++;
  if (stats->msgids + stats->recipients == 1 || when < stats->oldest)
    stats->oldest = when;
  if (stats->msgids + stats->recipients == 1 || when > stats->newest)
    stats->newest = when;
  return 0;
}

static int
count_entry(struct sent_store *store, const datum *key, const datum *value,
            enum entry_type type, bool time_valid, time_t when, void *data,
            struct failure *failure)
{
  (void) value, (void) type;
  return store_count_entry(store, data, key->dptr, (size_t) key->dsize,
                           time_valid, when, failure);
}

static int
gdbm_backend_stats(struct sent_store *store, struct store_stats *stats,
                   struct failure *failure)
{
  if (walk_entries(store, count_entry, stats, failure) != 0)
    return -1;
  struct stat info;
  if (fstat(gdbm_fdesc(store->db), &info) != 0)
    return failure_set(failure, FAILURE_STORE, "store %s: %s", store->path,
                       strerror(errno));
  stats->file_bytes = (long long) info.st_size;
  return 0;
}

/* Print a key's name so that one entry stays one line of plain text:
 * bytes outside printable ASCII, spaces and backslashes become \xHH. */
static void
print_name(FILE *out, const char *bytes, int size)
{
  for (int i = 0; i < size; i++) {
    unsigned char c = (unsigned char) bytes[i];
    if (c > 0x20 && c < 0x7f && c != '\\')
      putc(c, out);
    else
      fprintf(out, "\\x%02x", c);
  }
}

int
store_dump_line(FILE *out, const char *key, size_t size, bool time_valid,
                time_t when)
{
  enum entry_type type = entry_type_of_bytes(key, size);
  char stamp[ISO_TIME_BYTES] = "invalid-time";
  if (time_valid)
    iso_time(when, stamp);

  static const char *const type_names[] = {
    [ENTRY_MSGID] = "msgid", [ENTRY_RECIPIENT] = "recipient",
    [ENTRY_SINCE] = "since", [ENTRY_LAST] = "last-recorded",
    [ENTRY_OTHER] = "other",
  };
  fprintf(out, "%s %s", stamp, type_names[type]);
  if (type == ENTRY_MSGID || type == ENTRY_RECIPIENT) {
    putc(' ', out);
    print_name(out, key + KEY_PREFIX_BYTES, (int) (size - KEY_PREFIX_BYTES));
  } else if (type == ENTRY_OTHER) {
    putc(' ', out);
    print_name(out, key, (int) size);
  }
  putc('\n', out);
  return ferror(out) ? -1 : 0;
}

static int
dump_entry(struct sent_store *store, const datum *key, const datum *value,
           enum entry_type type, bool time_valid, time_t when, void *data,
           struct failure *failure)
{
  (void) value, (void) type;
  if (store_dump_line(data, key->dptr, (size_t) key->dsize, time_valid,
                      when) != 0)
    return failure_set(failure, FAILURE_IO, "store %s: dump: write error",
                       store->path);
  return 0;
}

static int
gdbm_backend_dump(struct sent_store *store, FILE *out, struct failure *failure)
{
  return walk_entries(store, dump_entry, out, failure);
}

static const struct store_ops gdbm_backend_ops = {
  .name = "gdbm",
  .expires_itself = false,
  .close = gdbm_backend_close,
  .find_all = gdbm_backend_find_all,
  .add = gdbm_backend_add,
  .set_mark = gdbm_backend_set_mark,
  .sync = gdbm_backend_sync,
  .expire = gdbm_backend_expire,
  .stats = gdbm_backend_stats,
  .dump = gdbm_backend_dump,
};

/* ---- the public interface: checks, then the backend ------------------- */

#define DEFAULT_LOCK_WAIT_MS 5000

int
sent_store_open_with(struct sent_store **store, const char *path,
                     enum store_mode mode, const struct store_options *options,
                     struct failure *failure)
{
  *store = NULL;
  if (!path || !*path)
    return failure_set(failure, FAILURE_STORE, "store path is empty");
  if (mode != STORE_READ && mode != STORE_WRITE)
    return failure_set(failure, FAILURE_STORE, "store %s: bad open mode",
                       path);
  bool redis = store_path_is_redis(path);
#ifndef HAVE_REDIS
  if (redis)
    return failure_set(failure, FAILURE_CONFIG, "the store is a Redis URL, "
                       "but this backscatter-filter was built without Redis "
                       "support (configure --with-redis, needs hiredis)");
#endif

  struct sent_store *opened = calloc(1, sizeof *opened);
  /* A Redis URL may hold a password: the backend sets the name shown. */
  if (!opened || (!redis && !(opened->path = strdup(path)))) {
    free(opened);
    return failure_set(failure, FAILURE_MEMORY, "store: out of memory");
  }
  opened->mode = mode;
  opened->lock_fd = -1;

  int result;
#ifdef HAVE_REDIS
  if (redis)
    result = redis_store_open(opened, path, options, failure);
  else
#endif
    result = gdbm_backend_open(opened,
                               options ? options->lock_wait_ms
                                       : DEFAULT_LOCK_WAIT_MS,
                               failure);
  if (result != 0) {
    sent_store_close(&opened);
    return -1;
  }
  *store = opened;
  return 0;
}

int
sent_store_open(struct sent_store **store, const char *path,
                enum store_mode mode, long lock_wait_ms,
                struct failure *failure)
{
  struct store_options options = { .lock_wait_ms = lock_wait_ms };
  return sent_store_open_with(store, path, mode, &options, failure);
}

void
sent_store_close(struct sent_store **store)
{
  if (!store || !*store)
    return;
  struct sent_store *closing = *store;
  if (closing->ops)
    closing->ops->close(closing);
  free(closing->path);
  free(closing);
  *store = NULL;
}

int
sent_store_prepare_directory(const char *file, struct failure *failure)
{
  if (!file || !*file)
    return failure_set(failure, FAILURE_STORE, "no file name");
  return prepare_directory(file, STORE_WRITE, failure);
}

const char *
sent_store_backends(void)
{
#ifdef HAVE_REDIS
  return "gdbm redis";
#else
  return "gdbm";
#endif
}

const char *
sent_store_backend(const struct sent_store *store)
{
  return store && store->ops ? store->ops->name : "none";
}

const char *
sent_store_name(const struct sent_store *store)
{
  return store && store->path ? store->path : "(none)";
}

int
sent_store_expires_itself(const struct sent_store *store)
{
  return store && store->ops && store->ops->expires_itself;
}

int
sent_store_find_all(struct sent_store *store, struct store_query *queries,
                    size_t count, struct failure *failure)
{
  if (!store)
    return failure_set(failure, FAILURE_STORE, "store is not open");
  return store->ops->find_all(store, queries, count, failure);
}

static int
find_one(struct sent_store *store, enum store_entry entry, const char *name,
         time_t *when, struct failure *failure)
{
  struct store_query query = { .entry = entry, .name = name };
  if (sent_store_find_all(store, &query, 1, failure) != 0)
    return -1;
  if (query.found && when)
    *when = query.when;
  return query.found;
}

int
sent_store_find_msgid(struct sent_store *store, const char *msgid,
                      time_t *when, struct failure *failure)
{
  return find_one(store, STORE_ENTRY_MSGID, msgid, when, failure);
}

int
sent_store_find_recipient(struct sent_store *store, const char *address,
                          time_t *when, struct failure *failure)
{
  return find_one(store, STORE_ENTRY_RECIPIENT, address, when, failure);
}

int
sent_store_since(struct sent_store *store, time_t *since,
                 struct failure *failure)
{
  return find_one(store, STORE_ENTRY_SINCE, NULL, since, failure);
}

static int
require_writer(struct sent_store *store, struct failure *failure)
{
  if (!store)
    return failure_set(failure, FAILURE_STORE, "store is not open");
  if (store->mode != STORE_WRITE)
    return failure_set(failure, FAILURE_STORE,
                       "store %s was opened read-only", store->path);
  return 0;
}

int
sent_store_last_recorded(struct sent_store *store, time_t *when,
                         struct failure *failure)
{
  return find_one(store, STORE_ENTRY_LAST, NULL, when, failure);
}

static int
set_mark(struct sent_store *store, const char *mark, time_t when,
         struct failure *failure)
{
  if (require_writer(store, failure) != 0)
    return -1;
  if (when < 0)
    return failure_set(failure, FAILURE_STORE, "store %s: negative time %lld",
                       store->path, (long long) when);
  return store->ops->set_mark(store, mark, (int) strlen(mark), when, failure);
}

int
sent_store_set_since(struct sent_store *store, time_t since,
                     struct failure *failure)
{
  return set_mark(store, KEY_SINCE, since, failure);
}

int
sent_store_mark_recorded(struct sent_store *store, time_t when,
                         struct failure *failure)
{
  return set_mark(store, KEY_LAST, when, failure);
}

int
sent_store_sync(struct sent_store *store, struct failure *failure)
{
  if (require_writer(store, failure) != 0)
    return -1;
  return store->ops->sync ? store->ops->sync(store, failure) : 0;
}

static int
add_name(struct sent_store *store, enum store_entry entry, const char *name,
         time_t when, struct failure *failure)
{
  if (require_writer(store, failure) != 0)
    return -1;
  if (when < 0)
    return failure_set(failure, FAILURE_STORE,
                       "store %s: negative time %lld", store->path,
                       (long long) when);
  size_t cap = entry == STORE_ENTRY_MSGID ? CAP_ID_BYTES : CAP_ADDRESS_BYTES;
  char buffer[STORE_KEY_MAX_BYTES];
  int size = build_key(buffer, entry == STORE_ENTRY_MSGID ? KEY_MSGID_PREFIX
                                                          : KEY_RECIPIENT_PREFIX,
                       name, cap, entry == STORE_ENTRY_RECIPIENT);
  if (size == 0)
    return failure_set(failure, FAILURE_INPUT,
                       "store %s: empty name not recorded", store->path);
  if (size < 0)
    return failure_set(failure, FAILURE_LIMIT,
                       "store %s: name longer than %zu bytes not recorded",
                       store->path, cap);
  return store->ops->add(store, buffer, size, when, failure);
}

int
sent_store_add_msgid(struct sent_store *store, const char *msgid,
                     time_t when, struct failure *failure)
{
  return add_name(store, STORE_ENTRY_MSGID, msgid, when, failure);
}

int
sent_store_add_recipient(struct sent_store *store, const char *address,
                         time_t when, struct failure *failure)
{
  return add_name(store, STORE_ENTRY_RECIPIENT, address, when, failure);
}

int
sent_store_expire(struct sent_store *store, time_t cutoff, size_t *removed,
                  struct failure *failure)
{
  if (removed)
    *removed = 0;
  if (require_writer(store, failure) != 0)
    return -1;
  return store->ops->expire(store, cutoff, removed, failure);
}

int
sent_store_stats(struct sent_store *store, struct store_stats *stats,
                 struct failure *failure)
{
  memset(stats, 0, sizeof *stats);
  if (!store)
    return failure_set(failure, FAILURE_STORE, "store is not open");
  return store->ops->stats(store, stats, failure);
}

int
sent_store_dump(struct sent_store *store, FILE *out, struct failure *failure)
{
  if (!store)
    return failure_set(failure, FAILURE_STORE, "store is not open");
  /* The output check is the seam's, whatever the backend walked. */
  if (store->ops->dump(store, out, failure) != 0)
    return -1;
  if (fflush(out) != 0 || ferror(out))
    return failure_set(failure, FAILURE_IO, "store %s: dump: write error",
                       store->path);
  return 0;
}
