/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-store-backends.c: the two backends behind store.h answer alike.
 *
 * One table of operations (records, lookups one by one and all at once,
 * the caps, the marks, stats, dump, read-only handles) runs against a GDBM
 * file and against a private redis-server started here on a unix socket in
 * a mkdtemp() directory (never a shared one), and each answer is checked
 * to be the one store.h documents. Then what only Redis has: a namespace
 * keeps stores apart, a refused password and a server gone are the
 * documented failures. The Redis half is skipped (# SKIP, loudly) when the
 * program was built without Redis or redis-server is not installed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "failure.h"
#include "store.h"
#include "../tap.h"

static char base_dir[1024];
static time_t now;

/* ---- a private redis-server -------------------------------------------- */

static pid_t redis_pid = -1;
static char redis_socket[1200];

/* redis-server from PATH, or Debian's place. */
static bool
find_redis_server(char *path, size_t size)
{
  const char *search = getenv("PATH");
  char *copy = strdup(search ? search : "");
  bool found = false;
  for (char *dir = strtok(copy, ":"); dir && !found; dir = strtok(NULL, ":")) {
    snprintf(path, size, "%s/redis-server", dir);
    found = access(path, X_OK) == 0;
  }
  free(copy);
  if (!found) {
    snprintf(path, size, "/usr/bin/redis-server");
    found = access(path, X_OK) == 0;
  }
  return found;
}

static bool
socket_accepts(const char *path)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof address.sun_path)
    return false;
  strcpy(address.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  bool accepted = connect(fd, (struct sockaddr *) &address, sizeof address) == 0;
  close(fd);
  return accepted;
}

static bool
start_redis(const char *server, const char *password)
{
  char directory[1100];
  snprintf(directory, sizeof directory, "%s/redis", base_dir);
  snprintf(redis_socket, sizeof redis_socket, "%s/sock", directory);
  mkdir(directory, 0700);
  redis_pid = fork();
  if (redis_pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    if (password)
      execl(server, "redis-server", "--port", "0", "--unixsocket", redis_socket,
            "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
            "--dir", directory, "--requirepass", password, (char *) NULL);
    else
      execl(server, "redis-server", "--port", "0", "--unixsocket", redis_socket,
            "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
            "--dir", directory, (char *) NULL);
    _exit(127);
  }
  if (redis_pid < 0)
    return false;
  /* Ready when a connection is accepted: the socket file appears at bind(),
   * before listen(), and a connect in between is refused. */
  for (int i = 0; i < 1200; i++) {
    if (socket_accepts(redis_socket))
      return true;
    if (waitpid(redis_pid, NULL, WNOHANG) == redis_pid) {
      redis_pid = -1;
      return false;
    }
    struct timespec pause = { 0, 25 * 1000000L };
    nanosleep(&pause, NULL);
  }
  return false;
}

static void
stop_redis(void)
{
  if (redis_pid > 0) {
    kill(redis_pid, SIGTERM);
    waitpid(redis_pid, NULL, 0);
    redis_pid = -1;
  }
  unlink(redis_socket);
}

/* ---- the shared table -------------------------------------------------- */

enum step_kind {
  ADD_MSGID, ADD_RECIPIENT,
};

struct add_step {
  enum step_kind kind;
  const char *name;
  long age;                 /* recorded `age` seconds ago */
  int want;                 /* 0 or -1 */
  enum failure_class want_class;
};

static char over_cap_id[CAP_ID_BYTES + 2];

static const struct add_step adds[] = {
  { ADD_MSGID, "first.1@example.org", 300, 0, FAILURE_NONE },
  { ADD_RECIPIENT, "Bob@Example.NET", 200, 0, FAILURE_NONE },
  { ADD_MSGID, "with space\\and \"quotes\"@example.org", 100, 0, FAILURE_NONE },
  { ADD_MSGID, "", 100, -1, FAILURE_INPUT },
  { ADD_MSGID, over_cap_id, 100, -1, FAILURE_LIMIT },
  { ADD_RECIPIENT, "carol@example.net", 50, 0, FAILURE_NONE },
};

struct lookup {
  enum store_entry entry;
  const char *name;
  int found;
  long age;                 /* when found */
};

static const struct lookup lookups[] = {
  { STORE_ENTRY_MSGID, "first.1@example.org", 1, 300 },
  { STORE_ENTRY_RECIPIENT, "bob@example.net", 1, 200 },
  { STORE_ENTRY_RECIPIENT, "BOB@EXAMPLE.NET", 1, 200 },
  { STORE_ENTRY_MSGID, "FIRST.1@example.org", 0, 0 },   /* IDs keep their case */
  { STORE_ENTRY_MSGID, "with space\\and \"quotes\"@example.org", 1, 100 },
  { STORE_ENTRY_MSGID, "never@example.org", 0, 0 },
  { STORE_ENTRY_MSGID, "", 0, 0 },
  { STORE_ENTRY_MSGID, over_cap_id, 0, 0 },
  { STORE_ENTRY_RECIPIENT, "carol@example.net", 1, 50 },
  { STORE_ENTRY_SINCE, NULL, 1, 300 },                  /* the first record */
};
#define LOOKUP_COUNT (sizeof lookups / sizeof lookups[0])

