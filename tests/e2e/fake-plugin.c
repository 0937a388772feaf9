/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fake-plugin.c: a plugin the loader must refuse (e2e/plugin): built with
 * FAKE_ABI (another interface version) or FAKE_VERSION (another package
 * version), put beside a copy of the program as mailutils.so. Its
 * operations would tell if it were ever called: they abort. */
#include <config.h>
#include <stdlib.h>
#include "muplugin.h"

#ifndef FAKE_ABI
#define FAKE_ABI MUPLUGIN_ABI
#endif
#ifndef FAKE_VERSION
#define FAKE_VERSION PACKAGE_VERSION
#endif

static void
init(void (*out_of_memory)(void))
{
  (void) out_of_memory;
  abort();
}

static int
decode(const char *raw, size_t raw_length, const char *encoding, size_t cap,
       char **out, size_t *length, int *truncated)
{
  (void) raw, (void) raw_length, (void) encoding, (void) cap;
  (void) out, (void) length, (void) truncated;
  abort();
}

static int
decode_words(const char *value, char **decoded)
{
  (void) value, (void) decoded;
  abort();
}

static int
parse_date(const char *text, const time_t *now, time_t *when)
{
  (void) text, (void) now, (void) when;
  abort();
}

__attribute__((visibility("default")))
const struct muplugin backscatter_filter_mailutils = {
  .abi = FAKE_ABI,
  .package_version = FAKE_VERSION,
  .init = init,
  .decode = decode,
  .decode_words = decode_words,
  .parse_date = parse_date,
};
