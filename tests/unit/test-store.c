/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-store.c: unit tests for the sent store (filter/store.c).
 *
 * Everything happens in a fresh mkdtemp() directory under $TMPDIR (or /tmp)
 * that is removed at the end. Concurrency is tested with forked children
 * that each open, record and close, as the filter does per message; a
 * child reports through its exit status. The "not owned by us" refusal
 * cannot be tested without root and is not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <gdbm.h>
#include <glob.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "failure.h"
#include "store.h"
#include "../tap.h"

#define NO_WAIT_MS      0
#define SHORT_WAIT_MS   200
#define LONG_WAIT_MS    10000

static char base_dir[1024];

/* ---- helpers ----------------------------------------------------------- */

static const char *
in_base(char *buffer, size_t size, const char *name)
{
  snprintf(buffer, size, "%s/%s", base_dir, name);
  return buffer;
}

static long long
now_ms(void)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int
file_mode(const char *path)
{
  struct stat info;
  return stat(path, &info) == 0 ? (int) (info.st_mode & 07777) : -1;
}

static bool
exists(const char *path)
{
  struct stat info;
  return lstat(path, &info) == 0;
}

static int
remove_entry(const char *path, const struct stat *info, int flag,
             struct FTW *walk)
{
  (void) info; (void) walk;
  return flag == FTW_DP || flag == FTW_D ? rmdir(path) : unlink(path);
}

static int
make_dir_writable(const char *path, const struct stat *info, int flag,
                  struct FTW *walk)
{
  (void) walk;
  if (flag == FTW_D)
    chmod(path, (info->st_mode & 07777) | 0700);
  return 0;
}

