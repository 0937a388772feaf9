/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-deliver.c: check --deliver's writer. mboxrd quoting (a table, each
 * case fed whole and split at every byte), the envelope sender made safe,
 * and deliveries into an mbox, a maildir and an MH folder in a mkdtemp()
 * directory under $TMPDIR (or /tmp): exact bytes (From line dropped, CRLF
 * made LF, quoting, separator, a previous message without its final
 * newline), MH numbering after existing messages, dotlocks left by a dead
 * process or too old, a live dotlock and a live fcntl lock waited for
 * (released by a child after 200 ms, far inside the 30 s cap), an mbox
 * replaced (renamed over) while we wait for its lock, a FIFO
 * refused without hanging, a remote URL refused, an input only partly kept
 * refused. Removed at the end.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>
#include "caps.h"
#include "deliver.h"
#include "input.h"
#include "../tap.h"

static char temp_dir[512];

static int
remove_entry(const char *path, const struct stat *info, int type, struct FTW *ftw)
{
  (void) info, (void) type, (void) ftw;
  return remove(path);
}

/* The whole file into a NUL-terminated allocation (NULL if missing). */
static char *
slurp(const char *path, size_t *length)
{
  FILE *file = fopen(path, "rb");
  char *text = NULL;
  size_t used = 0, size = 0, n;
  if (!file)
    return NULL;
  do {
    if (used + 4096 + 1 > size) {
      size = size * 2 + 8192;
      text = realloc(text, size);
    }
    n = fread(text + used, 1, 4096, file);
    used += n;
  } while (n > 0);
  fclose(file);
  text[used] = '\0';
  if (length)
    *length = used;
  return text;
}

static int
spit(const char *path, const char *text)
{
  FILE *file = fopen(path, "wb");
  if (!file)
    return -1;
  fputs(text, file);
  return fclose(file);
}

/* Entries of a directory (not . and ..), the last one's path in `last`;
 * with `dot_only`, only names starting with a dot. */
static int
entries(const char *dir, int dot_only, char *last, size_t size)
{
  DIR *folder = opendir(dir);
  struct dirent *entry;
  int count = 0;
  if (!folder)
    return -1;
  while ((entry = readdir(folder)) != NULL) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0
        || (dot_only && entry->d_name[0] != '.'))
      continue;
    count++;
    if (last)
      snprintf(last, size, "%s/%s", dir, entry->d_name);
  }
  closedir(folder);
  return count;
}

/* -------------------------------------------------------- quoting */

struct buffer {
  char data[4096];
  size_t used;
};

static int
collect(void *cookie, const char *data, size_t length)
{
  struct buffer *buffer = cookie;
  if (buffer->used + length >= sizeof buffer->data)
    return -1;
  memcpy(buffer->data + buffer->used, data, length);
  buffer->used += length;
  buffer->data[buffer->used] = '\0';
  return 0;
}

static const struct { const char *in, *out; } quote_cases[] = {
  { "", "" },
  { "From me\n", ">From me\n" },
  { ">From me\n", ">>From me\n" },
  { ">>>From x\n", ">>>>From x\n" },
  { "From", "From" },                       /* no space: not a From line */
  { "From\n", "From\n" },
  { "Fro", "Fro" },
  { " From x\n", " From x\n" },
  { "from x\n", "from x\n" },
  { "a From x\nFrom y\n", "a From x\n>From y\n" },
  { ">>x\n>From\n", ">>x\n>From\n" },
  { "FromFrom \n", "FromFrom \n" },
  { "Frog\nFrom \n", "Frog\n>From \n" },
  { "\n\nFrom x", "\n\n>From x" },
  { ">\n>", ">\n>" },
  { "From x\r\nFrom y\r\n", ">From x\r\n>From y\r\n" },
  { "F>From x\n", "F>From x\n" },
};

static void
test_quoting(void)
{
  for (size_t i = 0; i < sizeof quote_cases / sizeof quote_cases[0]; i++) {
    const char *in = quote_cases[i].in;
    size_t length = strlen(in);
    int all_splits_right = 1;
    for (size_t split = 0; split <= length; split++) {
      struct buffer got = { .used = 0 };
      struct mboxrd_quoter quoter;
      got.data[0] = '\0';
      mboxrd_quoter_start(&quoter, collect, &got);
      mboxrd_quoter_feed(&quoter, in, split);
      mboxrd_quoter_feed(&quoter, in + split, length - split);
      mboxrd_quoter_finish(&quoter);
      if (strcmp(got.data, quote_cases[i].out) != 0) {
        all_splits_right = 0;
        printf("#   split at %zu: got '%s'\n", split, got.data);
      }
    }
    /* And one byte at a time. */
    struct buffer got = { .used = 0 };
    struct mboxrd_quoter quoter;
    got.data[0] = '\0';
    mboxrd_quoter_start(&quoter, collect, &got);
    for (size_t k = 0; k < length; k++)
      mboxrd_quoter_feed(&quoter, in + k, 1);
    mboxrd_quoter_finish(&quoter);
    TAP_OK(all_splits_right, "quoting case %zu, split anywhere", i);
    TAP_STR(got.data, quote_cases[i].out, "quoting case %zu, byte by byte", i);
  }
}