static void
run_table(const char *label, const char *path,
          const struct store_options *options)
{
  struct failure failure = { 0 };
  struct sent_store *store = NULL;
  if (sent_store_open_with(&store, path, STORE_WRITE, options, &failure) != 0) {
    TAP_OK(0, "%s: open for writing: %s", label, failure.message);
    return;
  }
  for (size_t i = 0; i < sizeof adds / sizeof adds[0]; i++) {
    const struct add_step *step = &adds[i];
    memset(&failure, 0, sizeof failure);
    time_t when = now - step->age;
    int result = step->kind == ADD_MSGID
                 ? sent_store_add_msgid(store, step->name, when, &failure)
                 : sent_store_add_recipient(store, step->name, when, &failure);
    TAP_INT(result, step->want, "%s: add %.40s", label, step->name);
    if (step->want < 0)
      TAP_INT(failure.class, step->want_class, "%s: ... refused as %s", label,
              failure_class_name(step->want_class));
  }
  sent_store_close(&store);

  if (sent_store_open_with(&store, path, STORE_READ, options, &failure) != 0) {
    TAP_OK(0, "%s: open for reading: %s", label, failure.message);
    return;
  }
  /* One by one. */
  for (size_t i = 0; i < LOOKUP_COUNT; i++) {
    const struct lookup *l = &lookups[i];
    time_t when = 0;
    int found = l->entry == STORE_ENTRY_MSGID
                ? sent_store_find_msgid(store, l->name, &when, &failure)
                : l->entry == STORE_ENTRY_RECIPIENT
                ? sent_store_find_recipient(store, l->name, &when, &failure)
                : sent_store_since(store, &when, &failure);
    TAP_INT(found, l->found, "%s: find %.40s", label, l->name ? l->name : "!since");
    if (l->found)
      TAP_INT(when, now - l->age, "%s: ... its time", label);
  }
  /* All at once, twice (the second from the same handle). */
  for (int round = 0; round < 2; round++) {
    struct store_query queries[LOOKUP_COUNT];
    for (size_t i = 0; i < LOOKUP_COUNT; i++)
      queries[i] = (struct store_query) { .entry = lookups[i].entry,
                                          .name = lookups[i].name,
                                          .found = -7 };
    TAP_INT(sent_store_find_all(store, queries, LOOKUP_COUNT, &failure), 0,
            "%s: find_all round %d", label, round + 1);
    bool same = true;
    for (size_t i = 0; i < LOOKUP_COUNT; i++)
      if (queries[i].found != lookups[i].found
          || (lookups[i].found && queries[i].when != now - lookups[i].age)) {
        same = false;
        printf("#   query %zu: found %d when %lld\n", i, queries[i].found,
               (long long) queries[i].when);
      }
    TAP_OK(same, "%s: find_all round %d answers as the single lookups", label,
           round + 1);
  }
  TAP_INT(sent_store_find_all(store, NULL, 0, &failure), 0,
          "%s: find_all of nothing", label);
  TAP_INT(sent_store_add_msgid(store, "ro@example.org", now, &failure), -1,
          "%s: a read-only handle does not record", label);

  struct store_stats stats;
  TAP_INT(sent_store_stats(store, &stats, &failure), 0, "%s: stats", label);
  TAP_INT(stats.msgids, 2, "%s: stats: 2 IDs", label);
  TAP_INT(stats.recipients, 2, "%s: stats: 2 recipients", label);
  TAP_INT(stats.oldest, now - 300, "%s: stats: oldest", label);
  TAP_INT(stats.newest, now - 50, "%s: stats: newest", label);
  TAP_INT(stats.since, now - 300, "%s: stats: since", label);

  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&text, &size);
  TAP_INT(sent_store_dump(store, out, &failure), 0, "%s: dump", label);
  fclose(out);
  static const char *const wanted[] = {
    " msgid first.1@example.org\n", " recipient bob@example.net\n",
    " msgid with\\x20space\\x5cand\\x20\"quotes\"@example.org\n",
    " recipient carol@example.net\n", " since\n",
  };
  for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
    TAP_OK(text && strstr(text, wanted[i]), "%s: dump has '%.*s'", label,
           (int) strlen(wanted[i]) - 1, wanted[i]);
  size_t lines = 0;
  for (const char *c = text; c && *c; c++)
    lines += *c == '\n';
  TAP_INT(lines, 5, "%s: dump: one line an entry", label);
  free(text);
  sent_store_close(&store);
}

/* ---- what only Redis has ----------------------------------------------- */