static void
remove_tree(const char *path)
{
  nftw(path, make_dir_writable, 16, FTW_PHYS);
  nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

enum kind { MSGID, RECIPIENT };

struct entry {
  enum kind kind;
  const char *name;
  time_t when;
};

static int
add_entry(struct sent_store *store, const struct entry *entry,
          struct failure *failure)
{
  return entry->kind == MSGID
         ? sent_store_add_msgid(store, entry->name, entry->when, failure)
         : sent_store_add_recipient(store, entry->name, entry->when, failure);
}

static int
find_entry(struct sent_store *store, enum kind kind, const char *name,
           time_t *when, struct failure *failure)
{
  return kind == MSGID
         ? sent_store_find_msgid(store, name, when, failure)
         : sent_store_find_recipient(store, name, when, failure);
}

/* Create (or extend) a store with the given entries; 0 or -1. */
static int
make_store(const char *path, const struct entry *entries, size_t count)
{
  struct failure failure = { 0 };
  struct sent_store *store = NULL;
  if (sent_store_open(&store, path, STORE_WRITE, LONG_WAIT_MS, &failure) != 0) {
    printf("# make_store %s: %s\n", path, failure.message);
    return -1;
  }
  int result = 0;
  for (size_t i = 0; i < count && result == 0; i++)
    result = add_entry(store, &entries[i], &failure);
  if (result != 0)
    printf("# make_store %s: %s\n", path, failure.message);
  sent_store_close(&store);
  return result;
}

/* Flush first, or the child's exit would print our buffered TAP again. */
static pid_t
fork_child(void)
{
  fflush(stdout);
  fflush(stderr);
  return fork();
}

static int
wait_child(pid_t pid)
{
  int status;
  if (waitpid(pid, &status, 0) != pid)
    return -1;
  if (WIFSIGNALED(status))
    return 1000 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

/* ---- creation and permissions ------------------------------------------ */

static void
test_create(void)
{
  char path[2100], dir[2048], lock[2200];
  in_base(dir, sizeof dir, "state");
  in_base(path, sizeof path, "state/sent.db");
  snprintf(lock, sizeof lock, "%s.lock", path);

  struct failure failure = { 0 };
  struct sent_store *store = NULL;
  TAP_INT(sent_store_open(&store, path, STORE_WRITE, NO_WAIT_MS, &failure), 0,
          "write open creates a store in a missing directory");
  TAP_OK(store != NULL, "open sets the handle");
  TAP_INT(file_mode(dir), 0700, "directory created 0700");
  TAP_INT(file_mode(path), 0600, "store file created 0600");
  TAP_INT(file_mode(lock), 0600, "lock file created 0600");
  time_t since = -1;
  TAP_INT(sent_store_since(store, &since, &failure), 0,
          "a new store has no start time");
  sent_store_close(&store);
  TAP_OK(store == NULL, "close clears the handle");
  sent_store_close(&store);
  sent_store_close(NULL);
  TAP_OK(1, "close is safe on NULL");

  /* Missing parents too (a fresh account has no ~/.local/state): each
   * created 0700. Regression: the README's demo failed on a fresh machine. */
  in_base(path, sizeof path, "no/such/sent.db");
  failure = (struct failure) { 0 };
  TAP_INT(sent_store_open(&store, path, STORE_WRITE, NO_WAIT_MS, &failure), 0,
          "write open creates two missing directory levels: %.300s", failure.message);
  sent_store_close(&store);
  in_base(dir, sizeof dir, "no");
  TAP_INT(file_mode(dir), 0700, "... the outer one 0700");
  in_base(dir, sizeof dir, "no/such");
  TAP_INT(file_mode(dir), 0700, "... the inner one 0700");

  /* A file where a directory should be: refused, nothing created. */
  in_base(path, sizeof path, "state/sent.db/inside/sent.db");
  failure = (struct failure) { 0 };
  TAP_INT(sent_store_open(&store, path, STORE_WRITE, NO_WAIT_MS, &failure), -1,
          "write open under a file fails");
  TAP_INT(failure.class, FAILURE_STORE, "... as a store failure");
  TAP_OK(strstr(failure.message, "store directory") != NULL,
         "... saying so: %.300s", failure.message);
  TAP_OK(store == NULL, "... and leaves the handle NULL");

  /* Root with a user's HOME (issue 10.8): nothing is created inside a
   * directory owned by another user (here uid 65534), so no root-owned
   * ~/.local is left in their home. */
  if (geteuid() == 0) {
    in_base(dir, sizeof dir, "alice");
    mkdir(dir, 0755);
    if (chown(dir, 65534, 65534) == 0) {
      in_base(path, sizeof path, "alice/.local/state/backscatter-filter/sent.db");
      failure = (struct failure) { 0 };
      TAP_INT(sent_store_open(&store, path, STORE_WRITE, NO_WAIT_MS, &failure), -1,
              "write open under another user's directory fails");
      TAP_OK(strstr(failure.message, "refusing to create") != NULL
             && strstr(failure.message, "owned by uid 65534") != NULL,
             "... saying so: %.300s", failure.message);
      in_base(dir, sizeof dir, "alice/.local");
      TAP_OK(!exists(dir), "... and creates nothing there");
    } else {
      TAP_OK(0, "chown to 65534: %s", strerror(errno));
    }
  } else {
    printf("ok %d - another user's directory # SKIP needs root to give it away\n",
           ++tap_count);
  }
}

static void
test_missing_store(void)
{
  static const char *const names[] = { "absent.db", "absent-dir/sent.db" };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char path[2100], lock[2200];
    in_base(path, sizeof path, names[i]);
    snprintf(lock, sizeof lock, "%s.lock", path);
    struct failure failure = { 0 };
    struct sent_store *store = NULL;
    TAP_INT(sent_store_open(&store, path, STORE_READ, NO_WAIT_MS, &failure),
            -1, "read open of missing %s fails", names[i]);
    TAP_INT(failure.class, FAILURE_MISSING, "... as a missing store (not trouble)");
    TAP_OK(strstr(failure.message, "does not exist") != NULL
           && strstr(failure.message, path) != NULL,
           "... naming the path: %.300s", failure.message);
    TAP_OK(!exists(lock), "... and leaves no lock file behind");
  }
}

static const struct entry seed_entries[] = {
  { MSGID, "seed@example.org", 1000 },
};

struct permission_case {
  const char *what;
  int file_mode;
  int dir_mode;
  bool symlink;
  bool accepted;
  const char *named;        /* which path the refusal names */
};

static void
test_permissions(void)
{
  static const struct permission_case cases[] = {
    { "0600 file in 0700 dir", 0600, 0700, false, true, NULL },
    { "group-readable 0640 file", 0640, 0750, false, true, NULL },
    { "group-writable file", 0620, 0700, false, false, "sent.db" },
    { "world-writable file", 0602, 0700, false, false, "sent.db" },
    { "group-writable directory", 0600, 0770, false, false, "perm" },
    { "world-writable directory", 0600, 0707, false, false, "perm" },
    { "symlink in place of the store", 0600, 0700, true, false, "sent.db" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct permission_case *c = &cases[i];
    char dir[2048], path[2100], real[2100];
    snprintf(dir, sizeof dir, "%s/perm%zu", base_dir, i);
    snprintf(path, sizeof path, "%s/sent.db", dir);
    snprintf(real, sizeof real, "%s/real.db", dir);
    if (make_store(c->symlink ? real : path, seed_entries, 1) != 0
        || (c->symlink && symlink(real, path) != 0)) {
      TAP_OK(0, "%s: set up", c->what);
      continue;
    }
    chmod(c->symlink ? real : path, (mode_t) c->file_mode);
    chmod(dir, (mode_t) c->dir_mode);
    static const enum store_mode modes[] = { STORE_READ, STORE_WRITE };
    for (size_t m = 0; m < 2; m++) {
      struct failure failure = { 0 };
      struct sent_store *store = NULL;
      int result = sent_store_open(&store, path, modes[m], NO_WAIT_MS,
                                   &failure);
      const char *mode_name = modes[m] == STORE_READ ? "read" : "write";
      if (c->accepted) {
        TAP_INT(result, 0, "%s: %s open accepted", c->what, mode_name);
        TAP_INT(sent_store_find_msgid(store, "seed@example.org", NULL,
                                      &failure), 1, "... and readable");
      } else {
        TAP_INT(result, -1, "%s: %s open refused", c->what, mode_name);
        TAP_INT(failure.class, FAILURE_STORE, "... as a store failure");
        TAP_OK(strstr(failure.message, c->named) != NULL,
               "... naming the path: %.300s", failure.message);
      }
      sent_store_close(&store);
    }
    chmod(dir, 0700);
  }
}

/* A store owned by someone else is refused. Only root can give a file
 * away, so this runs only as root (the non-root run covers the rest). */
static void
test_foreign_owner(void)
{
  if (geteuid() != 0) {
    TAP_OK(1, "# SKIP foreign owner: needs root to chown");
    return;
  }
  static const uid_t stranger = 65534;
  static const struct { const char *what; bool chown_dir; } cases[] = {
    { "store file owned by another uid", false },
    { "store directory owned by another uid", true },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char dir[2048], path[2100];
    snprintf(dir, sizeof dir, "%s/foreign%zu", base_dir, i);
    snprintf(path, sizeof path, "%s/sent.db", dir);
    if (make_store(path, seed_entries, 1) != 0
        || chown(cases[i].chown_dir ? dir : path, stranger, (gid_t) -1) != 0) {
      TAP_OK(0, "%s: set up", cases[i].what);
      continue;
    }
    struct failure failure = { 0 };
    struct sent_store *store = NULL;
    TAP_INT(sent_store_open(&store, path, STORE_READ, NO_WAIT_MS, &failure),
            -1, "%s: refused", cases[i].what);
    TAP_OK(failure.class == FAILURE_STORE
           && strstr(failure.message, "owned by uid 65534"),
           "... as a store failure naming the owner: %.300s", failure.message);
    sent_store_close(&store);
  }
}

/* A reader in a directory it cannot write, with no lock file: goes on
 * without creating one (no writer can run there either). */
static void
test_read_only_directory(void)
{
  if (geteuid() == 0) {
    TAP_OK(1, "# SKIP read-only directory: root ignores permissions");
    return;
  }
  char dir[2048], path[2100], lock[2200];
  in_base(dir, sizeof dir, "readonly");
  snprintf(path, sizeof path, "%s/sent.db", dir);
  snprintf(lock, sizeof lock, "%s.lock", path);
  if (make_store(path, seed_entries, 1) != 0 || unlink(lock) != 0) {
    TAP_OK(0, "read-only directory: set up");
    return;
  }
  chmod(dir, 0500);
  struct failure failure = { 0 };
  struct sent_store *store = NULL;
  TAP_INT(sent_store_open(&store, path, STORE_READ, NO_WAIT_MS, &failure), 0,
          "read open in a read-only directory without lock file works");
  TAP_INT(sent_store_find_msgid(store, "seed@example.org", NULL, &failure), 1,
          "... and finds the entry");
  sent_store_close(&store);
  TAP_OK(!exists(lock), "... without creating a lock file");
  failure = (struct failure) { 0 };
  TAP_INT(sent_store_open(&store, path, STORE_WRITE, NO_WAIT_MS, &failure), -1,
          "write open in a read-only directory fails");
  TAP_INT(failure.class, FAILURE_STORE, "... as a store failure: %.300s",
          failure.message);
  chmod(dir, 0700);
}

/* ---- records and lookups ----------------------------------------------- */

struct lookup_case {
  enum kind kind;
  const char *name;
  int found;
  time_t when;
};

static void
test_add_find(void)
{
  static const struct entry records[] = {
    { MSGID, "abc.123@example.org", 1000 },
    { MSGID, "x.y@h", 2000 },
    { RECIPIENT, "Alice@Example.ORG", 3000 },
    { RECIPIENT, "bob@example.net", 4000 },
    { MSGID, "abc.123@example.org", 5000 },   /* replaces the time */
  };
  static char long_id[CAP_ID_BYTES + 2];
  memset(long_id, 'a', sizeof long_id - 1);
  static char max_id[CAP_ID_BYTES + 1];
  memset(max_id, 'b', sizeof max_id - 1);
  max_id[1] = '@';
  const struct lookup_case lookups[] = {
    { MSGID, "abc.123@example.org", 1, 5000 },
    { MSGID, "x.y@h", 1, 2000 },
    { MSGID, "ABC.123@example.org", 0, 0 },     /* Message-IDs keep case */
    { MSGID, "abc.123@example.or", 0, 0 },
    { MSGID, "bob@example.net", 0, 0 },         /* separate namespaces */
    { RECIPIENT, "abc.123@example.org", 0, 0 },
    { RECIPIENT, "alice@example.org", 1, 3000 },
    { RECIPIENT, "ALICE@EXAMPLE.ORG", 1, 3000 }, /* addresses fold case */
    { RECIPIENT, "bob@example.net", 1, 4000 },
    { RECIPIENT, "carol@example.net", 0, 0 },
    { MSGID, "", 0, 0 },
    { MSGID, NULL, 0, 0 },
    { MSGID, long_id, 0, 0 },
    { MSGID, max_id, 1, 6000 },
  };

  char path[2100];
  in_base(path, sizeof path, "records.db");
  if (make_store(path, records, sizeof records / sizeof records[0]) != 0) {
    TAP_OK(0, "records: set up");
    return;
  }
  struct entry max_entry = { MSGID, max_id, 6000 };
  TAP_INT(make_store(path, &max_entry, 1), 0,
          "a Message-ID of exactly CAP_ID_BYTES is recorded");

  static const enum store_mode modes[] = { STORE_WRITE, STORE_READ };
  for (size_t m = 0; m < 2; m++) {
    struct failure failure = { 0 };
    struct sent_store *store = NULL;
    const char *mode_name = modes[m] == STORE_READ ? "read" : "write";
    if (sent_store_open(&store, path, modes[m], NO_WAIT_MS, &failure) != 0) {
      TAP_OK(0, "records: %s open: %.300s", mode_name, failure.message);
      continue;
    }
    for (size_t i = 0; i < sizeof lookups / sizeof lookups[0]; i++) {
      const struct lookup_case *l = &lookups[i];
      time_t when = -1;
      int found = find_entry(store, l->kind, l->name, &when, &failure);
      TAP_INT(found, l->found, "%s mode: %s %.40s %s", mode_name,
              l->kind == MSGID ? "msgid" : "recipient",
              l->name ? l->name : "(null)", l->found ? "found" : "not found");
      if (l->found && found == 1)
        TAP_INT(when, l->when, "... recorded at %lld", (long long) l->when);
    }
    TAP_INT(find_entry(store, MSGID, "x.y@h", NULL, &failure), 1,
            "%s mode: lookup with a NULL time", mode_name);
    time_t since = 0;
    TAP_INT(sent_store_since(store, &since, &failure), 1,
            "%s mode: start time present", mode_name);
    TAP_INT(since, 1000, "... and it is the first record's time");
    sent_store_close(&store);
  }

  /* Refusals. */
  struct failure failure = { 0 };
  struct sent_store *store = NULL;
  if (sent_store_open(&store, path, STORE_READ, NO_WAIT_MS, &failure) == 0) {
    TAP_INT(sent_store_add_msgid(store, "new@x", 1, &failure), -1,
            "recording in a read-only store fails");
    TAP_INT(failure.class, FAILURE_STORE, "... as a store failure");
    size_t removed = 99;
    TAP_INT(sent_store_expire(store, 10, &removed, &failure), -1,
            "expiring a read-only store fails");
    TAP_INT(removed, 0, "... removing nothing");
    sent_store_close(&store);
  }
  if (sent_store_open(&store, path, STORE_WRITE, NO_WAIT_MS, &failure) == 0) {
    TAP_INT(sent_store_add_msgid(store, long_id, 1, &failure), -1,
            "recording a Message-ID over the cap fails");
    TAP_INT(failure.class, FAILURE_LIMIT, "... as a limit failure");
    TAP_INT(sent_store_add_recipient(store, "", 1, &failure), -1,
            "recording an empty address fails");
    TAP_INT(sent_store_add_msgid(store, "late@x", 9000, &failure), 0,
            "a later record works");
    time_t since = 0;
    sent_store_since(store, &since, &failure);
    TAP_INT(since, 1000, "... and does not move the start time");
    sent_store_close(&store);
  }
}

/* ---- broken files -------------------------------------------------------- */

static int
write_file(const char *path, const char *bytes, size_t size)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0)
    return -1;
  ssize_t written = write(fd, bytes, size);
  close(fd);
  return written == (ssize_t) size ? 0 : -1;
}

