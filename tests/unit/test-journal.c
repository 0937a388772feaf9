/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-journal.c: the store's journal (journal.h): appends read back as
 * written (recipients lower-cased), malformed and over-long lines skipped,
 * the cap refused whole, a file that is not ours or writable by others
 * refused, replay into a store (then the journal is empty, a .merging left
 * by a crash is merged too, a busy replay lock leaves the journal alone),
 * and appenders racing replays lose nothing. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "caps.h"
#include "journal.h"
#include "store.h"
#include "../tap.h"

static char base[1024];

static void
in_base(char *path, size_t size, const char *name)
{
  snprintf(path, size, "%s/%s", base, name);
}

static int
write_text(const char *path, const char *text, mode_t mode)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0)
    return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  chmod(path, mode);
  return n == (ssize_t) strlen(text) ? 0 : -1;
}

/* ---- append and read ---------------------------------------------------- */

static void
test_append_read(void)
{
  char path[1100];
  in_base(path, sizeof path, "a.journal");
  struct failure failure = { 0 };
  const struct journal_entry first[] = {
    { JOURNAL_RECIPIENT, 1000, "Friend@Example.NET" },
    { JOURNAL_MSGID, 1000, "One@example.org" },
  };
  const struct journal_entry second[] = {
    { JOURNAL_MSGID, 2000, "One@example.org" },
    { JOURNAL_MSGID, 2000, "has space@x" },        /* never written */
    { JOURNAL_RECIPIENT, 2000, "" },               /* never written */
  };
  TAP_INT(journal_append(path, first, 2, 100, &failure), 0, "append two entries");
  TAP_INT(journal_append(path, second, 3, 100, &failure), 0,
          "append with names that cannot be written: the rest goes in");
  struct stat info;
  TAP_OK(stat(path, &info) == 0 && (info.st_mode & 07777) == 0600,
         "the journal is created 0600");

  struct journal_view *view = NULL;
  TAP_INT(journal_read(path, &view, &failure), 0, "read it back");
  TAP_INT(journal_view_count(view), 3, "three entries");
  time_t when = 0;
  TAP_INT(journal_view_find(view, JOURNAL_RECIPIENT, "friend@example.net", &when), 1,
          "a recipient is found in any case");
  const struct journal_entry *entry = journal_view_entry(view, 0);
  TAP_STR(entry ? entry->name : "", "friend@example.net",
          "recipients are written lower-case");
  TAP_INT(journal_view_find(view, JOURNAL_MSGID, "One@example.org", &when), 1,
          "a Message-ID is found");
  TAP_INT(when, 2000, "... with its newest time");
  TAP_INT(journal_view_find(view, JOURNAL_MSGID, "one@example.org", NULL), 0,
          "Message-IDs compare exactly (local part case)");
  TAP_INT(journal_view_find(view, JOURNAL_RECIPIENT, "One@example.org", NULL), 0,
          "types are kept apart");
  journal_view_free(&view);
  TAP_OK(view == NULL, "free clears the pointer");

  char missing[1100];
  in_base(missing, sizeof missing, "none.journal");
  TAP_INT(journal_read(missing, &view, &failure), 0, "a missing journal reads");
  TAP_INT(journal_view_count(view), 0, "... as empty");
  journal_view_free(&view);
}

static void
test_malformed(void)
{
  static const struct { const char *line; int kept; } cases[] = {
    { "100 m good@x\n", 1 },
    { "100 r good@x\n", 1 },
    { "100 x bad-type@x\n", 0 },
    { "-5 m negative@x\n", 0 },
    { "abc m no-time@x\n", 0 },
    { "100 m \n", 0 },
    { "100  m two-spaces@x\n", 0 },
    { "100 m name with space\n", 0 },
    { "100 m cut-short@x", 0 },          /* no newline: a write cut short */
  };
  char path[1100];
  in_base(path, sizeof path, "bad.journal");
  char text[4096] = "";
  int want = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    strcat(text, cases[i].line);
    want += cases[i].kept;
  }
  /* A line over the longest name: skipped whole, the next one read. */
  char *long_line = malloc(CAP_ID_BYTES * 3);
  memset(long_line, 'a', CAP_ID_BYTES * 3 - 1);
  long_line[CAP_ID_BYTES * 3 - 1] = '\0';
  size_t size = strlen(text) + CAP_ID_BYTES * 3 + 64;
  char *all = malloc(size);
  snprintf(all, size, "100 m %s\n200 m after-long@x\n%s", long_line, text);
  want++;
  write_text(path, all, 0600);
  struct journal_view *view = NULL;
  struct failure failure = { 0 };
  TAP_INT(journal_read(path, &view, &failure), 0, "a journal with bad lines reads");
  TAP_INT(journal_view_count(view), (size_t) want, "only well-formed lines count (%d)",
          want);
  TAP_INT(journal_view_find(view, JOURNAL_MSGID, "after-long@x", NULL), 1,
          "the line after an over-long one is read");
  journal_view_free(&view);
  free(all);
  free(long_line);
}

