/* SPDX-License-Identifier: GPL-3.0-or-later */
/* store-url.c: Redis store addresses (store.h), parsed in every build so
 * that a Redis URL is never mistaken for a GDBM file name and its parser is
 * tested whether or not hiredis is there.
 *
 * The URL comes from a rule file or the command line, so it is parsed as
 * untrusted input: its length is capped before anything else
 * (STORE_URL_MAX_BYTES), then each part (host, port, database, user,
 * password, socket path) against its own cap; %XX is decoded only in the
 * user and password (where ':', '@' and '/' need it); no part may hold a
 * control byte, a space or NUL. Messages name the part that is wrong and
 * never echo the password.
 *
 *   redis://[USER:PASSWORD@]HOST[:PORT][/DB]   (USER may be empty: ":PASSWORD@")
 *   redis+unix:///PATH/TO/SOCKET[?db=N]
 * HOST is a DNS name, an IPv4 address or an IPv6 address in brackets.
 */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store.h"

#define SCHEME_TCP  "redis://"
#define SCHEME_TLS  "rediss://"
#define SCHEME_UNIX "redis+unix://"

static bool
has_prefix(const char *text, const char *prefix)
{
  return strncasecmp(text, prefix, strlen(prefix)) == 0;
}

int
store_path_is_redis(const char *path)
{
  return path && (has_prefix(path, SCHEME_TCP) || has_prefix(path, SCHEME_TLS)
                  || has_prefix(path, SCHEME_UNIX));
}

int
store_namespace_valid(const char *name)
{
  size_t length = name ? strnlen(name, STORE_NAMESPACE_MAX_BYTES + 1) : 0;
  if (length == 0 || length > STORE_NAMESPACE_MAX_BYTES)
    return 0;
  for (size_t i = 0; i < length; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'
          || c == ':'))
      return 0;
  }
  return 1;
}

static int
hex_value(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Visible ASCII only: no control bytes, spaces, DEL or 8-bit bytes. */
static bool
visible(unsigned char c)
{
  return c > 0x20 && c < 0x7f;
}

/* Decode text[0..length) (%XX) into out (cap bytes plus NUL). -1 when too
 * long, a %XX is malformed, or a byte (decoded or not) is not visible. */
static int
decode_credential(const char *text, size_t length, char *out, size_t cap)
{
  size_t used = 0;
  for (size_t i = 0; i < length; i++) {
    unsigned char c = (unsigned char) text[i];
    if (c == '%') {
      if (i + 2 >= length)
        return -1;
      int high = hex_value(text[i + 1]);
      int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0)
        return -1;
      c = (unsigned char) (high * 16 + low);
      i += 2;
    }
    if (!visible(c) || used == cap)
      return -1;
    out[used++] = (char) c;
  }
  out[used] = '\0';
  return 0;
}

/* Decimal in [min, max], at most 5 digits, the whole of text. */
static bool
parse_number(const char *text, size_t length, int min, int max, int *value)
{
  if (length == 0 || length > 5)
    return false;
  int result = 0;
  for (size_t i = 0; i < length; i++) {
    if (text[i] < '0' || text[i] > '9')
      return false;
    result = result * 10 + (text[i] - '0');
  }
  if (result < min || result > max)
    return false;
  *value = result;
  return true;
}

/* A DNS name or IPv4 address: letters, digits, '-', '.', at most
 * STORE_HOST_MAX_BYTES, no empty label. */
static bool
valid_host_name(const char *host, size_t length)
{
  if (length == 0 || length > STORE_HOST_MAX_BYTES || host[0] == '.'
      || host[0] == '-')
    return false;
  for (size_t i = 0; i < length; i++) {
    char c = host[i];
    if (c == '.' && i + 1 < length && host[i + 1] == '.')
      return false;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9') || c == '-' || c == '.'))
      return false;
  }
  return true;
}

/* An IPv6 address inside brackets: hex digits, ':' and '.' (an embedded
 * IPv4), 2..45 bytes; getaddrinfo() judges the rest. No zone index. */
static bool
valid_ipv6(const char *host, size_t length)
{
  if (length < 2 || length > 45 || !memchr(host, ':', length))
    return false;
  for (size_t i = 0; i < length; i++)
    if (hex_value(host[i]) < 0 && host[i] != ':' && host[i] != '.')
      return false;
  return true;
}

static int
url_failure(struct failure *failure, const char *what)
{
  return failure_set(failure, FAILURE_CONFIG, "store: bad Redis URL: %s "
                     "(expected redis://[USER:PASSWORD@]HOST[:PORT][/DB] or "
                     "redis+unix:///PATH/TO/SOCKET[?db=N])", what);
}

static int
parse_unix(const char *rest, struct redis_address *address,
           struct failure *failure)
{
  /* rest follows "redis+unix://": an empty authority, then the path. */
  if (rest[0] != '/')
    return url_failure(failure, "the socket path must be absolute "
                       "(three slashes: redis+unix:///PATH)");
  const char *query = strchr(rest, '?');
  size_t path_length = query ? (size_t) (query - rest) : strlen(rest);
  if (path_length > STORE_SOCKET_MAX_BYTES)
    return url_failure(failure, "the socket path is longer than a unix "
                       "socket address allows (107 bytes)");
  for (size_t i = 0; i < path_length; i++)
    if (!visible((unsigned char) rest[i]) || rest[i] == '#')
      return url_failure(failure, "the socket path holds a space, a control "
                         "byte or '#'");
  if (path_length < 2)
    return url_failure(failure, "no socket path");
  memcpy(address->socket_path, rest, path_length);
  address->socket_path[path_length] = '\0';
  address->unix_socket = 1;
  if (query) {
    const char *value = query + 1;
    if (strncmp(value, "db=", 3) != 0)
      return url_failure(failure, "the only query parameter is db=N");
    value += 3;
    if (!parse_number(value, strlen(value), 0, STORE_REDIS_DB_MAX,
                      &address->db))
      return url_failure(failure, "the database (db=N) is not a number "
                         "from 0 to 255");
  }
  snprintf(address->display, sizeof address->display,
           "redis+unix://%s?db=%d", address->socket_path, address->db);
  return 0;
}

