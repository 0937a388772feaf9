/* SPDX-License-Identifier: GPL-3.0-or-later */
/* store-redis.c: the Redis (or Valkey) backend of the sent store, for a
 * store shared by many hosts: the relay records, every mailbox host checks.
 * Built only when hiredis is found (configure --with-redis).
 *
 * Keys are the GDBM backend's ("m:ID", "r:ADDRESS", "!since") behind
 * "NAMESPACE:", values the same decimal times. Every entry but "!since"
 * is written with SET ... EX (what is left of the TTL counted from its
 * time), so Redis expires it and `expire` has nothing to do.
 *
 * Round trips: opening connects and queues AUTH and SELECT without reading
 * their replies; the first command's reply is read after them, so a check
 * costs the connection and one round trip: one MGET for every referenced
 * ID, every failed recipient and the marks "!since" and "!last" (kept for
 * later lookups of the same handle). A record costs one round trip per
 * entry (its SET and, once a session, "!since" SET NX, pipelined).
 *
 * Failures: connecting and every command are bounded by the timeout
 * (SO_RCVTIMEO/SO_SNDTIMEO through redisSetTimeout). A server that cannot
 * be reached, times out, drops the connection or answers LOADING, BUSY,
 * MASTERDOWN, READONLY, TRYAGAIN or OOM is a temporary failure
 * (FAILURE_LOCKED, like a GDBM lock not obtained: record journals or
 * answers 75); any other error reply (NOAUTH, WRONGPASS, a database out of
 * range) is FAILURE_STORE. After an I/O error the connection is dead:
 * every later call fails at once. SIGPIPE is blocked around every call that
 * writes, so a server that went away is an error, never the end of us.
 *
 * Limits: a lookup sends at most the caller's queries (the caps of
 * references.h bound them); dump and stats walk with SCAN ... COUNT
 * SCAN_BATCH and read the values with one MGET a batch, so memory stays
 * flat whatever the size of the store. SCAN may return a key twice (when
 * Redis rehashes during the walk): dump may then list it twice and stats
 * count it twice.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis.h>

#include "store.h"
#include "store-backend.h"

#define SCAN_BATCH           1000
#define VALUE_MAX_BYTES      20
/* The longest namespace, ':' and a key. */
#define FULL_KEY_MAX_BYTES   (STORE_NAMESPACE_MAX_BYTES + 1 + STORE_KEY_MAX_BYTES)

struct redis_store {
  redisContext *context;
  char prefix[STORE_NAMESPACE_MAX_BYTES + 2];   /* "NAMESPACE:" */
  size_t prefix_length;
  time_t ttl;
  int pending;              /* replies of AUTH/SELECT not read yet */
  bool since_set;           /* "!since" SET NX sent this session */
  /* The marks, fetched with the first lookup (one round trip for a
   * check's lookups and its "!last"), valid for this short-lived handle. */
  bool marks_known;
  struct store_query marks[2];          /* "!since", "!last" */
  /* A failed handshake (AUTH, SELECT) fails every later call the same way,
   * rather than with the NOAUTH answers that follow it. */
  bool broken;
  struct failure broken_failure;
};

/* ---- SIGPIPE ---------------------------------------------------------- */

/* hiredis writes with write(2): to a server that went away that raises
 * SIGPIPE, whose default action ends the process mid-delivery. Block it
 * around our calls and discard one we caused. */
struct pipe_guard {
  sigset_t previous;
  bool was_pending;
};

static void
guard_begin(struct pipe_guard *guard)
{
  sigset_t pipe_only, pending;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigpending(&pending);
  guard->was_pending = sigismember(&pending, SIGPIPE) == 1;
  sigprocmask(SIG_BLOCK, &pipe_only, &guard->previous);
}

static void
guard_end(struct pipe_guard *guard)
{
  sigset_t pipe_only, pending;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  if (!guard->was_pending && sigpending(&pending) == 0
      && sigismember(&pending, SIGPIPE) == 1) {
    struct timespec none = { 0, 0 };
    while (sigtimedwait(&pipe_only, NULL, &none) < 0 && errno == EINTR)
      ;
  }
  sigprocmask(SIG_SETMASK, &guard->previous, NULL);
}

/* ---- errors ----------------------------------------------------------- */