/* --------------------------------------------------------- sender */

static void
test_sender(void)
{
  static const struct { const char *in, *out; } cases[] = {
    { NULL, "MAILER-DAEMON" },
    { "", "MAILER-DAEMON" },
    { "<>", "MAILER-DAEMON" },
    { " <> ", "MAILER-DAEMON" },
    { "user@example.org", "user@example.org" },
    { "<user@example.org>", "user@example.org" },
    { "a@b\nX-Injected: yes", "a@b_X-Injected:_yes" },
    { "a@b\r\n", "a@b" },
    { "\"john doe\"@x.example", "\"john_doe\"@x.example" },
    { "a\tb\001c\177d\xc3\xa9" "e", "a_b_c_d__e" },
  };
  char out[CAP_ADDRESS_BYTES + 1];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    TAP_STR(deliver_envelope_sender(cases[i].in, out, sizeof out), cases[i].out,
            "sender case %zu", i);
  char long_sender[3 * CAP_ADDRESS_BYTES];
  memset(long_sender, 'x', sizeof long_sender - 1);
  long_sender[sizeof long_sender - 1] = '\0';
  TAP_INT(strlen(deliver_envelope_sender(long_sender, out, sizeof out)),
          CAP_ADDRESS_BYTES, "a long sender is cut to CAP_ADDRESS_BYTES");
}

/* ------------------------------------------------------ deliveries */

static int
deliver_text(const char *text, const char *mailbox, const char *sender,
             struct failure *failure)
{
  struct input input;
  if (input_from_buffer(text, strlen(text), &input, failure) < 0)
    return -1;
  int rc = deliver_to_mailbox(&input, mailbox, sender, failure);
  input_free(&input);
  return rc;
}

/* The mbox with the date of each "From " line blanked ("From S DATE" ->
 * "From S -"), for comparison. */
static char *
mbox_without_dates(const char *path)
{
  char *text = slurp(path, NULL);
  if (!text)
    return NULL;
  char *out = malloc(strlen(text) + 1), *o = out;
  for (char *line = text; *line;) {
    char *end = strchr(line, '\n');
    size_t length = end ? (size_t) (end - line) + 1 : strlen(line);
    if (strncmp(line, "From ", 5) == 0) {
      char *space = memchr(line + 5, ' ', length - 5);
      size_t keep = space ? (size_t) (space - line) + 1 : length;
      memcpy(o, line, keep);
      o += keep;
      *o++ = '-';
      *o++ = '\n';
    } else {
      memcpy(o, line, length);
      o += length;
    }
    line += length;
  }
  *o = '\0';
  free(text);
  return out;
}