static void
test_garbage(void)
{
  static const struct { const char *name; const char *content; } files[] = {
    { "garbage.db", "This is not a GDBM file, just some text.\n"
                    "It is long enough to hold a GDBM header and more. "
                    "0123456789012345678901234567890123456789\n" },
    { "empty.db", "" },
  };
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char path[2100];
    in_base(path, sizeof path, files[i].name);
    size_t size = strlen(files[i].content);
    if (write_file(path, files[i].content, size) != 0) {
      TAP_OK(0, "%s: set up", files[i].name);
      continue;
    }
    struct failure failure = { 0 };
    struct sent_store *store = NULL;
    TAP_INT(sent_store_open(&store, path, STORE_READ, NO_WAIT_MS, &failure),
            -1, "%s: read open fails", files[i].name);
    TAP_INT(failure.class, FAILURE_STORE, "... as a store failure: %.300s",
            failure.message);
    sent_store_close(&store);
    if (size == 0)
      continue;     /* write mode rightly initialises an empty file */
    failure = (struct failure) { 0 };
    TAP_INT(sent_store_open(&store, path, STORE_WRITE, NO_WAIT_MS, &failure),
            -1, "%s: write open fails", files[i].name);
    TAP_INT(failure.class, FAILURE_STORE, "... as a store failure: %.300s",
            failure.message);
    TAP_OK(strstr(failure.message, gdbm_strerror(GDBM_BAD_MAGIC_NUMBER)),
           "... with GDBM's reason");
    sent_store_close(&store);
    char check[512] = "";
    int fd = open(path, O_RDONLY);
    ssize_t got = fd >= 0 ? read(fd, check, sizeof check - 1) : -1;
    if (fd >= 0)
      close(fd);
    TAP_OK(got == (ssize_t) size && memcmp(check, files[i].content, size) == 0,
           "... and leaves the file untouched");
  }
}

#define TRUNCATE_ENTRIES 2000

/* In a child: open a truncated store and look everything up.
 * Exit 0: open failed as a store failure; 1: all lookups answered;
 * 2: some lookups failed as store failures; 3: anything else. */