/* The connection failed (refused, timed out, closed): temporary. */
static int
connection_failure(struct sent_store *store, struct failure *failure,
                   const char *doing)
{
  redisContext *context = store->redis->context;
  const char *why = context && context->err ? context->errstr : "no connection";
  /* hiredis reports a command timeout as EAGAIN's text. */
  if (context && context->err == REDIS_ERR_IO
      && strcmp(context->errstr, strerror(EAGAIN)) == 0)
    why = "timed out";
  return failure_set(failure, FAILURE_LOCKED, "store %s: %s: %s (Redis "
                     "unreachable)", store->path, doing, why);
}

static bool
temporary_error(const char *text)
{
  static const char *const temporary[] = {
    "LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN", "OOM",
    "CLUSTERDOWN", NULL,
  };
  for (size_t i = 0; temporary[i]; i++) {
    size_t length = strlen(temporary[i]);
    if (strncmp(text, temporary[i], length) == 0
        && (text[length] == ' ' || text[length] == '\0'))
      return true;
  }
  return false;
}

/* An error reply: its first line, shortened. */
static int
reply_failure(struct sent_store *store, struct failure *failure,
              const char *doing, const redisReply *reply)
{
  const char *text = reply->str ? reply->str : "";
  return failure_set(failure, temporary_error(text) ? FAILURE_LOCKED
                                                    : FAILURE_STORE,
                     "store %s: %s: Redis answered: %.200s", store->path,
                     doing, text);
}

static int
unexpected_reply(struct sent_store *store, struct failure *failure,
                 const char *doing)
{
  return failure_set(failure, FAILURE_STORE, "store %s: %s: unexpected "
                     "reply from Redis", store->path, doing);
}

/* Read one reply. NULL with *failure set when the connection failed or
 * the reply is an error. */
static redisReply *
read_reply(struct sent_store *store, const char *doing,
           struct failure *failure)
{
  void *reply = NULL;
  if (redisGetReply(store->redis->context, &reply) != REDIS_OK || !reply) {
    connection_failure(store, failure, doing);
    return NULL;
  }
  redisReply *answer = reply;
  if (answer->type == REDIS_REPLY_ERROR) {
    reply_failure(store, failure, doing, answer);
    freeReplyObject(answer);
    return NULL;
  }
  return answer;
}

/* The replies of AUTH and SELECT queued by open, before any other. */
static int
read_pending(struct sent_store *store, struct failure *failure)
{
  struct redis_store *redis = store->redis;
  while (redis->pending > 0) {
    redis->pending--;
    redisReply *reply = read_reply(store, "authentication or database "
                                   "selection", failure);
    if (!reply) {
      redis->broken = true;
      if (failure)
        redis->broken_failure = *failure;
      return -1;
    }
    freeReplyObject(reply);
  }
  return 0;
}

/* A connection that failed once is dead for good (hiredis sets err). */
static int
require_connection(struct sent_store *store, struct failure *failure)
{
  if (store->redis->broken) {
    if (failure)
      *failure = store->redis->broken_failure;
    return -1;
  }
  if (store->redis->context->err)
    return connection_failure(store, failure, "earlier error");
  return 0;
}

/* ---- keys ------------------------------------------------------------- */

/* "NAMESPACE:" + key into buffer (FULL_KEY_MAX_BYTES); its size. */
static size_t
full_key(const struct redis_store *redis, const char *key, size_t size,
         char *buffer)
{
  memcpy(buffer, redis->prefix, redis->prefix_length);
  memcpy(buffer + redis->prefix_length, key, size);
  return redis->prefix_length + size;
}

/* ---- the backend ------------------------------------------------------ */

static void
redis_backend_close(struct sent_store *store)
{
  struct redis_store *redis = store->redis;
  if (!redis)
    return;
  if (redis->context)
    redisFree(redis->context);
  free(redis);
  store->redis = NULL;
}

/* Answer the queries for marks from what the first lookup fetched; true
 * when every query was a mark. */
static bool
answer_marks(const struct redis_store *redis, struct store_query *queries,
             size_t count)
{
  bool all = true;
  for (size_t i = 0; i < count; i++) {
    const struct store_query *mark =
      queries[i].entry == STORE_ENTRY_SINCE ? &redis->marks[0]
      : queries[i].entry == STORE_ENTRY_LAST ? &redis->marks[1] : NULL;
    if (!mark) {
      all = false;
      continue;
    }
    queries[i].found = mark->found;
    queries[i].when = mark->when;
  }
  return all;
}