static void
test_refused(void)
{
  char path[1100];
  struct failure failure = { 0 };
  struct journal_view *view = NULL;
  in_base(path, sizeof path, "open.journal");
  write_text(path, "100 m x@y\n", 0622);
  TAP_INT(journal_read(path, &view, &failure), -1, "a journal writable by others is refused");
  TAP_OK(strstr(failure.message, "refusing") != NULL, "... saying so: %s", failure.message);
  const struct journal_entry entry = { JOURNAL_MSGID, 1, "z@y" };
  TAP_INT(journal_append(path, &entry, 1, 100, &failure), -1, "... and not appended to");

  char target[1100], link_path[1100];
  in_base(target, sizeof target, "target");
  in_base(link_path, sizeof link_path, "link.journal");
  write_text(target, "", 0600);
  if (symlink(target, link_path) == 0) {
    TAP_INT(journal_append(link_path, &entry, 1, 100, &failure), -1,
            "a symbolic link is not followed");
  }
}

static void
test_cap(void)
{
  char path[1100];
  in_base(path, sizeof path, "full.journal");
  /* Fill to a few bytes under the cap with one big, valid-looking file. */
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  TAP_OK(fd >= 0 && ftruncate(fd, CAP_JOURNAL_BYTES - 10) == 0, "a journal near its cap");
  if (fd >= 0)
    close(fd);
  struct failure failure = { 0 };
  const struct journal_entry entry = { JOURNAL_MSGID, 1, "over-the-cap@example.org" };
  TAP_INT(journal_append(path, &entry, 1, 100, &failure), -1, "an append past the cap fails");
  TAP_INT(failure.class, FAILURE_LIMIT, "... as a limit");
  struct stat info;
  TAP_OK(stat(path, &info) == 0 && info.st_size == (off_t) (CAP_JOURNAL_BYTES - 10),
         "... writing nothing");
}

/* ---- replay ------------------------------------------------------------- */

static int
store_has(const char *store_path, const char *msgid)
{
  struct sent_store *store = NULL;
  struct failure failure = { 0 };
  if (sent_store_open(&store, store_path, STORE_READ, 1000, &failure) != 0)
    return -1;
  int found = sent_store_find_msgid(store, msgid, NULL, &failure);
  sent_store_close(&store);
  return found;
}

static void
test_replay(void)
{
  char store_path[1100], path[1200], merging[1300], lock[1300];
  in_base(store_path, sizeof store_path, "replay.db");
  snprintf(path, sizeof path, "%s.journal", store_path);
  snprintf(merging, sizeof merging, "%s.merging", path);
  snprintf(lock, sizeof lock, "%s.replay", path);
  struct failure failure = { 0 };
  const struct journal_entry entries[] = {
    { JOURNAL_MSGID, 5000, "r1@example.org" },
    { JOURNAL_RECIPIENT, 5000, "R1@Example.net" },
  };
  journal_append(path, entries, 2, 100, &failure);
  write_text(merging, "4000 m crashed@example.org\n", 0600);

  struct sent_store *store = NULL;
  if (sent_store_open(&store, store_path, STORE_WRITE, 1000, &failure) != 0) {
    TAP_OK(0, "replay: open the store: %s", failure.message);
    return;
  }
  /* Someone else replaying: the journal is left to them. */
  int holder = open(lock, O_RDWR | O_CREAT, 0600);
  flock(holder, LOCK_EX);
  size_t merged = 99;
  TAP_INT(journal_replay(path, store, &merged, &failure), 0,
          "replay while another replay runs: no error");
  TAP_INT(merged, 0, "... merges nothing");
  TAP_OK(access(path, F_OK) == 0 && access(merging, F_OK) == 0, "... leaves both files");
  close(holder);

  TAP_INT(journal_replay(path, store, &merged, &failure), 0, "replay");
  TAP_INT(merged, 3, "... merges the journal and the crashed .merging");
  TAP_OK(access(path, F_OK) != 0 && access(merging, F_OK) != 0,
         "... and removes both");
  time_t when = 0;
  TAP_INT(sent_store_find_recipient(store, "r1@example.net", &when, &failure), 1,
          "the recipient is in the store");
  TAP_INT(when, 5000, "... with its journal time");
  sent_store_close(&store);
  TAP_INT(store_has(store_path, "crashed@example.org"), 1, "the crashed merge's entry too");
  TAP_INT(journal_replay(path, NULL, &merged, &failure), 0,
          "replaying an absent journal does nothing (no store needed)");
}

