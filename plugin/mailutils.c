/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mailutils.c: the plugin side of muplugin.h: the only place (with
 * mailboxes.c) where GNU Mailutils is called. Built into mailutils.so
 * (these text operations) and, with MUPLUGIN_WITH_MAILBOXES, into
 * mailboxes.so (the mailbox operations of mailboxes.c too); tests and the
 * fuzzer link the latter's objects in and hand its table to muplugin_use().
 *
 * Only the table is exported (-fvisibility=hidden for the rest): the
 * plugin's own helpers never resolve to or shadow the program's.
 * Limits: decoding is bounded by the caller's cap (every size in caps.h);
 * Mailutils' parsers are given NUL-terminated copies only.
 */
#include <config.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <mailutils/alloc.h>
#include <mailutils/datetime.h>
#include <mailutils/filter.h>
#include <mailutils/mime.h>
#include <mailutils/stream.h>
#include "muplugin-impl.h"

static void
init(void (*out_of_memory)(void))
{
  mu_alloc_die_hook = out_of_memory;
}

/* Read at most `cap` bytes of stream into a new NUL-terminated buffer,
 * growing it by doubling from 8 KB (most decoded parts are small). The
 * program's mime_read_bounded_until() grows its buffer the same way but is
 * not shared: the plugin links none of the program's code, and here a
 * decoding error ends what can be used instead of failing the read. */
static int
read_bounded(mu_stream_t stream, size_t cap, char **out, size_t *length,
             int *truncated)
{
  size_t allocated = cap < 8192 ? cap + 1 : 8192, used = 0;
  char *buffer = malloc(allocated);

  *truncated = 0;
  if (!buffer)
    return ENOMEM;
  for (;;) {
    if (used + 1 == allocated) {
      if (used >= cap) {
        char probe;
        size_t n = 0;
        if (mu_stream_read(stream, &probe, 1, &n) == 0 && n > 0)
          *truncated = 1;
        break;
      }
      size_t grow = allocated * 2 > cap + 1 ? cap + 1 : allocated * 2;
      char *bigger = realloc(buffer, grow);
      if (!bigger) {
        free(buffer);
        return ENOMEM;
      }
      buffer = bigger;
      allocated = grow;
    }
    size_t n = 0;
    int rc = mu_stream_read(stream, buffer + used, allocated - 1 - used, &n);
    if (rc || n == 0)
      break;                      /* a decoding error ends what we can use */
    used += n;
  }
  buffer[used] = '\0';
  *out = buffer;
  *length = used;
  return 0;
}

static int
decode(const char *raw, size_t raw_length, const char *encoding, size_t cap,
       char **out, size_t *length, int *truncated)
{
  mu_stream_t stream = NULL, decoded = NULL;
  int rc = mu_static_memory_stream_create(&stream, raw, raw_length);
  if (rc)
    return rc == ENOMEM ? ENOMEM : EIO;
  if (mu_filter_create(&decoded, stream, encoding, MU_FILTER_DECODE,
                       MU_STREAM_READ) == 0) {
    mu_stream_unref(stream);
    stream = decoded;
  }
  rc = read_bounded(stream, cap, out, length, truncated);
  mu_stream_destroy(&stream);
  return rc;
}

static int
decode_words(const char *value, char **decoded)
{
  *decoded = NULL;
  if (mu_rfc2047_decode("UTF-8", value, decoded) == 0 && *decoded)
    return 0;
  free(*decoded);
  *decoded = NULL;
  return -1;
}

static int
parse_date(const char *text, const time_t *now, time_t *when)
{
  time_t parsed = 0;
  if (mu_parse_date(text, &parsed, now) != 0)
    return -1;
  *when = parsed;
  return 0;
}

MUPLUGIN_EXPORT const struct muplugin backscatter_filter_mailutils = {
  .abi = MUPLUGIN_ABI,
  .package_version = PACKAGE_VERSION,
  .init = init,
  .decode = decode,
  .decode_words = decode_words,
  .parse_date = parse_date,
#ifdef MUPLUGIN_WITH_MAILBOXES
  .mailbox_open = muplugin_mailbox_open,
  .mailbox_header = muplugin_mailbox_header,
  .mailbox_close = muplugin_mailbox_close,
#endif
};