static int
redis_backend_find_all(struct sent_store *store, struct store_query *queries,
                       size_t count, struct failure *failure)
{
  struct redis_store *redis = store->redis;
  for (size_t i = 0; i < count; i++)
    queries[i].found = 0;
  if (count == 0)
    return 0;
  if (require_connection(store, failure) != 0)
    return -1;
  if (redis->marks_known && answer_marks(redis, queries, count))
    return 0;

  /* One MGET: argv[0] "MGET", then the keys that can exist, then the two
   * marks the first time. */
  size_t slots = count + 2;
  const char **argv = calloc(slots + 1, sizeof *argv);
  size_t *lengths = calloc(slots + 1, sizeof *lengths);
  size_t *query_of = calloc(slots + 1, sizeof *query_of);
  char *keys = malloc(slots * FULL_KEY_MAX_BYTES);
  int result = 0;
  if (!argv || !lengths || !query_of || !keys) {
    result = failure_set(failure, FAILURE_MEMORY, "store %s: out of memory",
                         store->path);
    goto done;
  }
  argv[0] = "MGET";
  lengths[0] = 4;
  size_t argc = 1;
  char key[STORE_KEY_MAX_BYTES];
  for (size_t i = 0; i < count; i++) {
    int size = store_query_key(&queries[i], key);
    if (size == 0)
      continue;           /* empty or over its cap: never recorded */
    char *slot = keys + (argc - 1) * FULL_KEY_MAX_BYTES;
    lengths[argc] = full_key(redis, key, (size_t) size, slot);
    argv[argc] = slot;
    query_of[argc] = i;
    argc++;
  }
  size_t asked = argc;      /* the marks follow */
  bool fetch_marks = !redis->marks_known;
  if (fetch_marks) {
    for (size_t m = 0; m < 2; m++) {
      char *slot = keys + (argc - 1) * FULL_KEY_MAX_BYTES;
      int size = store_query_key(&redis->marks[m], key);
      lengths[argc] = full_key(redis, key, (size_t) size, slot);
      argv[argc] = slot;
      query_of[argc] = SIZE_MAX;
      argc++;
    }
  }
  if (argc == 1)
    goto done;

  struct pipe_guard guard;
  guard_begin(&guard);
  redisReply *reply = NULL;
  if (redisAppendCommandArgv(redis->context, (int) argc, argv, lengths)
      != REDIS_OK)
    result = connection_failure(store, failure, "lookup");
  else if (read_pending(store, failure) != 0
           || !(reply = read_reply(store, "lookup", failure)))
    result = -1;
  guard_end(&guard);
  if (result != 0)
    goto done;

  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != argc - 1) {
    result = unexpected_reply(store, failure, "lookup");
  } else {
    for (size_t k = 1; k < argc && result == 0; k++) {
      const redisReply *value = reply->element[k - 1];
      struct store_query *query = k < asked ? &queries[query_of[k]]
                                            : &redis->marks[k - asked];
      if (value->type == REDIS_REPLY_NIL)
        continue;
      if (value->type != REDIS_REPLY_STRING)
        result = unexpected_reply(store, failure, "lookup");
      else if (!store_parse_time(value->str, value->len, &query->when))
        result = failure_set(failure, FAILURE_STORE, "store %s: bad time "
                             "value for key %.*s", store->path,
                             (int) (lengths[k] > 64 ? 64 : lengths[k]),
                             argv[k]);
      else
        query->found = 1;
    }
  }
  freeReplyObject(reply);
  if (result != 0)
    for (size_t i = 0; i < count; i++)
      queries[i].found = 0;
  else if (fetch_marks) {
    redis->marks_known = true;
    answer_marks(redis, queries, count);    /* marks asked for this time */
  }
done:
  free(argv);
  free(lengths);
  free(query_of);
  free(keys);
  return result;
}