static int
probe_truncated(const char *path)
{
  struct failure failure = { 0 };
  struct sent_store *store = NULL;
  if (sent_store_open(&store, path, STORE_READ, NO_WAIT_MS, &failure) != 0) {
    printf("# %s\n", failure.message);
    fflush(stdout);
    return failure.class == FAILURE_STORE ? 0 : 3;
  }
  int outcome = 1;
  for (int i = 0; i < TRUNCATE_ENTRIES; i++) {
    char id[64];
    snprintf(id, sizeof id, "t%d@example.org", i);
    if (sent_store_find_msgid(store, id, NULL, &failure) < 0) {
      if (outcome == 1)
        printf("# %s: first failed lookup: %s\n", path, failure.message);
      outcome = failure.class == FAILURE_STORE ? 2 : 3;
    }
  }
  struct store_stats stats;
  if (sent_store_stats(store, &stats, &failure) < 0 && outcome == 1)
    outcome = failure.class == FAILURE_STORE ? 2 : 3;
  sent_store_close(&store);
  fflush(stdout);
  return outcome;
}

static void
test_truncated(void)
{
  char full[2100];
  in_base(full, sizeof full, "full.db");
  struct failure failure = { 0 };
  struct sent_store *store = NULL;
  if (sent_store_open(&store, full, STORE_WRITE, NO_WAIT_MS, &failure) != 0) {
    TAP_OK(0, "truncated: set up");
    return;
  }
  for (int i = 0; i < TRUNCATE_ENTRIES; i++) {
    char id[64];
    snprintf(id, sizeof id, "t%d@example.org", i);
    sent_store_add_msgid(store, id, 1000 + i, &failure);
  }
  sent_store_close(&store);

  struct stat info;
  if (stat(full, &info) != 0) {
    TAP_OK(0, "truncated: stat");
    return;
  }
  off_t sizes[] = { 0, 100, 512, 4096, info.st_size / 2, info.st_size - 1 };
  static const char *const outcomes[] = {
    "open refused", "all lookups answered", "lookups failed cleanly",
  };
  char *bytes = malloc((size_t) info.st_size);
  int fd = open(full, O_RDONLY);
  if (!bytes || fd < 0 || read(fd, bytes, (size_t) info.st_size)
                          != (ssize_t) info.st_size) {
    TAP_OK(0, "truncated: read copy");
    free(bytes);
    if (fd >= 0)
      close(fd);
    return;
  }
  close(fd);
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    char path[2100];
    snprintf(path, sizeof path, "%s/cut%zu.db", base_dir, i);
    write_file(path, bytes, (size_t) sizes[i]);
    pid_t pid = fork_child();
    if (pid == 0) {
      free(bytes);
      _exit(probe_truncated(path));
    }
    int outcome = wait_child(pid);
    TAP_OK(outcome >= 0 && outcome <= 2,
           "store cut to %lld of %lld bytes: no crash (%s)",
           (long long) sizes[i], (long long) info.st_size,
           outcome >= 0 && outcome <= 2 ? outcomes[outcome] : "bad outcome");
    if (sizes[i] < 512)     /* no room even for a GDBM header */
      TAP_INT(outcome, 0, "... and the open is refused");
  }
  free(bytes);
}

/* Disk full while recording (RLIMIT_FSIZE in a child, SIGXFSZ ignored as
 * main.c does): the writer refuses up front or the failed write is
 * reported, nothing recorded before is lost, and the next writer with room
 * records. A new store whose
 * very first blocks could not be written is removed, not left malformed. */
static int
fill_until_failure(const char *path, rlim_t limit, int first)
{
  struct rlimit rlimit = { limit, limit };
  struct failure failure = { 0 };
  struct sent_store *store = NULL;
  signal(SIGXFSZ, SIG_IGN);
  if (setrlimit(RLIMIT_FSIZE, &rlimit) != 0)
    return 3;
  if (sent_store_open(&store, path, STORE_WRITE, LONG_WAIT_MS, &failure) != 0)
    return 2;
  for (int i = first; i < first + 20000; i++) {
    char id[64];
    snprintf(id, sizeof id, "r%dx@example.net", i);
    if (sent_store_add_msgid(store, id, 1000 + i, &failure) != 0) {
      sent_store_close(&store);
      return 1;
    }
  }
  sent_store_close(&store);
  return 0;
}

static void
test_disk_full(void)
{
  char path[2100];
  struct failure failure = { 0 };
  struct sent_store *store = NULL;
  time_t when = 0;
  static const struct entry before[] = {
    { MSGID, "before-full@example.org", 4242 },
    { RECIPIENT, "friend@example.net", 4243 },
  };

  in_base(path, sizeof path, "fresh-full.db");
  pid_t pid = fork_child();
  if (pid == 0)
    _exit(fill_until_failure(path, 4096, 0));
  TAP_INT(wait_child(pid), 2, "disk full creating a store: open fails cleanly");
  TAP_OK(!exists(path), "... and leaves no malformed store behind");

  /* Where a write is cut depends on the key set and the limit: try a few
   * limits, each on its own store. */
  static const rlim_t limits[] = { 24 * 1024, 32 * 1024, 40 * 1024, 48 * 1024, 56 * 1024 };
  int all_found = 1, all_failed = 1, all_recorded = 1, backups_kept = 1;
  for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
    snprintf(path, sizeof path, "%s/full%zu.db", base_dir, l);
    if (make_store(path, before, 2) != 0) {
      TAP_OK(0, "disk full: set up");
      return;
    }
    /* A user's backup beside the store, named as GDBM names its copies. */
    char backup[2200];
    snprintf(backup, sizeof backup, "%s.backup", path);
    FILE *backup_file = fopen(backup, "w");
    if (backup_file)
      fclose(backup_file);
    for (int round = 0; round < 2; round++) {
      pid = fork_child();
      if (pid == 0)
        _exit(fill_until_failure(path, limits[l], round * 20000));
      int outcome = wait_child(pid);
      if (outcome != 1 && outcome != 2)   /* refused up front, or the write failed */
        all_failed = 0;
    }
    if (make_store(path, (const struct entry[]) {
                     { MSGID, "after-full@example.org", 5000 } }, 1) != 0)
      all_recorded = 0;
    if (!exists(backup))
      backups_kept = 0;
    unlink(backup);
    if (sent_store_open(&store, path, STORE_READ, LONG_WAIT_MS, &failure) != 0) {
      printf("# reopen %s: %s\n", path, failure.message);
      all_found = 0;
      continue;
    }
    int before_id = sent_store_find_msgid(store, "before-full@example.org", &when, &failure);
    time_t before_when = when;
    int before_recipient = sent_store_find_recipient(store, "friend@example.net", &when,
                                                     &failure);
    int after_id = sent_store_find_msgid(store, "after-full@example.org", &when, &failure);
    if (before_id != 1 || before_when != 4242 || before_recipient != 1 || after_id != 1) {
      printf("# %s: found before ID %d, before recipient %d, after ID %d\n", path,
             before_id, before_recipient, after_id);
      all_found = 0;
    }
    sent_store_close(&store);
  }
  TAP_OK(all_failed, "disk full while recording: refused or failed, no signal");
  TAP_OK(all_recorded, "with room again, the next writer records (repairing the store)");
  TAP_OK(all_found, "entries from before the disk filled and after the repair are found");
  TAP_OK(backups_kept, "a user's STORE.backup survives the failed and the good repairs");
  char pattern[2200];
  glob_t copies;
  snprintf(pattern, sizeof pattern, "%s/full?.db.??????", base_dir);
  TAP_INT(glob(pattern, 0, NULL, &copies), GLOB_NOMATCH, "no recovery copy left behind");
  globfree(&copies);
}