static void
test_mbox(void)
{
  char box[700], lock[720];
  struct failure failure = { 0 };

  snprintf(box, sizeof box, "%s/sub/dir/inbox", temp_dir);
  TAP_INT(deliver_text("From mta@x Mon Nov 30 00:00:00 2026\r\n"
                       "Subject: one\r\n\r\nFrom here\r\n>From there\r\nend\r\n",
                       box, "<a@b.example>", &failure), 0,
          "mbox: CRLF message with an MTA From line delivered (parents made)");
  TAP_INT(deliver_text("Subject: two\n\nno final newline", box, "", &failure), 0,
          "mbox: message without a final newline delivered");
  TAP_INT(deliver_text("", box, "x\ny", &failure), 0, "mbox: empty message delivered");
  char *got = mbox_without_dates(box);
  TAP_STR(got,
          "From a@b.example -\nSubject: one\n\n>From here\n>>From there\nend\n\n"
          "From MAILER-DAEMON -\nSubject: two\n\nno final newline\n\n"
          "From x_y -\n\n",
          "mbox: exact bytes (From lines, quoting, LF, separators)");
  free(got);
  struct stat info;
  TAP_OK(stat(box, &info) == 0 && (info.st_mode & 0777) == 0600,
         "mbox: created 0600");
  snprintf(lock, sizeof lock, "%s.lock", box);
  TAP_OK(access(lock, F_OK) < 0, "mbox: no lock file left");

  /* A previous writer that left no newline: ours still starts a line. */
  snprintf(box, sizeof box, "%s/cut", temp_dir);
  spit(box, "From old Mon Nov 30 00:00:00 2026\nSubject: old\n\ncut off");
  deliver_text("Subject: new\n\nx\n", box, "n@x", &failure);
  got = mbox_without_dates(box);
  TAP_STR(got, "From old -\nSubject: old\n\ncut off\n\nFrom n@x -\nSubject: new\n\nx\n\n",
          "mbox: a previous message without its newline gets the separator");
  free(got);
  spit(box, "From old Mon Nov 30 00:00:00 2026\n\nx\n");
  deliver_text("Subject: new\n\n", box, "n@x", &failure);
  got = mbox_without_dates(box);
  TAP_STR(got, "From old -\n\nx\n\nFrom n@x -\nSubject: new\n\n\n",
          "mbox: a previous message without the empty line gets it");
  free(got);

  /* A dotlock of a process that is gone: removed. */
  snprintf(box, sizeof box, "%s/locked", temp_dir);
  snprintf(lock, sizeof lock, "%s.lock", box);
  pid_t dead = fork();
  if (dead == 0)
    _exit(0);
  waitpid(dead, NULL, 0);
  char text[32];
  snprintf(text, sizeof text, "%ld\n", (long) dead);
  spit(lock, text);
  TAP_INT(deliver_text("Subject: a\n\n", box, "s@x", &failure), 0,
          "mbox: a dotlock naming a dead process is broken");
  TAP_OK(access(lock, F_OK) < 0, "mbox: ... and gone afterwards");
  /* One older than the stale age, with no process ID: removed. */
  spit(lock, "");
  struct utimbuf old = { time(NULL) - CAP_DOTLOCK_STALE_SECONDS - 60,
                         time(NULL) - CAP_DOTLOCK_STALE_SECONDS - 60 };
  utime(lock, &old);
  TAP_INT(deliver_text("Subject: b\n\n", box, "s@x", &failure), 0,
          "mbox: a dotlock older than the stale age is broken");
  /* A live dotlock: waited for until its holder removes it. */
  snprintf(text, sizeof text, "%ld\n", (long) getpid());
  spit(lock, text);
  pid_t holder = fork();
  if (holder == 0) {
    usleep(200000);
    unlink(lock);
    _exit(0);
  }
  TAP_INT(deliver_text("Subject: c\n\n", box, "s@x", &failure), 0,
          "mbox: a live dotlock is waited for");
  waitpid(holder, NULL, 0);
  /* A live fcntl lock: the same. */
  int pipe_fds[2];
  if (pipe(pipe_fds) < 0)
    return;
  holder = fork();
  if (holder == 0) {
    int fd = open(box, O_RDWR);
    struct flock range = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    fcntl(fd, F_SETLKW, &range);
    if (write(pipe_fds[1], "l", 1) != 1)
      _exit(1);
    usleep(200000);
    _exit(0);
  }
  char ready;
  if (read(pipe_fds[0], &ready, 1) != 1)
    ready = 0;
  TAP_INT(deliver_text("Subject: d\n\n", box, "s@x", &failure), 0,
          "mbox: a live fcntl lock is waited for");
  waitpid(holder, NULL, 0);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  got = mbox_without_dates(box);
  TAP_STR(got, "From s@x -\nSubject: a\n\n\nFrom s@x -\nSubject: b\n\n\n"
          "From s@x -\nSubject: c\n\n\nFrom s@x -\nSubject: d\n\n\n",
          "mbox: the four deliveries, in order, each once");
  free(got);

  /* A mail reader rewrites the mbox (new file renamed over it) while we
   * wait for its lock: the message must go into the file the name holds
   * afterwards, not into the unlinked old one. */
  snprintf(box, sizeof box, "%s/rewritten", temp_dir);
  spit(box, "From old Mon Nov 30 00:00:00 2026\nSubject: old\n\n");
  if (pipe(pipe_fds) < 0)
    return;
  holder = fork();
  if (holder == 0) {
    char replacement[800];
    int fd = open(box, O_RDWR);
    struct flock range = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    fcntl(fd, F_SETLKW, &range);
    if (write(pipe_fds[1], "l", 1) != 1)
      _exit(1);
    usleep(200000);              /* the delivery opens the old file, waits */
    snprintf(replacement, sizeof replacement, "%s.new", box);
    spit(replacement, "From kept Mon Nov 30 00:00:00 2026\nSubject: kept\n\n");
    rename(replacement, box);
    _exit(0);                    /* releases the lock on the old file */
  }
  if (read(pipe_fds[0], &ready, 1) != 1)
    ready = 0;
  TAP_INT(deliver_text("Subject: e\n\n", box, "s@x", &failure), 0,
          "mbox: delivered while the mbox was replaced");
  waitpid(holder, NULL, 0);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  got = mbox_without_dates(box);
  TAP_STR(got, "From kept -\nSubject: kept\n\nFrom s@x -\nSubject: e\n\n\n",
          "mbox: ... into the file that replaced it");
  free(got);

  snprintf(box, sizeof box, "%s/fifo", temp_dir);
  mkfifo(box, 0600);
  failure.message[0] = '\0';
  TAP_INT(deliver_text("Subject: f\n\n", box, "s@x", &failure), -1,
          "mbox: a FIFO is refused (and does not hang)");
  TAP_OK(strstr(failure.message, "regular") != NULL || strstr(failure.message, "open"),
         "mbox: ... saying why (%s)", failure.message);
  TAP_INT(deliver_text("Subject: f\n\n", "imap://user@host/INBOX", "s@x", &failure), -1,
          "a remote mailbox URL is refused");
}

