/* SPDX-License-Identifier: GPL-3.0-or-later */
/* store-backend.h: the seam between store.c's public functions and the
 * backends behind them (GDBM in store.c, Redis in store-redis.c). Private
 * to the store: callers use store.h only.
 *
 * sent_store_open_with() picks the backend from the path and calls its
 * open; every public call checks the handle and dispatches through ops.
 * A backend's functions may assume a non-NULL store opened by it, and that
 * writers' calls come on a STORE_WRITE handle (checked before dispatch).
 */
#ifndef BSF_STORE_BACKEND_H
#define BSF_STORE_BACKEND_H

#include <stdbool.h>
#include "caps.h"
#include "store.h"

struct gdbm_file_info;       /* GDBM_FILE, without <gdbm.h> */
struct redis_store;          /* store-redis.c's state */

struct store_ops {
  const char *name;
  bool expires_itself;
  void (*close)(struct sent_store *store);
  int (*find_all)(struct sent_store *store, struct store_query *queries,
                  size_t count, struct failure *failure);
  /* entry is STORE_ENTRY_MSGID or STORE_ENTRY_RECIPIENT; the key is
   * already checked (non-empty, within its cap, lower-cased for a
   * recipient): key/size is "m:ID" or "r:ADDRESS". */
  int (*add)(struct sent_store *store, const char *key, int size, time_t when,
             struct failure *failure);
  /* Set a mark ("!since", "!last": key/size without namespace) to `when`,
   * never expiring. */
  int (*set_mark)(struct sent_store *store, const char *key, int size,
                  time_t when, struct failure *failure);
  /* Make the records durable; NULL when there is nothing to do. */
  int (*sync)(struct sent_store *store, struct failure *failure);
  int (*expire)(struct sent_store *store, time_t cutoff, size_t *removed,
                struct failure *failure);
  int (*stats)(struct sent_store *store, struct store_stats *stats,
               struct failure *failure);
  /* Write every entry with store_dump_line(); the seam flushes and checks. */
  int (*dump)(struct sent_store *store, FILE *out, struct failure *failure);
};

struct sent_store {
  const struct store_ops *ops;
  enum store_mode mode;
  char *path;                 /* for messages: a GDBM path, a URL without password */
  /* GDBM */
  struct gdbm_file_info *db;
  int lock_fd;                /* -1 when a read-only directory had no lock file */
  /* Redis */
  struct redis_store *redis;
};

/* Shared by the backends (store.c). */
#define STORE_KEY_MSGID_PREFIX     "m:"
#define STORE_KEY_RECIPIENT_PREFIX "r:"
#define STORE_KEY_SINCE            "!since"
#define STORE_KEY_LAST             "!last"
#define STORE_KEY_PREFIX_BYTES     2

/* Parse a stored time value: ASCII decimal digits only. */
bool store_parse_time(const char *bytes, size_t size, time_t *when);

/* Print "TIME TYPE NAME" for one entry, as sent_store_dump() documents;
 * key/size is the key without any namespace. 0, or -1 on a write error. */
int store_dump_line(FILE *out, const char *key, size_t size, bool time_valid,
                    time_t when);

/* Add one entry to *stats (key without namespace); -1 with *failure set for
 * a bad value. */
int store_count_entry(struct sent_store *store, struct store_stats *stats,
                      const char *key, size_t size, bool time_valid,
                      time_t when, struct failure *failure);

/* Build the key of a query into buffer (STORE_KEY_PREFIX_BYTES +
 * the larger cap bytes): its size, 0 when it can never have been recorded
 * (empty or over its cap). */
#define STORE_KEY_MAX_BYTES \
  (STORE_KEY_PREFIX_BYTES \
   + (CAP_ID_BYTES > CAP_ADDRESS_BYTES ? CAP_ID_BYTES : CAP_ADDRESS_BYTES))
int store_query_key(const struct store_query *query, char *buffer);

#ifdef HAVE_REDIS
/* store-redis.c: open `url` into store (ops, path, redis set on success). */
int redis_store_open(struct sent_store *store, const char *url,
                     const struct store_options *options,
                     struct failure *failure);
#endif

#endif