static int
redis_backend_add(struct sent_store *store, const char *key, int size,
                  time_t when, struct failure *failure)
{
  struct redis_store *redis = store->redis;
  if (require_connection(store, failure) != 0)
    return -1;

  /* What is left of the TTL counted from the entry's time: an import of
   * mail older than the TTL stores nothing, as expire would remove it. */
  long long seconds_left = 0;
  if (redis->ttl > 0) {
    seconds_left = (long long) when + (long long) redis->ttl
                   - (long long) time(NULL);
    if (seconds_left <= 0)
      return 0;
  }
  char full[FULL_KEY_MAX_BYTES];
  size_t full_size = full_key(redis, key, (size_t) size, full);
  char value[VALUE_MAX_BYTES + 1], expiry[VALUE_MAX_BYTES + 1];
  int value_size = snprintf(value, sizeof value, "%lld", (long long) when);
  int expiry_size = snprintf(expiry, sizeof expiry, "%lld", seconds_left);

  const char *set_argv[] = { "SET", full, value, "EX", expiry };
  size_t set_lengths[] = { 3, full_size, (size_t) value_size, 2,
                           (size_t) expiry_size };
  char since_key[FULL_KEY_MAX_BYTES];
  size_t since_size = full_key(redis, STORE_KEY_SINCE,
                               strlen(STORE_KEY_SINCE), since_key);
  const char *since_argv[] = { "SET", since_key, value, "NX" };
  size_t since_lengths[] = { 3, since_size, (size_t) value_size, 2 };

  struct pipe_guard guard;
  guard_begin(&guard);
  int result = 0;
  int replies = 1;
  if (redisAppendCommandArgv(redis->context, redis->ttl > 0 ? 5 : 3, set_argv,
                             set_lengths) != REDIS_OK)
    result = connection_failure(store, failure, "record");
  if (result == 0 && !redis->since_set) {
    if (redisAppendCommandArgv(redis->context, 4, since_argv, since_lengths)
        != REDIS_OK)
      result = connection_failure(store, failure, "record");
    replies++;
  }
  if (result == 0 && read_pending(store, failure) != 0)
    result = -1;
  for (int i = 0; result == 0 && i < replies; i++) {
    /* SET answers OK; SET NX answers OK or nil when "!since" exists. */
    redisReply *reply = read_reply(store, i == 0 ? "record"
                                                 : "record start time",
                                   failure);
    if (!reply)
      result = -1;
    else if (reply->type != REDIS_REPLY_STATUS && reply->type != REDIS_REPLY_NIL)
      result = unexpected_reply(store, failure, "record");
    freeReplyObject(reply);
  }
  guard_end(&guard);
  if (result == 0)
    redis->since_set = true;
  redis->marks_known = false;      /* a writer asks again */
  return result;
}

/* A mark ("!since", "!last"): SET without expiry, one round trip. */
static int
redis_backend_set_mark(struct sent_store *store, const char *key, int size,
                       time_t when, struct failure *failure)
{
  struct redis_store *redis = store->redis;
  if (require_connection(store, failure) != 0)
    return -1;
  char full[FULL_KEY_MAX_BYTES];
  size_t full_size = full_key(redis, key, (size_t) size, full);
  char value[VALUE_MAX_BYTES + 1];
  int value_size = snprintf(value, sizeof value, "%lld", (long long) when);
  const char *argv[] = { "SET", full, value };
  size_t lengths[] = { 3, full_size, (size_t) value_size };
  struct pipe_guard guard;
  guard_begin(&guard);
  int result = 0;
  if (redisAppendCommandArgv(redis->context, 3, argv, lengths) != REDIS_OK)
    result = connection_failure(store, failure, "record a time");
  if (result == 0 && read_pending(store, failure) != 0)
    result = -1;
  if (result == 0) {
    redisReply *reply = read_reply(store, "record a time", failure);
    if (!reply)
      result = -1;
    else if (reply->type != REDIS_REPLY_STATUS)
      result = unexpected_reply(store, failure, "record a time");
    freeReplyObject(reply);
  }
  guard_end(&guard);
  if (result == 0 && size == (int) strlen(STORE_KEY_SINCE)
      && memcmp(key, STORE_KEY_SINCE, (size_t) size) == 0)
    redis->since_set = true;
  redis->marks_known = false;      /* a writer asks again */
  return result;
}

static int
redis_backend_expire(struct sent_store *store, time_t cutoff, size_t *removed,
                     struct failure *failure)
{
  (void) store, (void) cutoff, (void) failure;
  if (removed)
    *removed = 0;       /* every entry carries its own expiry */
  return 0;
}

/* Walk every key under the namespace: SCAN a batch, MGET its values, call
 * visit with each key (namespace removed) and value. */
typedef int redis_visitor(struct sent_store *store, const char *key,
                          size_t size, bool time_valid, time_t when,
                          void *data, struct failure *failure);

