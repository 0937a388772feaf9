/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-record.c: recording a header block (Message-ID, To/Cc/Bcc and
 * Resent-* lists with quoted names, groups, comments and folding, envelope
 * recipients, the recipient cap, a read-only store) and importing a small
 * mbox, maildir and MH folder, and the files of a maildir and an MH folder
 * that are not messages (tmp/, dot files, links, directories, unnumbered
 * files) or cannot be read. Everything lives in a mkdtemp() directory
 * under $TMPDIR (or /tmp), removed at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "caps.h"
#include "record.h"
#include "store.h"
#include "muplugin.h"
#include "../tap.h"

static char temp_dir[512];
static char store_path[600];
static const time_t NOW = 1795000000;      /* a fixed clock, never time() */

/* libmu_maildir 3.15 leaks 112 bytes per message scanned, even in a
 * program that only opens, counts, closes and destroys a maildir (checked
 * with a six-line program). Not ours to fix: keep LeakSanitizer quiet about
 * that library only, so any leak of our own still fails the test. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
  return "leak:libmu_maildir.so\n";
}

/* ---------------------------------------------------------- fixtures */

static int
remove_entry(const char *path, const struct stat *info, int type, struct FTW *ftw)
{
  (void) info, (void) type, (void) ftw;
  return remove(path);
}

static int
write_file(const char *dir, const char *name, const char *text)
{
  char path[2048];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *file = fopen(path, "w");
  if (!file)
    return -1;
  fputs(text, file);
  return fclose(file);
}

static int
make_dir(const char *parent, const char *name, char *out, size_t size)
{
  snprintf(out, size, "%s/%s", parent, name);
  return mkdir(out, 0700);
}

/* ------------------------------------------------------ record_header */

struct header_case {
  const char *what;
  const char *header;
  const char *envelope[3];
  const char *msgid;               /* expected in the store, or NULL */
  const char *present[8];          /* addresses that must be found */
  const char *absent[4];           /* addresses that must not be */
  size_t recipients, msgids, skipped;
};

static const struct header_case header_cases[] = {
  { "quoted names with commas, groups, comments",
    "Message-ID: <Abc.1@Example.ORG>\n"
    "From: Me <me@self.example>\n"
    "To: \"Smith, John\" <john@x.example>, bob@y.example (Bob, the builder)\n"
    "Cc: Friends: a@f.example, \"B\" <b@f.example>;, (c@wrong.example) c@f.example\n"
    "Bcc: <Hidden@Z.example>\n"
    "Subject: x\n"
    "\n"
    "To: nope@body.example\n",
    { NULL }, "Abc.1@example.org",
    { "john@x.example", "bob@y.example", "a@f.example", "b@f.example",
      "c@f.example", "hidden@z.example" },
    { "c@wrong.example", "nope@body.example", "me@self.example", "smith" },
    6, 1, 0 },
  { "folding, CRLF, escaped quotes, Resent-*, second Message-ID",
    "Message-ID: not-an-id\r\n"
    "To: Alice\r\n <alice@x.example>,\r\n\t\"Q \\\"x, y@no.example\\\" \" <q@x.example>\r\n"
    "Resent-To: r@x.example\r\n"
    "resent-cc: <rc@x.example>\r\n"
    "RESENT-BCC: rb@x.example\r\n"
    "Message-ID: <second@x.example>\r\n"
    "\r\n",
    { NULL }, "second@x.example",
    { "alice@x.example", "q@x.example", "r@x.example", "rc@x.example",
      "rb@x.example" },
    { "y@no.example" },
    5, 1, 0 },
  { "a display name holding a fake address",
    "To: \"bob@fake.example <x@fake.example>\" <real@x.example>,\n"
    "  \"e@v.example\" (x@c.example)\n",
    { NULL }, NULL,
    { "real@x.example", "e@v.example" },
    { "bob@fake.example", "x@fake.example", "x@c.example" },
    2, 0, 0 },
  { "envelope recipients only",
    "Subject: hi\n",
    { "<Env@X.example>", "rfc822; other@x.example", NULL }, NULL,
    { "env@x.example", "other@x.example" }, { NULL },
    2, 0, 0 },
  { "neither ID nor recipients",
    "Subject: hi\nFrom: me@x.example\nTo: undisclosed-recipients:;\n",
    { NULL }, NULL, { NULL }, { "me@x.example" },
    0, 0, 1 },
  { "ID only",
    "Message-ID: <only@x.example>\n",
    { NULL }, "only@x.example", { NULL }, { NULL },
    0, 1, 0 },
};

