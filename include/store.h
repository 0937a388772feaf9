/* SPDX-License-Identifier: GPL-3.0-or-later */
/* store.h: the sent store, what the user really sent, behind one interface
 * with two backends: a GDBM file (the embedded default, filter/store.c) and
 * Redis or Valkey (shared by many hosts, filter/store-redis.c, built when
 * hiredis is found). sent_store_open() picks the backend from the path:
 *
 *   redis://[USER:PASSWORD@]HOST[:PORT][/DB]     Redis over TCP
 *   redis+unix:///PATH/TO/SOCKET[?db=N]          Redis over a unix socket
 *   anything else                                 a GDBM file
 *
 * (store_parse_redis_url() below; a password belongs in the owner-checked
 * rule file, never on a command line.)
 *
 * Entries (both backends):
 *   "m:" normalised Message-ID     -> time recorded
 *   "r:" lower-case address        -> time last sent to
 *   "!since"                        -> time recording started (first record,
 *                                      or moved back by import)
 *   "!last"                         -> when record or import last added
 * Values are decimal seconds since the epoch, ASCII, no NUL. In Redis every
 * key is prefixed with "NAMESPACE:" (default "bsf") and carries its expiry
 * (SET ... EXAT time+ttl), so Redis expires entries itself; "!since" and
 * "!last" never expire.
 *
 * GDBM concurrency: GDBM never waits for its lock, so the store takes its own
 * flock() on a separate lock file PATH.lock (shared for readers, exclusive
 * for writers and expire), waiting at most lock_wait_ms with jittered retries,
 * and opens the GDBM file with GDBM_NOLOCK. The separate lock file survives
 * expire, which renames a new file over the old one.
 * Files are created 0600 in a directory created 0700.
 *
 * Redis: connect and every command are bounded by the timeout (default
 * STORE_DEFAULT_TIMEOUT_MS); an unreachable or slow server is an error
 * (FAILURE_STORE) like an unreadable file, so check judges without the store.
 */
#ifndef BSF_STORE_H
#define BSF_STORE_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include "failure.h"

struct sent_store;

enum store_mode {
  STORE_READ,    /* lookups only; a missing store is FAILURE_MISSING */
  STORE_WRITE,   /* record/expire; creates the file and its directory */
};

#define STORE_DEFAULT_TIMEOUT_MS 1000
#define STORE_DEFAULT_NAMESPACE  "bsf"

/* What opening needs beyond the path; zero (or NULL) fields but
 * lock_wait_ms take defaults; NULL options are all defaults. */
struct store_options {
  long lock_wait_ms;        /* GDBM: bounded wait for the lock; 0 no wait
                             * (5000 when options are NULL) */
  long timeout_ms;          /* Redis: connect and command timeout */
  const char *namespace;    /* Redis: key prefix (store_namespace_valid()) */
  const char *password;     /* Redis: AUTH password (rule file), overrides the URL's */
  time_t ttl;               /* Redis: entries expire ttl after their time; 0 never */
};

/* Open the store at `path` (a GDBM path or a Redis URL). Errors:
 * FAILURE_MISSING (STORE_READ of a GDBM store never created: nothing to
 * check against, not trouble), FAILURE_STORE (unreadable, not a GDBM file, directory not
 * writable, Redis unreachable/refused/slow, URL malformed), FAILURE_LOCKED
 * (GDBM lock not obtained within lock_wait_ms), FAILURE_CONFIG (a Redis URL
 * in a build without Redis). */
int sent_store_open_with(struct sent_store **store, const char *path,
                         enum store_mode mode,
                         const struct store_options *options,
                         struct failure *failure);

/* The same with default options but lock_wait_ms. */
int sent_store_open(struct sent_store **store, const char *path,
                    enum store_mode mode, long lock_wait_ms,
                    struct failure *failure);

/* Close, release the lock or connection, free, set *store to NULL. Safe on
 * NULL. */
void sent_store_close(struct sent_store **store);

/* The backend's name ("gdbm" or "redis"), and the store's name for messages
 * (a Redis URL without its password). */
const char *sent_store_backend(const struct sent_store *store);
const char *sent_store_name(const struct sent_store *store);

/* Make sure the directory that will hold `file` exists (created 0700 with
 * any missing parent, as for a GDBM store) and is ours and not writable by
 * others: for files kept beside a store, such as a Redis store's local
 * journal. 0, or -1 with *failure set (FAILURE_STORE). */
int sent_store_prepare_directory(const char *file, struct failure *failure);

/* The backends built in: "gdbm" or "gdbm redis". */
const char *sent_store_backends(void);

/* Does the backend expire entries by itself (Redis), so that
 * sent_store_expire() has nothing to do? */
int sent_store_expires_itself(const struct sent_store *store);

/* Lookups: 1 found (and *when set if not NULL), 0 not found, -1 error. */
int sent_store_find_msgid(struct sent_store *store, const char *msgid,
                          time_t *when, struct failure *failure);
int sent_store_find_recipient(struct sent_store *store, const char *address,
                              time_t *when, struct failure *failure);

/* Several lookups at once: for Redis one round trip (one MGET) whatever the
 * count; GDBM looks them up one by one. Each query's found (1/0) and when
 * are set. Returns 0, or -1 with *failure set (then no result is valid). */
enum store_entry { STORE_ENTRY_MSGID, STORE_ENTRY_RECIPIENT, STORE_ENTRY_SINCE,
                   STORE_ENTRY_LAST };