static int
walk_batch(struct sent_store *store, const redisReply *keys,
           redis_visitor *visit, void *data, struct failure *failure)
{
  struct redis_store *redis = store->redis;
  size_t count = keys->elements;
  if (count == 0)
    return 0;
  const char **argv = calloc(count + 1, sizeof *argv);
  size_t *lengths = calloc(count + 1, sizeof *lengths);
  if (!argv || !lengths) {
    free(argv);
    free(lengths);
    return failure_set(failure, FAILURE_MEMORY, "store %s: out of memory",
                       store->path);
  }
  argv[0] = "MGET";
  lengths[0] = 4;
  for (size_t i = 0; i < count; i++) {
    if (keys->element[i]->type != REDIS_REPLY_STRING) {
      free(argv);
      free(lengths);
      return unexpected_reply(store, failure, "walk");
    }
    argv[i + 1] = keys->element[i]->str;
    lengths[i + 1] = keys->element[i]->len;
  }
  int result = 0;
  redisReply *values = NULL;
  if (redisAppendCommandArgv(redis->context, (int) count + 1, argv, lengths)
      != REDIS_OK)
    result = connection_failure(store, failure, "walk");
  else if (!(values = read_reply(store, "walk", failure)))
    result = -1;
  else if (values->type != REDIS_REPLY_ARRAY || values->elements != count)
    result = unexpected_reply(store, failure, "walk");
  for (size_t i = 0; result == 0 && i < count; i++) {
    const redisReply *value = values->element[i];
    const redisReply *key = keys->element[i];
    if (value->type == REDIS_REPLY_NIL)
      continue;             /* expired since the SCAN */
    if (key->len <= redis->prefix_length)
      continue;
    time_t when = 0;
    bool valid = value->type == REDIS_REPLY_STRING
                 && store_parse_time(value->str, value->len, &when);
    result = visit(store, key->str + redis->prefix_length,
                   key->len - redis->prefix_length, valid, when, data,
                   failure);
  }
  freeReplyObject(values);
  free(argv);
  free(lengths);
  return result;
}

static int
walk_keys(struct sent_store *store, redis_visitor *visit, void *data,
          struct failure *failure)
{
  struct redis_store *redis = store->redis;
  if (require_connection(store, failure) != 0)
    return -1;
  char pattern[STORE_NAMESPACE_MAX_BYTES + 3];
  snprintf(pattern, sizeof pattern, "%s*", redis->prefix);
  char cursor[32] = "0";
  char batch[16];
  snprintf(batch, sizeof batch, "%d", SCAN_BATCH);

  struct pipe_guard guard;
  guard_begin(&guard);
  int result = read_pending(store, failure);
  do {
    if (result != 0)
      break;
    const char *argv[] = { "SCAN", cursor, "MATCH", pattern, "COUNT", batch };
    size_t lengths[] = { 4, strlen(cursor), 5, strlen(pattern), 5,
                         strlen(batch) };
    redisReply *reply = NULL;
    if (redisAppendCommandArgv(redis->context, 6, argv, lengths) != REDIS_OK) {
      result = connection_failure(store, failure, "walk");
      break;
    }
    if (!(reply = read_reply(store, "walk", failure))) {
      result = -1;
      break;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
        || reply->element[0]->type != REDIS_REPLY_STRING
        || reply->element[0]->len >= sizeof cursor
        || reply->element[1]->type != REDIS_REPLY_ARRAY)
      result = unexpected_reply(store, failure, "walk");
    else {
      memcpy(cursor, reply->element[0]->str, reply->element[0]->len);
      cursor[reply->element[0]->len] = '\0';
      result = walk_batch(store, reply->element[1], visit, data, failure);
    }
    freeReplyObject(reply);
  } while (strcmp(cursor, "0") != 0);
  guard_end(&guard);
  return result;
}

static int
count_visitor(struct sent_store *store, const char *key, size_t size,
              bool time_valid, time_t when, void *data,
              struct failure *failure)
{
  return store_count_entry(store, data, key, size, time_valid, when, failure);
}

static int
redis_backend_stats(struct sent_store *store, struct store_stats *stats,
                    struct failure *failure)
{
  if (walk_keys(store, count_visitor, stats, failure) != 0)
    return -1;
  stats->file_bytes = -1;
  return 0;
}

static int
dump_visitor(struct sent_store *store, const char *key, size_t size,
             bool time_valid, time_t when, void *data,
             struct failure *failure)
{
  if (store_dump_line(data, key, size, time_valid, when) != 0)
    return failure_set(failure, FAILURE_IO, "store %s: dump: write error",
                       store->path);
  return 0;
}