static void
test_record_header(struct sent_store *store)
{
  struct failure failure = { 0 };

  for (size_t i = 0; i < sizeof header_cases / sizeof header_cases[0]; i++) {
    const struct header_case *c = &header_cases[i];
    struct record_counts counts = { 0 };
    size_t envelope_count = 0;
    while (envelope_count < 3 && c->envelope[envelope_count])
      envelope_count++;
    int status = record_header(store, c->header, strlen(c->header), c->envelope,
                               envelope_count, NOW, &counts, &failure);
    TAP_INT(status, 0, "%s: returns 0", c->what);
    TAP_INT(counts.messages, 1, "%s: one message", c->what);
    TAP_INT(counts.recipients, c->recipients, "%s: recipients", c->what);
    TAP_INT(counts.msgids, c->msgids, "%s: msgids", c->what);
    TAP_INT(counts.skipped, c->skipped, "%s: skipped", c->what);
    if (c->msgid) {
      time_t when = 0;
      TAP_INT(sent_store_find_msgid(store, c->msgid, &when, &failure), 1,
              "%s: ID %s recorded", c->what, c->msgid);
      TAP_INT(when, NOW, "%s: ID recorded at the given time", c->what);
    }
    for (size_t j = 0; j < 8 && c->present[j]; j++) {
      time_t when = 0;
      TAP_INT(sent_store_find_recipient(store, c->present[j], &when, &failure), 1,
              "%s: %s recorded", c->what, c->present[j]);
      TAP_INT(when, NOW, "%s: %s at the given time", c->what, c->present[j]);
    }
    for (size_t j = 0; j < 4 && c->absent[j]; j++)
      TAP_INT(sent_store_find_recipient(store, c->absent[j], NULL, &failure), 0,
              "%s: %s not recorded", c->what, c->absent[j]);
  }
}

/* More recipients than CAP_RECORD_RECIPIENTS: the envelope ones survive. */
static void
test_recipient_cap(struct sent_store *store)
{
  size_t count = CAP_RECORD_RECIPIENTS + 200;
  size_t size = 16 + count * 24;
  char *header = malloc(size);
  struct record_counts counts = { 0 };
  struct failure failure = { 0 };
  const char *envelope[] = { "cap-envelope@x.example" };

  if (!header) {
    TAP_OK(0, "recipient cap: out of memory in the test");
    return;
  }
  size_t used = (size_t) snprintf(header, size, "To: ");
  for (size_t i = 0; i < count; i++)
    used += (size_t) snprintf(header + used, size - used, "%su%zu@cap.example",
                              i ? ",\n " : "", i);
  snprintf(header + used, size - used, "\n");
  TAP_INT(record_header(store, header, strlen(header), envelope, 1, NOW, &counts,
                        &failure), 0, "recipient cap: returns 0");
  TAP_INT(counts.recipients, CAP_RECORD_RECIPIENTS, "recipient cap: %d recorded",
          CAP_RECORD_RECIPIENTS);
  TAP_INT(sent_store_find_recipient(store, "cap-envelope@x.example", NULL, &failure),
          1, "recipient cap: envelope recipient recorded");
  TAP_INT(sent_store_find_recipient(store, "u0@cap.example", NULL, &failure), 1,
          "recipient cap: first header recipient recorded");
  char last[64];
  snprintf(last, sizeof last, "u%zu@cap.example", count - 1);
  TAP_INT(sent_store_find_recipient(store, last, NULL, &failure), 0,
          "recipient cap: recipients past the cap not recorded");
  free(header);
}