/* A value that is not a decimal time: lookups report the store broken,
 * expire removes it. Written with GDBM directly, as nothing else can. */
static void
test_bad_value(void)
{
  char path[2100];
  in_base(path, sizeof path, "badvalue.db");
  const struct entry good = { MSGID, "good@x", 5000 };
  if (make_store(path, &good, 1) != 0) {
    TAP_OK(0, "bad value: set up");
    return;
  }
  GDBM_FILE db = gdbm_open(path, 0, GDBM_WRITER, 0600, NULL);
  datum key = { "m:bad@x", 7 }, value = { "12x", 3 };
  TAP_OK(db && gdbm_store(db, key, value, GDBM_REPLACE) == 0,
         "bad value: planted");
  if (db)
    gdbm_close(db);

  struct failure failure = { 0 };
  struct sent_store *store = NULL;
  if (sent_store_open(&store, path, STORE_WRITE, NO_WAIT_MS, &failure) != 0) {
    TAP_OK(0, "bad value: open: %.300s", failure.message);
    return;
  }
  TAP_INT(sent_store_find_msgid(store, "bad@x", NULL, &failure), -1,
          "a bad value is reported on lookup");
  TAP_INT(failure.class, FAILURE_STORE, "... as a store failure: %.300s",
          failure.message);
  size_t removed = 0;
  TAP_INT(sent_store_expire(store, 10, &removed, &failure), 0,
          "expire with an early cutoff");
  TAP_INT(removed, 1, "... removes just the bad entry");
  TAP_INT(sent_store_find_msgid(store, "bad@x", NULL, &failure), 0,
          "... which is gone");
  TAP_INT(sent_store_find_msgid(store, "good@x", NULL, &failure), 1,
          "... and the good one stays");
  sent_store_close(&store);
}

/* ---- locking ------------------------------------------------------------ */

struct lock_case {
  const char *what;
  int held;                 /* LOCK_EX or LOCK_SH, held by a child */
  enum store_mode mode;
  long wait_ms;
  int want;                 /* 0 or FAILURE_LOCKED */
};

static void
test_lock_held(void)
{
  static const struct lock_case cases[] = {
    { "exclusive lock held, writer", LOCK_EX, STORE_WRITE, SHORT_WAIT_MS,
      FAILURE_LOCKED },
    { "exclusive lock held, reader", LOCK_EX, STORE_READ, SHORT_WAIT_MS,
      FAILURE_LOCKED },
    { "exclusive lock held, writer, no wait", LOCK_EX, STORE_WRITE, 0,
      FAILURE_LOCKED },
    { "shared lock held, reader", LOCK_SH, STORE_READ, SHORT_WAIT_MS, 0 },
    { "shared lock held, writer", LOCK_SH, STORE_WRITE, SHORT_WAIT_MS,
      FAILURE_LOCKED },
  };
  char path[2100], lock[2200];
  in_base(path, sizeof path, "locked.db");
  snprintf(lock, sizeof lock, "%s.lock", path);
  if (make_store(path, seed_entries, 1) != 0) {
    TAP_OK(0, "locking: set up");
    return;
  }
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct lock_case *c = &cases[i];
    int ready[2], release[2];
    if (pipe(ready) != 0 || pipe(release) != 0) {
      TAP_OK(0, "%s: pipes", c->what);
      continue;
    }
    pid_t pid = fork_child();
    if (pid == 0) {
      close(ready[0]);
      close(release[1]);
      int fd = open(lock, O_RDWR);
      if (fd < 0 || flock(fd, c->held) != 0)
        _exit(1);
      char byte = 'x';
      if (write(ready[1], &byte, 1) != 1)
        _exit(2);
      if (read(release[0], &byte, 1) < 0)    /* EOF when the parent is done */
        _exit(3);
      _exit(0);
    }
    close(ready[1]);
    close(release[0]);
    char byte;
    bool child_ready = read(ready[0], &byte, 1) == 1;
    close(ready[0]);

    struct failure failure = { 0 };
    struct sent_store *store = NULL;
    long long start = now_ms();
    int result = sent_store_open(&store, path, c->mode, c->wait_ms, &failure);
    long long waited = now_ms() - start;
    sent_store_close(&store);
    close(release[1]);
    int child = wait_child(pid);

    TAP_OK(child_ready && child == 0, "%s: child held the lock", c->what);
    if (c->want == 0) {
      TAP_INT(result, 0, "%s: open succeeds", c->what);
    } else {
      TAP_INT(result, -1, "%s: open fails", c->what);
      TAP_INT(failure.class, c->want, "... as locked: %.300s", failure.message);
      /* Both sides round to whole milliseconds: allow 2 ms of slack. */
      TAP_OK(waited >= c->wait_ms - 2 && waited < c->wait_ms + 1000,
             "... after waiting about %ld ms (%lld)", c->wait_ms, waited);
    }
  }
  struct failure failure = { 0 };
  struct sent_store *store = NULL;
  TAP_INT(sent_store_open(&store, path, STORE_WRITE, NO_WAIT_MS, &failure), 0,
          "once the holder is gone the writer gets in");
  sent_store_close(&store);
}

/* ---- concurrency --------------------------------------------------------- */

#define WRITERS          32
#define IDS_PER_WRITER   50

/* In a child: record ids with one open/add/close each, as the filter does.
 * Exit with the number of failures (capped). */
static int
record_ids(const char *path, const char *tag, int count, time_t when)
{
  int failures = 0;
  for (int i = 0; i < count; i++) {
    struct failure failure = { 0 };
    struct sent_store *store = NULL;
    char id[64];
    snprintf(id, sizeof id, "%s.%d@test", tag, i);
    /* Expire keeps writers out while it rewrites the store (they are
     * refused at once, FAILURE_LOCKED, and record uses its journal): here,
     * try again. */
    int opened, tries = 0;
    while ((opened = sent_store_open(&store, path, STORE_WRITE, LONG_WAIT_MS,
                                     &failure)) != 0
           && failure.class == FAILURE_LOCKED && ++tries < 2000) {
      struct timespec pause = { 0, 5 * 1000000L };
      nanosleep(&pause, NULL);
    }
    if (opened != 0 || sent_store_add_msgid(store, id, when, &failure) != 0) {
      fprintf(stderr, "# %s: %s\n", id, failure.message);
      failures++;
    }
    sent_store_close(&store);
  }
  return failures > 100 ? 100 : failures;
}

/* Count how many of tag.0 .. tag.(count-1) are in the store; -1 on error. */
static int
count_ids(const char *path, const char *tag, int count)
{
  struct failure failure = { 0 };
  struct sent_store *store = NULL;
  if (sent_store_open(&store, path, STORE_READ, LONG_WAIT_MS, &failure) != 0) {
    printf("# count_ids: %s\n", failure.message);
    return -1;
  }
  int found = 0;
  for (int i = 0; i < count; i++) {
    char id[64];
    snprintf(id, sizeof id, "%s.%d@test", tag, i);
    if (sent_store_find_msgid(store, id, NULL, &failure) == 1)
      found++;
  }
  sent_store_close(&store);
  return found;
}

