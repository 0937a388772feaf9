/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-store-url.c: Redis store addresses (store.h): which paths are Redis
 * URLs, and the parser on good and hostile URLs, table-driven. Every build
 * runs it: the parser is there with or without hiredis. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "../tap.h"

struct url_case {
  const char *url;
  int ok;
  /* when ok: */
  int unix_socket;
  const char *host_or_socket;
  int port;
  int db;
  const char *user;
  const char *password;
  const char *display;
  /* when not ok: a word of the message */
  const char *why;
};

static const struct url_case cases[] = {
  { "redis://localhost", 1, 0, "localhost", 6379, 0, "", "",
    "redis://localhost:6379/0", NULL },
  { "redis://127.0.0.1:6380/3", 1, 0, "127.0.0.1", 6380, 3, "", "",
    "redis://127.0.0.1:6380/3", NULL },
  { "REDIS://Cache.Example.org:1/", 1, 0, "Cache.Example.org", 1, 0, "", "",
    "redis://Cache.Example.org:1/0", NULL },
  { "redis://:s3cret@10.0.0.5", 1, 0, "10.0.0.5", 6379, 0, "", "s3cret",
    "redis://10.0.0.5:6379/0", NULL },
  { "redis://bsf:p%40ss%3Aw%2Frd@redis.example.org:7000/15", 1, 0,
    "redis.example.org", 7000, 15, "bsf", "p@ss:w/rd",
    "redis://bsf@redis.example.org:7000/15", NULL },
  { "redis://u:a@b@host", 1, 0, "host", 6379, 0, "u", "a@b",
    "redis://u@host:6379/0", NULL },
  { "redis://[::1]:6379/2", 1, 0, "::1", 6379, 2, "", "",
    "redis://[::1]:6379/2", NULL },
  { "redis://[2001:db8::7]", 1, 0, "2001:db8::7", 6379, 0, "", "",
    "redis://[2001:db8::7]:6379/0", NULL },
  { "redis+unix:///run/redis/redis.sock", 1, 1, "/run/redis/redis.sock", 0, 0,
    "", "", "redis+unix:///run/redis/redis.sock?db=0", NULL },
  { "redis+unix:///tmp/r.sock?db=4", 1, 1, "/tmp/r.sock", 0, 4, "", "",
    "redis+unix:///tmp/r.sock?db=4", NULL },

  /* refused */
  { "rediss://host", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "TLS" },
  { "redis://", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "no host" },
  { "redis://:6379", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "no host" },
  { "redis://host:0", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "port" },
  { "redis://host:65536", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "port" },
  { "redis://host:99999999999", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "port" },
  { "redis://host:-1", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "port" },
  { "redis://host:", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "port" },
  { "redis://host/256", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "database" },
  { "redis://host/x", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "database" },
  { "redis://host/1/2", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "database" },
  { "redis://host?db=1", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "query" },
  { "redis://host#x", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "query" },
  { "redis://ho st", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "host" },
  { "redis://host_name", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "host" },
  { "redis://a..b", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "host" },
  { "redis://.a", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "host" },
  { "redis://user@host", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "password" },
  { "redis://user:@host", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "password" },
  { "redis://:pa%zzss@host", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "password" },
  { "redis://:pa%4@host", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "password" },
  { "redis://:pa%00ss@host", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "password" },
  { "redis://:pa%0ass@host", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "password" },
  { "redis://:pa ss@host", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "password" },
  { "redis://us%01er:pw@host", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "user" },
  { "redis://[::1", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "IPv6" },
  { "redis://[fe80::1%25eth0]", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "IPv6" },
  { "redis://[::1]x", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "junk" },
  { "redis://[]", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "IPv6" },
  { "redis+unix://relative.sock", 0, 0, NULL, 0, 0, NULL, NULL, NULL,
    "absolute" },
  { "redis+unix://host/x.sock", 0, 0, NULL, 0, 0, NULL, NULL, NULL,
    "absolute" },
  { "redis+unix:///", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "no socket" },
  { "redis+unix:///s.sock?db=", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "db=N" },
  { "redis+unix:///s.sock?db=300", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "db=N" },
  { "redis+unix:///s.sock?password=x", 0, 0, NULL, 0, 0, NULL, NULL, NULL,
    "only query" },
  { "redis+unix:///s sock", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "space" },
  { "redis+unix:///s\tsock", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "space" },
  { "http://host", 0, 0, NULL, 0, 0, NULL, NULL, NULL, "not a redis" },
};

static void
test_parse_table(void)
{
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct url_case *c = &cases[i];
    struct redis_address address;
    struct failure failure = { 0 };
    int result = store_parse_redis_url(c->url, &address, &failure);
    TAP_INT(result, c->ok ? 0 : -1, "%s: %s", c->url,
            c->ok ? "parses" : "refused");
    if (!c->ok) {
      TAP_OK(strstr(failure.message, c->why) != NULL,
             "%s: the message says '%s': %s", c->url, c->why, failure.message);
      TAP_INT(failure.class, FAILURE_CONFIG, "%s: a configuration error",
              c->url);
      TAP_STR(address.password, "", "%s: no password left behind", c->url);
      continue;
    }
    if (result != 0)
      continue;
    TAP_INT(address.unix_socket, c->unix_socket, "%s: transport", c->url);
    TAP_STR(c->unix_socket ? address.socket_path : address.host,
            c->host_or_socket, "%s: host or socket", c->url);
    if (!c->unix_socket)
      TAP_INT(address.port, c->port, "%s: port", c->url);
    TAP_INT(address.db, c->db, "%s: database", c->url);
    TAP_STR(address.user, c->user, "%s: user", c->url);
    TAP_STR(address.password, c->password, "%s: password", c->url);
    TAP_STR(address.display, c->display, "%s: shown as", c->url);
  }
}