static void
test_read_only_store(void)
{
  struct sent_store *store = NULL;
  struct failure failure = { 0 };
  struct record_counts counts = { 0 };
  static const char header[] = "Message-ID: <ro@x.example>\nTo: ro@x.example\n";

  if (sent_store_open(&store, store_path, STORE_READ, 1000, &failure) != 0) {
    TAP_OK(0, "read-only store: open (%s)", failure.message);
    return;
  }
  TAP_INT(record_header(store, header, sizeof header - 1, NULL, 0, NOW, &counts,
                        &failure), -1, "read-only store: returns -1");
  TAP_INT(failure.class, FAILURE_STORE, "read-only store: FAILURE_STORE");
  TAP_INT(counts.msgids + counts.skipped, 0, "read-only store: nothing counted");
  sent_store_close(&store);
}

/* record_mailbox() into an open store, holding its lock throughout. */
static int
import_mailbox(struct sent_store *store, const char *mailbox,
               record_progress_fn progress, void *cookie,
               struct record_counts *counts, struct failure *failure)
{
  struct import_session session = { .store = store, .now = NOW };
  int status = import_session_open(&session, failure);
  if (status == 0)
    status = record_mailbox(&session, mailbox, progress, cookie, counts, failure);
  sent_message_free(&session.message);
  return status;
}

/* ------------------------------------------------------ record_mailbox */

struct progress_log {
  size_t calls, last_done, last_total;
};

static void
note_progress(void *cookie, size_t done, size_t total)
{
  struct progress_log *log = cookie;
  log->calls++;
  log->last_done = done;
  log->last_total = total;
}

#define MESSAGE_FORMAT \
  "From: me@self.example\n" \
  "To: \"Friend %d\" <friend%d@%s.example>\n" \
  "Subject: message %d\n" \
  "Message-ID: <m%d@%s.example>\n" \
  "\n" \
  "Body %d.\n"

static void
format_message(char *out, size_t size, const char *kind, int n)
{
  snprintf(out, size, MESSAGE_FORMAT, n, n, kind, n, n, kind, n);
}

static int
make_mbox(const char *dir, char *path, size_t size)
{
  char text[4096] = "", one[512];
  for (int n = 1; n <= 3; n++) {
    format_message(one, sizeof one, "mbox", n);
    strcat(text, "From me@self.example Mon Nov 23 11:00:00 2026\n");
    strcat(text, one);
    strcat(text, "\n");
  }
  snprintf(path, size, "%s/sent.mbox", dir);
  return write_file(dir, "sent.mbox", text);
}

/* A header line longer than the reader's 8 KB pieces with "From " at the
 * start of the second piece, and a body "From " line after a line of
 * exactly one piece (its "\n" alone is no empty line): neither starts a
 * message. */
static int
make_tricky_mbox(const char *dir, char *path, size_t size)
{
  char text[32768];
  size_t used = (size_t) snprintf(text, sizeof text,
                                  "From me@self.example Mon Nov 23 11:00:00 2026\n"
                                  "Message-ID: <m1@tricky.example>\nTo: (");
  size_t line_start = used - 5;                 /* where "To: (" began */
  while (used - line_start < 8191 - 2)
    text[used++] = 'p';
  used += (size_t) snprintf(text + used, sizeof text - used,
                            ") From friend1@tricky.example\n\n");
  for (int i = 0; i < 8191; i++)
    text[used++] = 'b';
  used += (size_t) snprintf(text + used, sizeof text - used,
                            "\nFrom friend2@tricky.example is quoted\n\n"
                            "From me@self.example Mon Nov 23 11:00:00 2026\n"
                            "To: friend2@tricky.example, friend3@tricky.example\n"
                            "Message-ID: <m2@tricky.example>\n\nbody\n\n"
                            "From me@self.example Mon Nov 23 11:00:00 2026\n"
                            "To: x\nMessage-ID: <m3@tricky.example>\n");
  snprintf(path, size, "%s/tricky.mbox", dir);
  return write_file(dir, "tricky.mbox", text);
}

static int
make_maildir(const char *dir, char *path, size_t size)
{
  char sub[1024], one[512], name[64];
  if (make_dir(dir, "Sent", path, size) != 0)
    return -1;
  if (make_dir(path, "tmp", sub, sizeof sub) != 0
      || make_dir(path, "new", sub, sizeof sub) != 0
      || make_dir(path, "cur", sub, sizeof sub) != 0)
    return -1;
  for (int n = 1; n <= 3; n++) {
    format_message(one, sizeof one, "maildir", n);
    snprintf(name, sizeof name, "179500000%d.M%dP1.host:2,S", n, n);
    if (write_file(sub, name, one) != 0)
      return -1;
  }
  return 0;
}