static void
redis_only(const char *url)
{
  struct failure failure = { 0 };
  struct sent_store *store = NULL;
  struct store_options other = { .namespace = "other", .ttl = 30L * 86400 };
  TAP_INT(sent_store_open_with(&store, url, STORE_READ, &other, &failure), 0,
          "redis: another namespace opens");
  TAP_INT(sent_store_find_msgid(store, "first.1@example.org", NULL, &failure),
          0, "redis: another namespace does not see the first");
  TAP_INT(sent_store_expires_itself(store), 1, "redis: expires entries itself");
  size_t removed = 99;
  sent_store_close(&store);
  TAP_INT(sent_store_open_with(&store, url, STORE_WRITE, &other, &failure), 0,
          "redis: another namespace opens for writing");
  TAP_INT(sent_store_expire(store, now, &removed, &failure), 0,
          "redis: expire has nothing to do");
  TAP_INT(removed, 0, "redis: ... and removes nothing");
  /* An entry older than the TTL is not stored: expire would remove it. */
  TAP_INT(sent_store_add_msgid(store, "too-old@example.org", now - 31L * 86400,
                               &failure), 0, "redis: an entry past its TTL");
  TAP_INT(sent_store_find_msgid(store, "too-old@example.org", NULL, &failure),
          0, "redis: ... is not kept");
  TAP_STR(sent_store_backend(store), "redis", "redis: backend name");
  sent_store_close(&store);

  stop_redis();
  memset(&failure, 0, sizeof failure);
  TAP_INT(sent_store_open_with(&store, url, STORE_READ, &other, &failure), -1,
          "redis: a server gone is an error");
  TAP_INT(failure.class, FAILURE_LOCKED, "redis: ... a temporary one: %s",
          failure.message);
}

static void
redis_password(const char *server)
{
  if (!start_redis(server, "right-password")) {
    TAP_OK(0, "redis: a server with a password starts");
    return;
  }
  char url[1300];
  snprintf(url, sizeof url, "redis+unix://%s", redis_socket);
  struct failure failure = { 0 };
  struct sent_store *store = NULL;
  struct store_options options = { .password = "right-password",
                                   .ttl = 30L * 86400 };
  TAP_INT(sent_store_open_with(&store, url, STORE_WRITE, &options, &failure), 0,
          "redis AUTH: opens");
  TAP_INT(sent_store_add_msgid(store, "auth@example.org", now, &failure), 0,
          "redis AUTH: records with the right password");
  sent_store_close(&store);
  options.password = "wrong-password";
  sent_store_open_with(&store, url, STORE_READ, &options, &failure);
  TAP_INT(sent_store_find_msgid(store, "auth@example.org", NULL, &failure), -1,
          "redis AUTH: a wrong password fails the lookup");
  TAP_OK(strstr(failure.message, "WRONGPASS") != NULL,
         "redis AUTH: ... saying WRONGPASS: %s", failure.message);
  TAP_INT(failure.class, FAILURE_STORE, "redis AUTH: ... not a temporary failure");
  TAP_INT(sent_store_since(store, NULL, &failure), -1,
          "redis AUTH: and every later call");
  TAP_OK(strstr(failure.message, "WRONGPASS") != NULL,
         "redis AUTH: ... the same way: %s", failure.message);
  TAP_OK(strstr(failure.message, "wrong-password") == NULL,
         "redis AUTH: the password is never in a message");
  sent_store_close(&store);
  stop_redis();
}

static int
remove_entry(const char *path, const struct stat *info, int flag,
             struct FTW *ftw)
{
  (void) info, (void) flag, (void) ftw;
  return remove(path);
}

int
main(void)
{
  const char *tmp = getenv("TMPDIR");
  snprintf(base_dir, sizeof base_dir, "%s/bsf-backends.XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(base_dir)) {
    perror("mkdtemp");
    return 1;
  }
  now = time(NULL);
  memset(over_cap_id, 'x', CAP_ID_BYTES + 1);
  over_cap_id[CAP_ID_BYTES - 12] = '@';

  char gdbm_path[1200];
  snprintf(gdbm_path, sizeof gdbm_path, "%s/gdbm/sent.db", base_dir);
  struct store_options gdbm_options = { .lock_wait_ms = 1000 };
  run_table("gdbm", gdbm_path, &gdbm_options);

  char server[4096];
  const char *skip = NULL;
  if (!strstr(sent_store_backends(), "redis"))
    skip = "built without Redis (configure --with-redis, libhiredis-dev)";
  else if (!find_redis_server(server, sizeof server))
    skip = "redis-server not installed (Debian redis-server)";
  if (skip) {
    printf("ok %d - redis: the same table # SKIP %s\n", ++tap_count, skip);
  } else if (!start_redis(server, NULL)) {
    TAP_OK(0, "redis: a private redis-server starts");
  } else {
    char url[1300];
    snprintf(url, sizeof url, "redis+unix://%s", redis_socket);
    struct store_options redis_options = { .namespace = "unit",
                                           .ttl = 30L * 86400 };
    run_table("redis", url, &redis_options);
    redis_only(url);
    redis_password(server);
  }
  stop_redis();
  nftw(base_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  return tap_done();
}