static void
test_concurrent_writers(void)
{
  char path[2100];
  in_base(path, sizeof path, "concurrent.db");
  pid_t pids[WRITERS];
  long long start = now_ms();
  for (int w = 0; w < WRITERS; w++) {
    pids[w] = fork_child();
    if (pids[w] == 0) {
      char tag[32];
      snprintf(tag, sizeof tag, "w%d", w);
      _exit(record_ids(path, tag, IDS_PER_WRITER, 10000 + w));
    }
  }
  int failed_children = 0;
  for (int w = 0; w < WRITERS; w++)
    if (wait_child(pids[w]) != 0)
      failed_children++;
  long long took = now_ms() - start;
  TAP_INT(failed_children, 0, "%d writers x %d records: no writer failed "
          "(%lld ms)", WRITERS, IDS_PER_WRITER, took);
  int found = 0;
  for (int w = 0; w < WRITERS; w++) {
    char tag[32];
    snprintf(tag, sizeof tag, "w%d", w);
    int n = count_ids(path, tag, IDS_PER_WRITER);
    found += n > 0 ? n : 0;
  }
  TAP_INT(found, WRITERS * IDS_PER_WRITER, "every record is there");
  struct failure failure = { 0 };
  struct sent_store *store = NULL;
  struct store_stats stats = { 0 };
  if (sent_store_open(&store, path, STORE_READ, NO_WAIT_MS, &failure) == 0)
    sent_store_stats(store, &stats, &failure);
  sent_store_close(&store);
  TAP_INT(stats.msgids, WRITERS * IDS_PER_WRITER, "stats count them all");
}

/* ---- expire ------------------------------------------------------------- */

static void
test_expire(void)
{
  static const struct entry entries[] = {
    { MSGID, "old1@x", 100 },            /* first record: the start time */
    { MSGID, "old2@x", 4999 },
    { RECIPIENT, "old@x", 200 },
    { MSGID, "edge@x", 5000 },           /* at the cutoff: kept */
    { MSGID, "new1@x", 6000 },
    { RECIPIENT, "new@x", 7000 },
    { RECIPIENT, "refreshed@x", 300 },
    { RECIPIENT, "refreshed@x", 8000 },  /* sent to again: kept */
  };
  static const struct lookup_case after[] = {
    { MSGID, "old1@x", 0, 0 },
    { MSGID, "old2@x", 0, 0 },
    { RECIPIENT, "old@x", 0, 0 },
    { MSGID, "edge@x", 1, 5000 },
    { MSGID, "new1@x", 1, 6000 },
    { RECIPIENT, "new@x", 1, 7000 },
    { RECIPIENT, "refreshed@x", 1, 8000 },
  };
  const time_t cutoff = 5000;
  char path[2100];
  in_base(path, sizeof path, "expire.db");
  if (make_store(path, entries, sizeof entries / sizeof entries[0]) != 0) {
    TAP_OK(0, "expire: set up");
    return;
  }
  struct failure failure = { 0 };
  struct sent_store *store = NULL;
  if (sent_store_open(&store, path, STORE_WRITE, NO_WAIT_MS, &failure) != 0) {
    TAP_OK(0, "expire: open: %.300s", failure.message);
    return;
  }
  /* The user's own copies beside the store (issue 10.9: expire unlinked
   * every PATH.??????) and a copy of expire's own left by a crash. */
  static const struct { const char *suffix; bool ours; } beside[] = {
    { ".backup", false }, { ".241130", false }, { ".AbC123", false },
    { ".bsf-expire.Zz9999", true },
  };
  for (size_t i = 0; i < sizeof beside / sizeof beside[0]; i++) {
    char other[2200];
    snprintf(other, sizeof other, "%s%s", path, beside[i].suffix);
    FILE *file = fopen(other, "w");
    if (file) {
      fputs("keep me\n", file);
      fclose(file);
    }
  }
  size_t removed = 0;
  TAP_INT(sent_store_expire(store, cutoff, &removed, &failure), 0,
          "expire succeeds");
  TAP_INT(removed, 3, "... removing the three old entries");
  for (size_t i = 0; i < sizeof beside / sizeof beside[0]; i++) {
    char other[2200];
    snprintf(other, sizeof other, "%s%s", path, beside[i].suffix);
    TAP_OK(exists(other) != beside[i].ours, "expire: %s%s %s", "expire.db",
           beside[i].suffix, beside[i].ours ? "(a crashed expire's copy) removed"
                                            : "(the user's file) kept");
    unlink(other);
  }
  for (size_t i = 0; i < sizeof after / sizeof after[0]; i++) {
    time_t when = 0;
    TAP_INT(find_entry(store, after[i].kind, after[i].name, &when, &failure),
            after[i].found, "after expire: %s %s", after[i].name,
            after[i].found ? "kept" : "gone");
    if (after[i].found)
      TAP_INT(when, after[i].when, "... with its time");
  }
  time_t since = 0;
  TAP_INT(sent_store_since(store, &since, &failure), 1,
          "the start time survives expire");
  TAP_INT(since, 100, "... unchanged");
  TAP_INT(sent_store_add_msgid(store, "post@x", 9000, &failure), 0,
          "the store takes records after expire");
  TAP_INT(sent_store_find_msgid(store, "post@x", NULL, &failure), 1,
          "... and finds them");
  struct store_stats stats;
  TAP_INT(sent_store_stats(store, &stats, &failure), 0, "stats after expire");
  TAP_INT(stats.msgids, 3, "... 3 msgids");
  TAP_INT(stats.recipients, 2, "... 2 recipients");
  TAP_INT(stats.oldest, 5000, "... oldest");
  TAP_INT(stats.newest, 9000, "... newest");
  removed = 99;
  TAP_INT(sent_store_expire(store, cutoff, &removed, &failure), 0,
          "a second expire succeeds");
  TAP_INT(removed, 0, "... removing nothing");
  sent_store_close(&store);
  TAP_INT(file_mode(path), 0600, "the compacted file is still 0600");

  if (sent_store_open(&store, path, STORE_READ, NO_WAIT_MS, &failure) == 0) {
    TAP_INT(sent_store_find_msgid(store, "post@x", NULL, &failure), 1,
            "a reader after expire finds the records");
    sent_store_close(&store);
  } else {
    TAP_OK(0, "read open after expire: %.300s", failure.message);
  }
}

/* Expire of many keys, in memory that does not grow with them: stores with
 * more old keys than several 4096-key batches (what a batch-deleting expire
 * would hold), mixed with kept ones (two old to one kept) or old
 * throughout, must lose exactly the old ones. Expire copies the kept
 * entries to a new file: no copy may be left behind (a stale one planted
 * first is removed), and a store with nothing to expire is not rewritten. */
#define BATCH_TEST_KEYS  20000

static bool
batch_key_kept(int i, bool mixed)
{
  return mixed && i % 3 == 0;
}