static int
make_mh(const char *dir, char *path, size_t size)
{
  char one[512], name[16];
  if (make_dir(dir, "mh-sent", path, size) != 0
      || write_file(path, ".mh_sequences", "") != 0)
    return -1;
  for (int n = 1; n <= 3; n++) {
    format_message(one, sizeof one, "mh", n);
    snprintf(name, sizeof name, "%d", n);
    if (write_file(path, name, one) != 0)
      return -1;
  }
  return 0;
}

static void
test_mailboxes(struct sent_store *store)
{
  static const struct {
    const char *kind;
    int (*make)(const char *dir, char *path, size_t size);
    const char *url_prefix;        /* "" for a plain path */
  } cases[] = {
    { "mbox", make_mbox, "" },
    { "maildir", make_maildir, "" },
    { "mh", make_mh, "mh:" },
    { "tricky", make_tricky_mbox, "" },
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char path[1024], name[1100];
    struct record_counts counts = { 0 };
    struct progress_log progress = { 0 };
    struct failure failure = { 0 };
    if (cases[i].make(temp_dir, path, sizeof path) != 0) {
      TAP_OK(0, "%s: fixture (%s)", cases[i].kind, strerror(errno));
      continue;
    }
    snprintf(name, sizeof name, "%s%s", cases[i].url_prefix, path);
    int status = import_mailbox(store, name, note_progress, &progress,
                                &counts, &failure);
    TAP_INT(status, 0, "import %s: returns 0 (%s)", cases[i].kind,
            status ? failure.message : "");
    TAP_INT(counts.messages, 3, "import %s: 3 messages", cases[i].kind);
    TAP_INT(counts.msgids, 3, "import %s: 3 IDs", cases[i].kind);
    TAP_INT(counts.recipients, 3, "import %s: 3 recipients", cases[i].kind);
    TAP_INT(counts.skipped, 0, "import %s: none skipped", cases[i].kind);
    TAP_OK(progress.calls >= 1 && progress.last_done == 3 && progress.last_total == 3,
           "import %s: progress reported at the end", cases[i].kind);
    for (int n = 1; n <= 3; n++) {
      char id[64], address[64];
      snprintf(id, sizeof id, "m%d@%s.example", n, cases[i].kind);
      snprintf(address, sizeof address, "friend%d@%s.example", n, cases[i].kind);
      TAP_INT(sent_store_find_msgid(store, id, NULL, &failure), 1,
              "import %s: %s recorded", cases[i].kind, id);
      TAP_INT(sent_store_find_recipient(store, address, NULL, &failure), 1,
              "import %s: %s recorded", cases[i].kind, address);
    }
  }

  static const char *const missing[] = { "no-such.mbox", "no-such-dir/" };
  for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
    char path[1024];
    struct failure failure = { 0 };
    struct record_counts counts = { 0 };
    snprintf(path, sizeof path, "%s/%s", temp_dir, missing[i]);
    TAP_INT(import_mailbox(store, path, NULL, NULL, &counts, &failure), -1,
            "missing mailbox %s: returns -1", missing[i]);
    TAP_INT(failure.class, FAILURE_INPUT, "missing mailbox %s: FAILURE_INPUT",
            missing[i]);
    TAP_OK(strstr(failure.message, "cannot open mailbox") != NULL,
           "missing mailbox %s: says so (%s)", missing[i], failure.message);
  }
}

/* ------------------------------------- what a folder holds besides mail */

/* A file of the edge fixtures: where, its name, its text; a NULL text
 * makes a directory, a text starting with "->" a symbolic link to it. */
struct fixture_file {
  const char *where;
  const char *name;
  const char *text;
};

#define EDGE_LONG_FIELD_BYTES 20000     /* over the reader's 16 KB pieces */

static char edge_long_header[EDGE_LONG_FIELD_BYTES + 512];