static int
redis_backend_dump(struct sent_store *store, FILE *out,
                   struct failure *failure)
{
  return walk_keys(store, dump_visitor, out, failure);
}

static const struct store_ops redis_backend_ops = {
  .name = "redis",
  .expires_itself = true,
  .close = redis_backend_close,
  .find_all = redis_backend_find_all,
  .add = redis_backend_add,
  .set_mark = redis_backend_set_mark,
  .expire = redis_backend_expire,
  .stats = redis_backend_stats,
  .dump = redis_backend_dump,
};

/* ---- opening ---------------------------------------------------------- */

/* Queue AUTH (with the ACL user when there is one) and SELECT; their
 * replies are read before the first command's. */
static int
queue_handshake(struct sent_store *store, const struct redis_address *address,
                const char *password, struct failure *failure)
{
  struct redis_store *redis = store->redis;
  if (password && password[0]) {
    const char *argv[] = { "AUTH", address->user, password };
    size_t lengths[] = { 4, strlen(address->user), strlen(password) };
    int argc = address->user[0] ? 3 : 2;
    if (argc == 2) {
      argv[1] = password;
      lengths[1] = lengths[2];
    }
    if (redisAppendCommandArgv(redis->context, argc, argv, lengths) != REDIS_OK)
      return failure_set(failure, FAILURE_MEMORY, "store %s: out of memory",
                         store->path);
    redis->pending++;
  }
  if (address->db != 0) {
    char db[8];
    snprintf(db, sizeof db, "%d", address->db);
    const char *argv[] = { "SELECT", db };
    size_t lengths[] = { 6, strlen(db) };
    if (redisAppendCommandArgv(redis->context, 2, argv, lengths) != REDIS_OK)
      return failure_set(failure, FAILURE_MEMORY, "store %s: out of memory",
                         store->path);
    redis->pending++;
  }
  return 0;
}

int
redis_store_open(struct sent_store *store, const char *url,
                 const struct store_options *options, struct failure *failure)
{
  struct redis_address *address = malloc(sizeof *address);
  if (!address)
    return failure_set(failure, FAILURE_MEMORY, "store: out of memory");
  int result = store_parse_redis_url(url, address, failure);
  if (result == 0 && !(store->path = strdup(address->display)))
    result = failure_set(failure, FAILURE_MEMORY, "store: out of memory");
  store->ops = &redis_backend_ops;

  const char *namespace = options && options->namespace && options->namespace[0]
                          ? options->namespace : STORE_DEFAULT_NAMESPACE;
  if (result == 0 && !store_namespace_valid(namespace))
    result = failure_set(failure, FAILURE_CONFIG, "store %s: bad namespace "
                         "(1 to %d of A-Z a-z 0-9 . _ : -)", store->path,
                         STORE_NAMESPACE_MAX_BYTES);
  if (result == 0 && !(store->redis = calloc(1, sizeof *store->redis)))
    result = failure_set(failure, FAILURE_MEMORY, "store: out of memory");
  if (result != 0) {
    explicit_bzero(address, sizeof *address);
    free(address);
    return -1;
  }
  struct redis_store *redis = store->redis;
  redis->prefix_length = (size_t) snprintf(redis->prefix, sizeof redis->prefix,
                                           "%s:", namespace);
  redis->ttl = options && options->ttl > 0 ? options->ttl : 0;
  redis->marks[0].entry = STORE_ENTRY_SINCE;
  redis->marks[1].entry = STORE_ENTRY_LAST;

  long timeout_ms = options && options->timeout_ms > 0
                    ? options->timeout_ms : STORE_DEFAULT_TIMEOUT_MS;
  struct timeval timeout = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
  struct pipe_guard guard;
  guard_begin(&guard);
  redis->context = address->unix_socket
                   ? redisConnectUnixWithTimeout(address->socket_path, timeout)
                   : redisConnectWithTimeout(address->host, address->port,
                                             timeout);
  if (!redis->context)
    result = failure_set(failure, FAILURE_MEMORY, "store %s: out of memory",
                         store->path);
  else if (redis->context->err)
    result = connection_failure(store, failure, "cannot connect");
  else if (redisSetTimeout(redis->context, timeout) != REDIS_OK)
    result = connection_failure(store, failure, "cannot set the timeout");
  else
    result = queue_handshake(store, address,
                             options && options->password
                             && options->password[0]
                             ? options->password : address->password,
                             failure);
  guard_end(&guard);
  explicit_bzero(address, sizeof *address);
  free(address);
  return result;
}