static void
test_expire_batches(void)
{
  static const struct { const char *what; bool mixed; } cases[] = {
    { "two old to one kept", true },
    { "all old", false },
  };
  const time_t old_time = 1000, new_time = 9000, cutoff = 5000;

  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const bool mixed = cases[c].mixed;
    char path[2100], name[64];
    snprintf(name, sizeof name, "batches-%zu.db", c);
    in_base(path, sizeof path, name);
    struct failure failure = { 0 };
    struct sent_store *store = NULL;
    if (sent_store_open(&store, path, STORE_WRITE, NO_WAIT_MS, &failure) != 0) {
      TAP_OK(0, "batches (%s): open: %.300s", cases[c].what, failure.message);
      continue;
    }
    int added = 0;
    size_t old_count = 0;
    for (int i = 0; i < BATCH_TEST_KEYS; i++) {
      bool kept = batch_key_kept(i, mixed);
      snprintf(name, sizeof name, "batch-%05d@x", i);
      int result = i % 2 ? sent_store_add_msgid(store, name, kept ? new_time : old_time,
                                                &failure)
                         : sent_store_add_recipient(store, name,
                                                    kept ? new_time : old_time,
                                                    &failure);
      if (result == 0)
        added++;
      if (!kept)
        old_count++;
    }
    TAP_INT(added, BATCH_TEST_KEYS, "batches (%s): %d keys recorded",
            cases[c].what, BATCH_TEST_KEYS);
    TAP_OK(old_count > 3 * 4096, "batches (%s): %zu old keys, over three "
           "batches", cases[c].what, old_count);

    char stale[2200];
    snprintf(stale, sizeof stale, "%s.bsf-expire.AbC123", path);
    int stale_fd = open(stale, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (stale_fd >= 0)
      close(stale_fd);
    size_t removed = 0;
    TAP_INT(sent_store_expire(store, cutoff, &removed, &failure), 0,
            "batches (%s): expire succeeds", cases[c].what);
    char pattern[2200];
    glob_t copies;
    snprintf(pattern, sizeof pattern, "%s.*", path);
    TAP_INT(glob(pattern, 0, NULL, &copies), 0, "batches (%s): the lock file",
            cases[c].what);
    TAP_OK(copies.gl_pathc == 1 && strstr(copies.gl_pathv[0], ".lock"),
           "batches (%s): no copy left beside the store, only the lock file (%zu)",
           cases[c].what, copies.gl_pathc);
    globfree(&copies);
    snprintf(pattern, sizeof pattern, "%s.??????", path);
    TAP_INT(glob(pattern, 0, NULL, &copies), GLOB_NOMATCH,
            "batches (%s): no copy left beside the store (stale one %s)",
            cases[c].what, stale_fd >= 0 ? "removed" : "not planted");
    globfree(&copies);
    TAP_INT(removed, old_count, "batches (%s): removes every old key",
            cases[c].what);
    int right = 0, wrong_first = -1;
    for (int i = 0; i < BATCH_TEST_KEYS; i++) {
      bool kept = batch_key_kept(i, mixed);
      time_t when = 0;
      snprintf(name, sizeof name, "batch-%05d@x", i);
      int found = i % 2 ? sent_store_find_msgid(store, name, &when, &failure)
                        : sent_store_find_recipient(store, name, &when, &failure);
      if (found == (kept ? 1 : 0) && (!kept || when == new_time))
        right++;
      else if (wrong_first < 0)
        wrong_first = i;
    }
    TAP_INT(right, BATCH_TEST_KEYS, "batches (%s): every old key gone, every "
            "kept one there with its time (first wrong: %d)", cases[c].what,
            wrong_first);
    struct store_stats stats;
    TAP_INT(sent_store_stats(store, &stats, &failure), 0,
            "batches (%s): stats", cases[c].what);
    TAP_INT(stats.msgids + stats.recipients, BATCH_TEST_KEYS - old_count,
            "batches (%s): stats count the kept keys only", cases[c].what);
    TAP_INT(stats.since, batch_key_kept(0, mixed) ? new_time : old_time,
            "batches (%s): the start time (the first record's) survives",
            cases[c].what);
    struct stat before, after;
    int before_ok = stat(path, &before);
    removed = 99;
    TAP_INT(sent_store_expire(store, cutoff, &removed, &failure), 0,
            "batches (%s): a second expire succeeds", cases[c].what);
    TAP_INT(removed, 0, "batches (%s): ... removing nothing", cases[c].what);
    TAP_OK(before_ok == 0 && stat(path, &after) == 0
           && before.st_ino == after.st_ino && before.st_size == after.st_size,
           "batches (%s): ... and leaving the file alone", cases[c].what);
    sent_store_close(&store);
  }
}

#define KEPT_IDS         100
#define EXPIRE_ROUNDS    20
#define OLD_PER_ROUND    20
#define LIVE_WRITERS     4
#define LIVE_IDS         100
#define READERS          3
#define READER_ROUNDS    30

/* In a child: expire repeatedly, planting old entries first so that every
 * round deletes and reorganizes. Exit 0 or 1. */
static int
expire_rounds(const char *path, time_t old_time, time_t cutoff)
{
  for (int round = 0; round < EXPIRE_ROUNDS; round++) {
    struct failure failure = { 0 };
    struct sent_store *store = NULL;
    if (sent_store_open(&store, path, STORE_WRITE, LONG_WAIT_MS, &failure) != 0)
      return 1;
    for (int i = 0; i < OLD_PER_ROUND; i++) {
      char id[64];
      snprintf(id, sizeof id, "old%d.%d@test", round, i);
      sent_store_add_msgid(store, id, old_time, &failure);
    }
    sent_store_close(&store);
    if (sent_store_open(&store, path, STORE_WRITE, LONG_WAIT_MS, &failure) != 0)
      return 1;
    size_t removed = 0;
    int result = sent_store_expire(store, cutoff, &removed, &failure);
    sent_store_close(&store);
    if (result != 0 || removed < OLD_PER_ROUND) {
      fprintf(stderr, "# expire round %d: removed %zu: %s\n", round, removed,
              failure.message);
      return 1;
    }
  }
  return 0;
}

/* In a child: look up the kept entries again and again; exit 1 if one is
 * ever missing or a lookup fails. */
static int
read_rounds(const char *path)
{
  for (int round = 0; round < READER_ROUNDS; round++) {
    int found = count_ids(path, "kept", KEPT_IDS);
    if (found != KEPT_IDS) {
      fprintf(stderr, "# reader round %d: found %d\n", round, found);
      return 1;
    }
  }
  return 0;
}