static const struct fixture_file maildir_edge_files[] = {
  { "", "outside.eml", "To: link@edge.example\nMessage-ID: <link@edge.example>\n\n" },
  { "", "Edge", NULL },
  { "Edge", "cur", NULL },
  { "Edge", "new", NULL },
  { "Edge", "tmp", NULL },
  { "Edge/cur", "1.M1.host:2,S",
    "To: friend1@edge.example\nMessage-ID: <e1@edge.example>\n\n"
    "To: body1@edge.example\n" },
  { "Edge/cur", "2.M2.host:2,S",          /* CRLF, like a Dovecot copy */
    "To: friend2@edge.example\r\nMessage-ID: <e2@edge.example>\r\n\r\n"
    "To: body2@edge.example\r\n" },
  { "Edge/new", "3.M3.host",              /* only a header, no final newline */
    "To: friend3@edge.example\nMessage-ID: <e3@edge.example>" },
  { "Edge/new", "4.M4.host", edge_long_header },
  { "Edge/tmp", "5.M5.host", "To: tmp@edge.example\nMessage-ID: <tmp@edge.example>\n\n" },
  { "Edge/cur", ".hidden", "To: dot@edge.example\nMessage-ID: <dot@edge.example>\n\n" },
  { "Edge/cur", "subdir", NULL },
  { "Edge/cur/subdir", "6", "To: sub@edge.example\nMessage-ID: <sub@edge.example>\n\n" },
  { "Edge/cur", "link", "->../../outside.eml" },
  { "Edge/cur", "locked", "To: locked@edge.example\nMessage-ID: <locked@edge.example>\n\n" },
};

static const struct fixture_file mh_edge_files[] = {
  { "", "mh-edge", NULL },
  { "mh-edge", ".mh_sequences", "" },
  { "mh-edge", "1", "To: friend1@mh-edge.example\nMessage-ID: <e1@mh-edge.example>\n\n" },
  { "mh-edge", "12", "To: friend12@mh-edge.example\nMessage-ID: <e12@mh-edge.example>\n\n" },
  { "mh-edge", "notes", "To: notes@mh-edge.example\nMessage-ID: <notes@mh-edge.example>\n\n" },
  { "mh-edge", ",3", "To: deleted@mh-edge.example\nMessage-ID: <deleted@mh-edge.example>\n\n" },
  { "mh-edge", "4x", "To: x@mh-edge.example\nMessage-ID: <x@mh-edge.example>\n\n" },
  { "mh-edge", "5", NULL },
};

static int
make_fixture(const char *root, const struct fixture_file *files, size_t count)
{
  for (size_t i = 0; i < count; i++) {
    char dir[1024], path[2048];
    snprintf(dir, sizeof dir, "%s%s%s", root, *files[i].where ? "/" : "",
             files[i].where);
    snprintf(path, sizeof path, "%s/%s", dir, files[i].name);
    if (!files[i].text) {
      if (mkdir(path, 0700) != 0)
        return -1;
    } else if (strncmp(files[i].text, "->", 2) == 0) {
      if (symlink(files[i].text + 2, path) != 0)
        return -1;
    } else if (write_file(dir, files[i].name, files[i].text) != 0) {
      return -1;
    }
  }
  return 0;
}

static uid_t tree_uid;
static gid_t tree_gid;

static int
chown_entry(const char *path, const struct stat *info, int type, struct FTW *ftw)
{
  (void) info, (void) type, (void) ftw;
  return lchown(path, tree_uid, tree_gid);
}

static int
chown_tree(const char *path, uid_t uid, gid_t gid)
{
  tree_uid = uid;
  tree_gid = gid;
  return nftw(path, chown_entry, 16, FTW_PHYS);
}

struct import_result {
  int status;
  struct record_counts counts;
  struct progress_log progress;
  char message[sizeof ((struct failure *) 0)->message];
};

static void
import_into(const char *mailbox, const char *store_file, struct import_result *result)
{
  struct sent_store *store = NULL;
  struct failure failure = { 0 };
  memset(result, 0, sizeof *result);
  result->status = sent_store_open(&store, store_file, STORE_WRITE, 1000, &failure);
  if (result->status == 0)
    result->status = import_mailbox(store, mailbox, note_progress,
                                    &result->progress, &result->counts, &failure);
  sent_store_close(&store);
  if (result->status != 0)
    memcpy(result->message, failure.message, sizeof result->message);
}