struct store_query {
  enum store_entry entry;
  const char *name;         /* ignored for STORE_ENTRY_SINCE and _LAST */
  int found;                /* out */
  time_t when;              /* out, when found */
};
int sent_store_find_all(struct sent_store *store, struct store_query *queries,
                        size_t count, struct failure *failure);

/* Record (replace the time). Also sets "!since" if absent. 0 or -1. */
int sent_store_add_msgid(struct sent_store *store, const char *msgid,
                         time_t when, struct failure *failure);
int sent_store_add_recipient(struct sent_store *store, const char *address,
                             time_t when, struct failure *failure);

/* When recording began: 1 and *since set, 0 if never, -1 error. */
int sent_store_since(struct sent_store *store, time_t *since,
                     struct failure *failure);

/* Set "!since" to `since` (import moves it back to the oldest message it
 * covers; the caller decides). 0 or -1. */
int sent_store_set_since(struct sent_store *store, time_t since,
                         struct failure *failure);

/* When record or import last added something ("!last"): 1 and *when set,
 * 0 if never, -1 error. sent_store_mark_recorded() sets it. */
int sent_store_last_recorded(struct sent_store *store, time_t *when,
                             struct failure *failure);
int sent_store_mark_recorded(struct sent_store *store, time_t when,
                             struct failure *failure);

/* Make what was recorded durable (GDBM: written to the file; Redis: the
 * server has it already): the journal is emptied only after its entries
 * are safely in the store. 0 or -1. */
int sent_store_sync(struct sent_store *store, struct failure *failure);

/* Remove entries recorded before `cutoff` (and entries whose time is not
 * valid; never "!since" or "!last"). GDBM: while it walks and copies, the
 * store is marked as being rewritten (PATH.expiring, flocked) and only a
 * shared lock is held, so checks read on and writers are refused at once
 * (FAILURE_LOCKED: record journals, import waits); the exclusive lock is
 * taken again for the rename and held on return. GDBM leaves a compact file: the kept entries are
 * copied to a new file (PATH.bsf-expire.XXXXXX, needing room for them; one
 * left by a crash is removed by the next expire, and no other file beside
 * the store is ever removed) renamed over
 * the store, so memory stays flat whatever its size. Nothing is rewritten
 * when nothing expires; on failure the store is left as it was. Redis
 * expires keys itself: 0 removed (sent_store_expires_itself()). Needs
 * STORE_WRITE. *removed gets the count. */
int sent_store_expire(struct sent_store *store, time_t cutoff, size_t *removed,
                      struct failure *failure);

struct store_stats {
  size_t msgids;
  size_t recipients;
  time_t oldest;        /* 0 when empty */
  time_t newest;        /* 0 when empty */
  time_t since;         /* 0 when never recorded */
  time_t last_recorded; /* "!last", 0 when never set */
  long long file_bytes; /* GDBM file size; -1 for Redis */
};
int sent_store_stats(struct sent_store *store, struct store_stats *stats,
                     struct failure *failure);

/* One entry a line: "TIME TYPE KEY" with TYPE
 * msgid|recipient|since|last-recorded and
 * TIME in UTC ISO 8601 (2026-11-23T11:27:09Z). */
int sent_store_dump(struct sent_store *store, FILE *out,
                    struct failure *failure);

/* ---- Redis addresses (parsed whether or not Redis is built in) -------- */

#define STORE_URL_MAX_BYTES      1024   /* a longer path is refused */
#define STORE_HOST_MAX_BYTES     253    /* a DNS name */
#define STORE_SOCKET_MAX_BYTES   107    /* sun_path less its NUL */
#define STORE_CREDENTIAL_MAX_BYTES 256  /* user, password */
#define STORE_REDIS_DB_MAX       255    /* the server refuses one beyond its `databases` */
#define STORE_NAMESPACE_MAX_BYTES 64
#define STORE_REDIS_DEFAULT_PORT 6379

/* Does `path` name a Redis store? It starts with redis://, rediss:// or
 * redis+unix:// (any case). rediss:// (TLS) is recognised only to be
 * refused: hiredis 0.14 has no TLS. */
int store_path_is_redis(const char *path);

struct redis_address {
  int unix_socket;                      /* 1: socket_path, 0: host/port */
  char host[STORE_HOST_MAX_BYTES + 1];  /* name, IPv4, or IPv6 without [] */
  int port;
  char socket_path[STORE_SOCKET_MAX_BYTES + 1];
  int db;
  char user[STORE_CREDENTIAL_MAX_BYTES + 1];      /* "" when none */
  char password[STORE_CREDENTIAL_MAX_BYTES + 1];  /* "" when none */
  char display[STORE_URL_MAX_BYTES + 1];          /* the URL without password */
};

/* Parse a Redis URL (untrusted-input grade: every part capped, %XX decoded
 * in user and password only, no NUL or control bytes anywhere). Returns 0,
 * or -1 with *failure set (FAILURE_CONFIG, saying which part is wrong and
 * never echoing the password). */
int store_parse_redis_url(const char *url, struct redis_address *address,
                          struct failure *failure);

/* A namespace is 1..STORE_NAMESPACE_MAX_BYTES of [A-Za-z0-9._:-] (no glob
 * characters: dump matches "NAMESPACE:*"). */
int store_namespace_valid(const char *name);

#endif