/* Messages never echo the password, even when the rest is wrong. */
static void
test_password_never_echoed(void)
{
  static const char *const urls[] = {
    "redis://:TopSecret1@host:99999",
    "redis://u:TopSecret1@ho st",
    "redis://u:TopSecret1@host/999",
    "redis://u:TopSecret1@host?x",
  };
  for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
    struct redis_address address;
    struct failure failure = { 0 };
    TAP_INT(store_parse_redis_url(urls[i], &address, &failure), -1,
            "bad URL %zu with a password is refused", i);
    TAP_OK(strstr(failure.message, "TopSecret1") == NULL,
           "... and its message hides the password: %s", failure.message);
  }
}

/* Every cap: an over-long part is refused, one at the cap accepted. */
static void
test_caps(void)
{
  char url[STORE_URL_MAX_BYTES * 2];
  struct redis_address address;
  struct failure failure;

  /* The whole URL. */
  memset(url, 0, sizeof url);
  strcpy(url, "redis://h/");
  memset(url + strlen(url), '0', STORE_URL_MAX_BYTES);
  TAP_INT(store_parse_redis_url(url, &address, &failure), -1,
          "a URL over %d bytes is refused", STORE_URL_MAX_BYTES);
  TAP_OK(strstr(failure.message, "longer than") != NULL, "... as too long");

  /* Host: 253 bytes accepted, 254 refused. */
  for (int extra = 0; extra <= 1; extra++) {
    memset(url, 0, sizeof url);
    strcpy(url, "redis://");
    memset(url + 8, 'a', STORE_HOST_MAX_BYTES + extra);
    TAP_INT(store_parse_redis_url(url, &address, &failure), extra ? -1 : 0,
            "a host of %d bytes is %s", STORE_HOST_MAX_BYTES + extra,
            extra ? "refused" : "accepted");
  }
  /* Password: 256 accepted, 257 refused. */
  for (int extra = 0; extra <= 1; extra++) {
    memset(url, 0, sizeof url);
    strcpy(url, "redis://:");
    memset(url + 9, 'p', STORE_CREDENTIAL_MAX_BYTES + extra);
    strcat(url, "@h");
    TAP_INT(store_parse_redis_url(url, &address, &failure), extra ? -1 : 0,
            "a password of %d bytes is %s", STORE_CREDENTIAL_MAX_BYTES + extra,
            extra ? "refused" : "accepted");
  }
  /* Socket path: 107 accepted, 108 refused. */
  for (int extra = 0; extra <= 1; extra++) {
    memset(url, 0, sizeof url);
    strcpy(url, "redis+unix:///");
    memset(url + strlen(url), 's', STORE_SOCKET_MAX_BYTES - 1 + extra);
    TAP_INT(store_parse_redis_url(url, &address, &failure), extra ? -1 : 0,
            "a socket path of %d bytes is %s", STORE_SOCKET_MAX_BYTES + extra,
            extra ? "refused" : "accepted");
  }
}

static void
test_is_redis(void)
{
  static const struct { const char *path; int redis; } paths[] = {
    { "redis://h", 1 }, { "Redis://h", 1 }, { "rediss://h", 1 },
    { "redis+unix:///s", 1 }, { "/home/u/.local/state/sent.db", 0 },
    { "redis", 0 }, { "redis:/h", 0 }, { "./redis://h", 0 }, { "", 0 },
  };
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
    TAP_INT(store_path_is_redis(paths[i].path), paths[i].redis,
            "'%s' is %sa Redis store", paths[i].path,
            paths[i].redis ? "" : "not ");
  TAP_INT(store_path_is_redis(NULL), 0, "NULL is not a Redis store");
}

static void
test_namespaces(void)
{
  char longest[STORE_NAMESPACE_MAX_BYTES + 2];
  memset(longest, 'n', sizeof longest);
  longest[STORE_NAMESPACE_MAX_BYTES] = '\0';
  TAP_INT(store_namespace_valid(longest), 1, "a namespace of %d bytes",
          STORE_NAMESPACE_MAX_BYTES);
  longest[STORE_NAMESPACE_MAX_BYTES] = 'n';
  longest[STORE_NAMESPACE_MAX_BYTES + 1] = '\0';
  TAP_INT(store_namespace_valid(longest), 0, "a namespace of %d bytes",
          STORE_NAMESPACE_MAX_BYTES + 1);
  static const struct { const char *name; int valid; } names[] = {
    { "bsf", 1 }, { "example.org", 1 }, { "site:relay-1_a", 1 },
    { "", 0 }, { "a*", 0 }, { "a?", 0 }, { "[a]", 0 }, { "a b", 0 },
    { "a\\b", 0 }, { "caf\xc3\xa9", 0 },
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    TAP_INT(store_namespace_valid(names[i].name), names[i].valid,
            "namespace '%s' is %svalid", names[i].name,
            names[i].valid ? "" : "not ");
  TAP_INT(store_namespace_valid(NULL), 0, "no namespace is not valid");
}

int
main(void)
{
  test_parse_table();
  test_password_never_echoed();
  test_caps();
  test_is_redis();
  test_namespaces();
  return tap_done();
}