/* Import as a user without privileges: root reads a mode-000 file. As
 * root, the fixture (store included) is lent to "nobody" and the import runs
 * in a child that becomes nobody. 0, or -1 when that cannot be arranged. */
enum { UNPRIVILEGED_ID = 65534 };

static int
import_unprivileged(const char *root, const char *mailbox, const char *store_file,
                    struct import_result *result)
{
  if (geteuid() != 0) {
    import_into(mailbox, store_file, result);
    return 0;
  }
  int channel[2];
  if (chown_tree(root, UNPRIVILEGED_ID, UNPRIVILEGED_ID) != 0
      || chmod(temp_dir, 0711) != 0 || pipe(channel) != 0)
    return -1;
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    close(channel[0]);
    if (setgroups(0, NULL) != 0 || setgid(UNPRIVILEGED_ID) != 0
        || setuid(UNPRIVILEGED_ID) != 0)
      _exit(2);
    import_into(mailbox, store_file, result);
    _exit(write(channel[1], result, sizeof *result) == (ssize_t) sizeof *result
          ? 0 : 1);
  }
  close(channel[1]);
  ssize_t got = child > 0 ? read(channel[0], result, sizeof *result) : -1;
  close(channel[0]);
  int status = -1;
  if (child > 0)
    waitpid(child, &status, 0);
  chmod(temp_dir, 0700);
  if (chown_tree(root, 0, 0) != 0 || got != (ssize_t) sizeof *result || status != 0)
    return -1;
  return 0;
}

static void
test_maildir_edges(void)
{
  char root[1024], mailbox[1100], store_file[1100], locked[1100];
  size_t used = (size_t) snprintf(edge_long_header, sizeof edge_long_header,
                                  "To: friend4@edge.example\nX-Long: ");
  memset(edge_long_header + used, 'x', EDGE_LONG_FIELD_BYTES);
  used += EDGE_LONG_FIELD_BYTES;
  snprintf(edge_long_header + used, sizeof edge_long_header - used,
           "\nMessage-ID: <e4@edge.example>\n\nTo: body4@edge.example\n");

  if (make_dir(temp_dir, "edges", root, sizeof root) != 0
      || make_fixture(root, maildir_edge_files,
                      sizeof maildir_edge_files / sizeof maildir_edge_files[0]) != 0) {
    TAP_OK(0, "maildir edges: fixture (%s)", strerror(errno));
    return;
  }
  snprintf(mailbox, sizeof mailbox, "%s/Edge/", root);
  snprintf(store_file, sizeof store_file, "%s/store/sent.db", root);
  snprintf(locked, sizeof locked, "%s/Edge/cur/locked", root);
  if (chmod(locked, 0) != 0) {
    TAP_OK(0, "maildir edges: chmod %s (%s)", locked, strerror(errno));
    return;
  }

  struct import_result result;
  if (import_unprivileged(root, mailbox, store_file, &result) != 0) {
    TAP_OK(0, "maildir edges: import as an unprivileged user could not be arranged");
    return;
  }
  TAP_INT(result.status, 0, "maildir edges: returns 0 (%s)", result.message);
  TAP_INT(result.counts.messages, 5, "maildir edges: 4 messages in cur/ and new/ "
          "and an unreadable one");
  TAP_INT(result.counts.msgids, 4, "maildir edges: 4 IDs");
  TAP_INT(result.counts.recipients, 4, "maildir edges: 4 recipients");
  TAP_INT(result.counts.unreadable, 1, "maildir edges: 1 unreadable");
  TAP_INT(result.counts.skipped, 1, "maildir edges: the unreadable one skipped");
  TAP_OK(result.progress.last_done == 5 && result.progress.last_total == 5,
         "maildir edges: progress ends at 5/5 (%zu/%zu)", result.progress.last_done,
         result.progress.last_total);

  static const struct { const char *id, *address; int found; const char *why; } expect[] = {
    { "e1@edge.example", "friend1@edge.example", 1, "cur/" },
    { "e2@edge.example", "friend2@edge.example", 1, "CRLF in cur/" },
    { "e3@edge.example", "friend3@edge.example", 1, "header only, in new/" },
    { "e4@edge.example", "friend4@edge.example", 1, "a 20 KB field before it" },
    { NULL, "body1@edge.example", 0, "a body line" },
    { NULL, "body2@edge.example", 0, "a body line after CRLF CRLF" },
    { NULL, "body4@edge.example", 0, "a body line after a long header" },
    { "tmp@edge.example", "tmp@edge.example", 0, "tmp/" },
    { "dot@edge.example", "dot@edge.example", 0, "a dot file" },
    { "sub@edge.example", "sub@edge.example", 0, "a directory in cur/" },
    { "link@edge.example", "link@edge.example", 0, "a link out of the folder" },
    { "locked@edge.example", "locked@edge.example", 0, "an unreadable file" },
  };
  struct sent_store *store = NULL;
  struct failure failure = { 0 };
  if (sent_store_open(&store, store_file, STORE_READ, 1000, &failure) != 0) {
    TAP_OK(0, "maildir edges: open the store: %s", failure.message);
    return;
  }
  for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
    if (expect[i].id)
      TAP_INT(sent_store_find_msgid(store, expect[i].id, NULL, &failure),
              expect[i].found, "maildir edges: %s: %s %s", expect[i].why,
              expect[i].id, expect[i].found ? "recorded" : "not recorded");
    TAP_INT(sent_store_find_recipient(store, expect[i].address, NULL, &failure),
            expect[i].found, "maildir edges: %s: %s %s", expect[i].why,
            expect[i].address, expect[i].found ? "recorded" : "not recorded");
  }
  sent_store_close(&store);
}