static int
parse_tcp(const char *rest, struct redis_address *address,
          struct failure *failure)
{
  /* The authority ends at the first '/'; '?' and '#' have no place. */
  if (strpbrk(rest, "?#"))
    return url_failure(failure, "redis:// takes no query or fragment");
  const char *slash = strchr(rest, '/');
  size_t authority_length = slash ? (size_t) (slash - rest) : strlen(rest);
  const char *authority = rest;

  /* USER:PASSWORD@, split at the last '@' of the authority. */
  const char *at = NULL;
  for (size_t i = 0; i < authority_length; i++)
    if (authority[i] == '@')
      at = authority + i;
  if (at) {
    const char *colon = memchr(authority, ':', (size_t) (at - authority));
    if (!colon)
      return url_failure(failure, "a user needs a password "
                         "(USER:PASSWORD@, or :PASSWORD@)");
    if (decode_credential(authority, (size_t) (colon - authority),
                          address->user, STORE_CREDENTIAL_MAX_BYTES) != 0)
      return url_failure(failure, "the user is too long or holds a bad "
                         "byte or %-escape");
    if (decode_credential(colon + 1, (size_t) (at - colon - 1),
                          address->password, STORE_CREDENTIAL_MAX_BYTES) != 0
        || address->password[0] == '\0')
      return url_failure(failure, "the password is empty, too long, or "
                         "holds a bad byte or %-escape");
    authority_length -= (size_t) (at + 1 - authority);
    authority = at + 1;
  }

  /* HOST or [IPV6], then :PORT. */
  const char *host = authority;
  size_t host_length;
  const char *port_text = NULL;
  size_t port_length = 0;
  if (authority_length > 0 && authority[0] == '[') {
    const char *close = memchr(authority, ']', authority_length);
    if (!close)
      return url_failure(failure, "an IPv6 address lacks its ']'");
    host = authority + 1;
    host_length = (size_t) (close - host);
    if (!valid_ipv6(host, host_length))
      return url_failure(failure, "the IPv6 address is malformed");
    const char *after = close + 1;
    size_t left = authority_length - (size_t) (after - authority);
    if (left > 0) {
      if (after[0] != ':')
        return url_failure(failure, "junk after the IPv6 address");
      port_text = after + 1;
      port_length = left - 1;
    }
  } else {
    const char *colon = memchr(authority, ':', authority_length);
    host_length = colon ? (size_t) (colon - authority) : authority_length;
    if (colon) {
      port_text = colon + 1;
      port_length = authority_length - host_length - 1;
    }
    if (host_length == 0)
      return url_failure(failure, "no host");
    if (!valid_host_name(host, host_length))
      return url_failure(failure, "the host is not a DNS name or IPv4 "
                         "address (or is longer than 253 bytes)");
  }
  memcpy(address->host, host, host_length);
  address->host[host_length] = '\0';
  address->port = STORE_REDIS_DEFAULT_PORT;
  if (port_text && !parse_number(port_text, port_length, 1, 65535,
                                 &address->port))
    return url_failure(failure, "the port is not a number from 1 to 65535");

  /* /DB, or a bare '/'. */
  if (slash && slash[1] != '\0'
      && !parse_number(slash + 1, strlen(slash + 1), 0, STORE_REDIS_DB_MAX,
                       &address->db))
    return url_failure(failure, "the database (/DB) is not a number "
                       "from 0 to 255");

  bool ipv6 = strchr(address->host, ':') != NULL;
  snprintf(address->display, sizeof address->display, "redis://%s%s%s%s%s:%d/%d",
           address->user, address->user[0] ? "@" : "", ipv6 ? "[" : "",
           address->host, ipv6 ? "]" : "", address->port, address->db);
  return 0;
}

int
store_parse_redis_url(const char *url, struct redis_address *address,
                      struct failure *failure)
{
  memset(address, 0, sizeof *address);
  size_t length = url ? strnlen(url, STORE_URL_MAX_BYTES + 1) : 0;
  if (length > STORE_URL_MAX_BYTES)
    return url_failure(failure, "longer than 1024 bytes");
  if (has_prefix(url, SCHEME_TLS))
    return failure_set(failure, FAILURE_CONFIG, "store: rediss:// (TLS) is "
                       "not supported (hiredis 0.14 has no TLS): reach Redis "
                       "over a private network, a unix socket or a tunnel");
  int result;
  if (has_prefix(url, SCHEME_UNIX))
    result = parse_unix(url + strlen(SCHEME_UNIX), address, failure);
  else if (has_prefix(url, SCHEME_TCP))
    result = parse_tcp(url + strlen(SCHEME_TCP), address, failure);
  else
    result = url_failure(failure, "not a redis:// or redis+unix:// URL");
  if (result != 0) {
    /* Leave no half-parsed password behind. */
    explicit_bzero(address->password, sizeof address->password);
    return -1;
  }
  return 0;
}