/* Appenders racing replays: every appended line ends in the store. */
#define RACE_APPENDERS 4
#define RACE_ENTRIES   150

static void
test_race(void)
{
  char store_path[1100], path[1200];
  in_base(store_path, sizeof store_path, "race.db");
  snprintf(path, sizeof path, "%s.journal", store_path);
  pid_t pids[RACE_APPENDERS + 1];
  for (int a = 0; a < RACE_APPENDERS; a++) {
    pids[a] = fork();
    if (pids[a] == 0) {
      int bad = 0;
      for (int i = 0; i < RACE_ENTRIES; i++) {
        char name[64];
        struct failure failure = { 0 };
        snprintf(name, sizeof name, "race.%d.%d@example.org", a, i);
        const struct journal_entry entry = { JOURNAL_MSGID, 7000, name };
        if (journal_append(path, &entry, 1, 5000, &failure) != 0)
          bad++;
      }
      _exit(bad ? 1 : 0);
    }
  }
  pids[RACE_APPENDERS] = fork();
  if (pids[RACE_APPENDERS] == 0) {
    /* The replayer: merge again and again while they append. */
    for (int round = 0; round < 40; round++) {
      struct sent_store *store = NULL;
      struct failure failure = { 0 };
      if (sent_store_open(&store, store_path, STORE_WRITE, 5000, &failure) == 0)
        journal_replay(path, store, NULL, &failure);
      sent_store_close(&store);
      usleep(2000);
    }
    _exit(0);
  }
  int children_ok = 1;
  for (int i = 0; i <= RACE_APPENDERS; i++) {
    int status;
    if (pids[i] < 0 || waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status)
        || WEXITSTATUS(status) != 0)
      children_ok = 0;
  }
  TAP_OK(children_ok, "race: every append and replay succeeded");
  /* A last replay merges what came after the replayer's last round. */
  struct sent_store *store = NULL;
  struct failure failure = { 0 };
  if (sent_store_open(&store, store_path, STORE_WRITE, 5000, &failure) == 0)
    journal_replay(path, store, NULL, &failure);
  int found = 0;
  for (int a = 0; store && a < RACE_APPENDERS; a++)
    for (int i = 0; i < RACE_ENTRIES; i++) {
      char name[64];
      snprintf(name, sizeof name, "race.%d.%d@example.org", a, i);
      if (sent_store_find_msgid(store, name, NULL, &failure) == 1)
        found++;
    }
  sent_store_close(&store);
  TAP_INT(found, RACE_APPENDERS * RACE_ENTRIES,
          "race: every appended entry is in the store, none lost");
}

static int
remove_entry(const char *path, const struct stat *info, int flag, struct FTW *ftw)
{
  (void) info, (void) flag, (void) ftw;
  return remove(path);
}

int
main(void)
{
  const char *tmp = getenv("TMPDIR");
  snprintf(base, sizeof base, "%s/test-journal.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(base)) {
    TAP_OK(0, "mkdtemp: %s", strerror(errno));
    return tap_done();
  }
  test_append_read();
  test_malformed();
  test_refused();
  test_cap();
  test_replay();
  test_race();
  nftw(base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  return tap_done();
}