static void
test_mh_edges(struct sent_store *store)
{
  char mailbox[1100];
  if (make_fixture(temp_dir, mh_edge_files,
                   sizeof mh_edge_files / sizeof mh_edge_files[0]) != 0) {
    TAP_OK(0, "mh edges: fixture (%s)", strerror(errno));
    return;
  }
  snprintf(mailbox, sizeof mailbox, "mh:%s/mh-edge", temp_dir);
  struct record_counts counts = { 0 };
  struct failure failure = { 0 };
  TAP_INT(import_mailbox(store, mailbox, NULL, NULL, &counts, &failure), 0,
          "mh edges: returns 0 (%s)", failure.message);
  TAP_INT(counts.messages, 2, "mh edges: only the numbered files are messages");
  static const struct { const char *id; int found; } expect[] = {
    { "e1@mh-edge.example", 1 }, { "e12@mh-edge.example", 1 },
    { "notes@mh-edge.example", 0 }, { "deleted@mh-edge.example", 0 },
    { "x@mh-edge.example", 0 },
  };
  for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
    TAP_INT(sent_store_find_msgid(store, expect[i].id, NULL, &failure),
            expect[i].found, "mh edges: %s %s", expect[i].id,
            expect[i].found ? "recorded" : "not recorded");
}

/* The stamp of an imported message, by its Date: read by our own parser
 * (datetime.h), also in RFC 5322's obsolete forms (a three-digit year,
 * which Mailutils reads as the year 101); by the plugin's where ours does
 * not read it (no zone: local time, here UTC); none: the From_ line's;
 * never after now. A store of its own: import moves "since" back. */