static void
test_expire_concurrent(void)
{
  const time_t old_time = 100, cutoff = 5000, new_time = 9000;
  char path[2100];
  in_base(path, sizeof path, "expire-live.db");
  struct entry kept[KEPT_IDS];
  char names[KEPT_IDS][32];
  for (int i = 0; i < KEPT_IDS; i++) {
    snprintf(names[i], sizeof names[i], "kept.%d@test", i);
    kept[i] = (struct entry) { MSGID, names[i], new_time };
  }
  if (make_store(path, kept, KEPT_IDS) != 0) {
    TAP_OK(0, "live expire: set up");
    return;
  }

  pid_t pids[1 + LIVE_WRITERS + READERS];
  int children = 0;
  pid_t expirer = fork_child();
  if (expirer == 0)
    _exit(expire_rounds(path, old_time, cutoff));
  pids[children++] = expirer;
  for (int w = 0; w < LIVE_WRITERS; w++) {
    pid_t pid = fork_child();
    if (pid == 0) {
      char tag[32];
      snprintf(tag, sizeof tag, "live%d", w);
      _exit(record_ids(path, tag, LIVE_IDS, new_time));
    }
    pids[children++] = pid;
  }
  for (int r = 0; r < READERS; r++) {
    pid_t pid = fork_child();
    if (pid == 0)
      _exit(read_rounds(path));
    pids[children++] = pid;
  }
  TAP_INT(wait_child(pids[0]), 0, "expirer: %d rounds, each removing",
          EXPIRE_ROUNDS);
  for (int w = 0; w < LIVE_WRITERS; w++)
    TAP_INT(wait_child(pids[1 + w]), 0, "live writer %d recorded all", w);
  for (int r = 0; r < READERS; r++)
    TAP_INT(wait_child(pids[1 + LIVE_WRITERS + r]), 0,
            "reader %d never missed a kept entry", r);

  TAP_INT(count_ids(path, "kept", KEPT_IDS), KEPT_IDS,
          "kept entries all survive");
  int live = 0;
  for (int w = 0; w < LIVE_WRITERS; w++) {
    char tag[32];
    snprintf(tag, sizeof tag, "live%d", w);
    int n = count_ids(path, tag, LIVE_IDS);
    live += n > 0 ? n : 0;
  }
  TAP_INT(live, LIVE_WRITERS * LIVE_IDS,
          "entries recorded during expire all survive");
  struct failure failure = { 0 };
  struct sent_store *store = NULL;
  struct store_stats stats = { 0 };
  if (sent_store_open(&store, path, STORE_READ, NO_WAIT_MS, &failure) == 0)
    sent_store_stats(store, &stats, &failure);
  sent_store_close(&store);
  TAP_INT(stats.msgids, KEPT_IDS + LIVE_WRITERS * LIVE_IDS,
          "no old entry is left and nothing else is");
  TAP_INT(stats.oldest, new_time, "... the oldest is new");
}

/* ---- dump and stats ---------------------------------------------------- */

static int
compare_lines(const void *a, const void *b)
{
  return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Sort the lines of text in place (for an order-free comparison). */
static char *
sorted_lines(char *text)
{
  char *lines[64];
  size_t count = 0;
  for (char *line = strtok(text, "\n"); line && count < 64;
       line = strtok(NULL, "\n"))
    lines[count++] = line;
  qsort(lines, count, sizeof lines[0], compare_lines);
  size_t size = 1;
  for (size_t i = 0; i < count; i++)
    size += strlen(lines[i]) + 1;
  char *joined = calloc(1, size);
  for (size_t i = 0; joined && i < count; i++) {
    strcat(joined, lines[i]);
    strcat(joined, "\n");
  }
  return joined;
}

static void
test_dump_stats(void)
{
  static const struct entry entries[] = {
    { MSGID, "first@example.org", 946684800 },
    { RECIPIENT, "Someone@Example.NET", 1795433229 },
    { MSGID, "odd id\\\n@x", 1709251199 },
  };
  static const char expected[] =
    "2000-01-01T00:00:00Z msgid first@example.org\n"
    "2000-01-01T00:00:00Z since\n"
    "2024-02-29T23:59:59Z msgid odd\\x20id\\x5c\\x0a@x\n"
    "2026-11-23T11:27:09Z recipient someone@example.net\n";
  char path[2100];
  in_base(path, sizeof path, "dump.db");
  if (make_store(path, entries, sizeof entries / sizeof entries[0]) != 0) {
    TAP_OK(0, "dump: set up");
    return;
  }
  struct failure failure = { 0 };
  struct sent_store *store = NULL;
  if (sent_store_open(&store, path, STORE_READ, NO_WAIT_MS, &failure) != 0) {
    TAP_OK(0, "dump: open: %.300s", failure.message);
    return;
  }
  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&text, &size);
  TAP_INT(sent_store_dump(store, out, &failure), 0, "dump succeeds");
  fclose(out);
  char *got = text ? sorted_lines(text) : NULL;
  char want_copy[sizeof expected];
  memcpy(want_copy, expected, sizeof expected);
  char *want = sorted_lines(want_copy);
  TAP_STR(got, want, "dump lists every entry in the documented format");
  free(got);
  free(want);
  free(text);

  FILE *full = fopen("/dev/full", "w");
  if (full) {
    failure = (struct failure) { 0 };
    TAP_INT(sent_store_dump(store, full, &failure), -1,
            "dump to a full device fails");
    TAP_INT(failure.class, FAILURE_IO, "... as an I/O failure");
    fclose(full);
  }

  struct store_stats stats;
  TAP_INT(sent_store_stats(store, &stats, &failure), 0, "stats succeed");
  TAP_INT(stats.msgids, 2, "... 2 msgids");
  TAP_INT(stats.recipients, 1, "... 1 recipient");
  TAP_INT(stats.oldest, 946684800, "... oldest");
  TAP_INT(stats.newest, 1795433229, "... newest");
  TAP_INT(stats.since, 946684800, "... since");
  struct stat info;
  TAP_OK(stat(path, &info) == 0 && stats.file_bytes == info.st_size
         && info.st_size > 0, "... file size %lld", stats.file_bytes);
  sent_store_close(&store);

  char empty[2100];
  in_base(empty, sizeof empty, "empty-store.db");
  if (make_store(empty, NULL, 0) == 0
      && sent_store_open(&store, empty, STORE_READ, NO_WAIT_MS,
                         &failure) == 0) {
    stats.msgids = 7;
    TAP_INT(sent_store_stats(store, &stats, &failure), 0,
            "stats of an empty store");
    TAP_OK(stats.msgids == 0 && stats.recipients == 0 && stats.oldest == 0
           && stats.newest == 0 && stats.since == 0,
           "... all zero");
    sent_store_close(&store);
  } else {
    TAP_OK(0, "empty store: %.300s", failure.message);
  }
}

int
main(void)
{
  const char *tmp = getenv("TMPDIR");
  snprintf(base_dir, sizeof base_dir, "%s/test-store-XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(base_dir)) {
    perror("mkdtemp");
    return 1;
  }
  test_create();
  test_missing_store();
  test_permissions();
  test_foreign_owner();
  test_read_only_directory();
  test_add_find();
  test_garbage();
  test_truncated();
  test_disk_full();
  test_bad_value();
  test_lock_held();
  test_concurrent_writers();
  test_expire();
  test_expire_batches();
  test_expire_concurrent();
  test_dump_stats();
  remove_tree(base_dir);
  return tap_done();
}