static void
test_maildir(void)
{
  char box[700], path[1400];
  struct failure failure = { 0 };
  snprintf(box, sizeof box, "maildir:%s/Maildir", temp_dir);
  TAP_INT(deliver_text("From mta@x Mon Nov 30 00:00:00 2026\r\nSubject: m\r\n\r\n"
                       "From x\r\nbinary \001\002 junk", box, "a\nb", &failure), 0,
          "maildir: delivered (created)");
  char file[2000];
  snprintf(path, sizeof path, "%s/Maildir/new", temp_dir);
  TAP_INT(entries(path, 0, file, sizeof file), 1, "maildir: one file in new/");
  char *text = slurp(file, NULL);
  TAP_STR(text, "Subject: m\n\nFrom x\nbinary \001\002 junk",
          "maildir: the message's bytes (no From line, LF, no quoting)");
  free(text);
  snprintf(path, sizeof path, "%s/Maildir/tmp", temp_dir);
  TAP_INT(entries(path, 0, NULL, 0), 0, "maildir: tmp/ left empty");
}

static void
test_mh(void)
{
  char folder[700], path[800];
  struct failure failure = { 0 };
  snprintf(folder, sizeof folder, "%s/mh", temp_dir);
  mkdir(folder, 0700);
  snprintf(path, sizeof path, "%s/7", folder);
  spit(path, "Subject: seven\n\n");
  snprintf(path, sizeof path, "%s/12x", folder);
  spit(path, "not a message\n");
  snprintf(path, sizeof path, "%s/1234567890", folder);
  spit(path, "ten digits: not a message number here\n");
  TAP_INT(deliver_text("Subject: eight\n\n", folder, "", &failure), 0,
          "MH: an existing folder (plain directory) delivered to");
  TAP_INT(deliver_text("Subject: nine\r\n\r\n", folder, "", &failure), 0,
          "MH: a second message");
  snprintf(path, sizeof path, "%s/8", folder);
  char *text = slurp(path, NULL);
  TAP_STR(text, "Subject: eight\n\n", "MH: message 8 after 7");
  free(text);
  snprintf(path, sizeof path, "%s/9", folder);
  text = slurp(path, NULL);
  TAP_STR(text, "Subject: nine\n\n", "MH: message 9 (CRLF made LF)");
  free(text);
  TAP_INT(entries(folder, 1, NULL, 0), 0, "MH: no temporary file left");
  snprintf(folder, sizeof folder, "mh:%s/newmh", temp_dir);
  TAP_INT(deliver_text("Subject: one\n\n", folder, "", &failure), 0,
          "MH: mh: URL creates the folder");
  snprintf(path, sizeof path, "%s/newmh/1", temp_dir);
  TAP_OK(access(path, F_OK) == 0, "MH: ... as message 1");
}

static void
test_partial(void)
{
  struct input input;
  struct failure failure = { 0 };
  char box[700];
  snprintf(box, sizeof box, "%s/partial", temp_dir);
  input_from_buffer("Subject: x\n\n", 12, &input, &failure);
  input.partial = 1;
  TAP_INT(deliver_to_mailbox(&input, box, "", &failure), -1,
          "an input only partly kept is never delivered");
  input_free(&input);
  TAP_OK(access(box, F_OK) < 0, "... and nothing is written");
}

int
main(void)
{
  const char *tmp = getenv("TMPDIR");
  snprintf(temp_dir, sizeof temp_dir, "%s/test-deliver.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(temp_dir)) {
    perror("mkdtemp");
    return 1;
  }
  test_quoting();
  test_sender();
  test_mbox();
  test_maildir();
  test_mh();
  test_partial();
  nftw(temp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  return tap_done();
}