static void
test_import_dates(void)
{
  static const char mbox[] =
    "From me@self.example Mon Nov 16 11:00:00 2026\n"
    "Date: Tue, 17 Nov 2026 10:00:00 +0100 (CET)\n"
    "To: d1@dates.example\nMessage-ID: <d1@dates.example>\n\nbody\n\n"
    "From me@self.example Mon Nov 16 11:00:00 2026\n"
    "Date: Mon,  2 Apr 101 04:20:10 CST\n"
    "To: d2@dates.example\nMessage-ID: <d2@dates.example>\n\nbody\n\n"
    "From me@self.example Mon Nov 16 11:00:00 2026\n"
    "Date: Tue, 17 Nov 2026 10:00:00\n"
    "To: d3@dates.example\nMessage-ID: <d3@dates.example>\n\nbody\n\n"
    "From me@self.example Mon Nov 16 11:00:00 2026\n"
    "To: d4@dates.example\nMessage-ID: <d4@dates.example>\n\nbody\n\n"
    "From me@self.example Mon Nov 16 11:00:00 2026\n"
    "Date: Fri, 20 Nov 2026 09:30:00 +0000\n"
    "To: d5@dates.example\nMessage-ID: <d5@dates.example>\n\nbody\n";
  static const struct {
    const char *id;
    time_t stamp;
    const char *why;
  } expect[] = {
    { "d1@dates.example", 1794906000, "an RFC 5322 Date with a comment: ours" },
    { "d2@dates.example", 986206810, "a three-digit year (2001, RFC 5322 4.3): ours" },
    { "d3@dates.example", 1794909600, "no zone: the plugin's, in local time" },
    { "d4@dates.example", 1794826800, "no Date: the From_ line's" },
    { "d5@dates.example", NOW, "a Date after now: now" },
  };
  char path[1100], store_file[1100];
  struct sent_store *store = NULL;
  struct failure failure = { 0 };
  struct record_counts counts = { 0 };
  snprintf(path, sizeof path, "%s/dates.mbox", temp_dir);
  snprintf(store_file, sizeof store_file, "%s/dates.db", temp_dir);
  if (write_file(temp_dir, "dates.mbox", mbox) != 0
      || sent_store_open(&store, store_file, STORE_WRITE, 1000, &failure) != 0) {
    TAP_OK(0, "import dates: fixture (%s)", failure.message);
    return;
  }
  setenv("TZ", "UTC0", 1);
  tzset();
  TAP_INT(import_mailbox(store, path, NULL, NULL, &counts, &failure), 0,
          "import dates: returns 0 (%s)", failure.message);
  unsetenv("TZ");
  tzset();
  for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
    time_t when = 0;
    TAP_INT(sent_store_find_msgid(store, expect[i].id, &when, &failure), 1,
            "import dates: %s recorded", expect[i].id);
    TAP_INT(when, expect[i].stamp, "import dates: %s", expect[i].why);
  }
  sent_store_close(&store);
}

/* A maildir whose cur/ cannot be read is an error for the whole mailbox. */
static void
test_unreadable_part(void)
{
  char root[1024], sub[1100], mailbox[1100], store_file[1100];
  if (make_dir(temp_dir, "blocked", root, sizeof root) != 0
      || make_dir(root, "Box", mailbox, sizeof mailbox) != 0
      || make_dir(mailbox, "tmp", sub, sizeof sub) != 0
      || make_dir(mailbox, "new", sub, sizeof sub) != 0
      || make_dir(mailbox, "cur", sub, sizeof sub) != 0
      || chmod(sub, 0) != 0) {
    TAP_OK(0, "unreadable cur/: fixture (%s)", strerror(errno));
    return;
  }
  snprintf(store_file, sizeof store_file, "%s/store/sent.db", root);
  struct import_result result;
  if (import_unprivileged(root, mailbox, store_file, &result) != 0) {
    TAP_OK(0, "unreadable cur/: import as an unprivileged user could not be arranged");
    return;
  }
  TAP_INT(result.status, -1, "unreadable cur/: returns -1");
  TAP_OK(strstr(result.message, "cannot read mailbox") && strstr(result.message, "cur"),
         "unreadable cur/: says which (%s)", result.message);
  chmod(sub, 0700);
}

int
main(void)
{
  /* The plugin's sources are linked in: its table, without dlopen(). */
  muplugin_use(&backscatter_filter_mailutils);
  const char *tmp = getenv("TMPDIR");
  struct sent_store *store = NULL;
  struct failure failure = { 0 };

  snprintf(temp_dir, sizeof temp_dir, "%s/test-record.XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(temp_dir)) {
    TAP_OK(0, "mkdtemp %s: %s", temp_dir, strerror(errno));
    return tap_done();
  }
  snprintf(store_path, sizeof store_path, "%s/store/sent.db", temp_dir);
  if (sent_store_open(&store, store_path, STORE_WRITE, 1000, &failure) != 0) {
    TAP_OK(0, "open the store: %s", failure.message);
  } else {
    test_record_header(store);
    test_recipient_cap(store);
    test_mailboxes(store);
    test_mh_edges(store);
    sent_store_close(&store);
    test_maildir_edges();
    test_import_dates();
    test_unreadable_part();
    test_read_only_store();
  }
  nftw(temp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  return tap_done();
}
