/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-muplugin.c: the plugin loader (muplugin.h): where a program that is
 * not installed looks for its plugins (beside itself), that a missing
 * plugin is tried once and answered with the same FAILURE_PLUGIN every
 * time, and that a table handed to muplugin_use() is used without loading
 * anything, its operations working (a base64 part, an encoded subject, a
 * date). This test program is not in BINDIR and has no plugin beside it. */
#include <config.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "muplugin.h"
#include "../tap.h"

static void
test_path(void)
{
  char exe[PATH_MAX], want[PATH_MAX + 32], path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  TAP_OK(n > 0, "the test program knows where it is");
  if (n <= 0)
    return;
  exe[n] = '\0';
  *strrchr(exe, '/') = '\0';
  snprintf(want, sizeof want, "%s/mailutils.so", exe);
  TAP_INT(muplugin_path(MUPLUGIN_TEXT, path, sizeof path), 0, "path of mailutils.so");
  TAP_STR(path, want, "an uninstalled program looks beside itself");
  snprintf(want, sizeof want, "%s/mailboxes.so", exe);
  muplugin_path(MUPLUGIN_MAILBOXES, path, sizeof path);
  TAP_STR(path, want, "... for mailboxes.so too");
  TAP_INT(muplugin_path(MUPLUGIN_TEXT, path, 8), -1, "a path that does not fit: -1");
  TAP_INT(muplugin_path(MUPLUGIN_COUNT, path, sizeof path), -1, "no such plugin: -1");
}

static void
test_missing(void)
{
  struct failure first = { 0 }, again = { 0 };
  TAP_OK(muplugin_load(MUPLUGIN_TEXT, &first) == NULL, "no plugin beside the program: NULL");
  TAP_INT(first.class, FAILURE_PLUGIN, "... FAILURE_PLUGIN");
  TAP_OK(strstr(first.message, "mailutils.so") != NULL, "... naming the file: %s",
         first.message);
  TAP_OK(muplugin_load(MUPLUGIN_TEXT, &again) == NULL, "asked again: NULL");
  TAP_STR(again.message, first.message, "... the same answer (tried once)");
  TAP_OK(muplugin_load(MUPLUGIN_TEXT, NULL) == NULL, "a NULL failure is allowed");
}

static void
test_linked_in(void)
{
  struct failure failure = { 0 };
  muplugin_use(&backscatter_filter_mailutils);
  const struct muplugin *plugin = muplugin_load(MUPLUGIN_MAILBOXES, &failure);
  TAP_OK(plugin == &backscatter_filter_mailutils, "muplugin_use: the linked-in table");
  TAP_INT(failure.class, FAILURE_NONE, "... no failure");
  if (!plugin)
    return;
  TAP_INT((int) plugin->abi, MUPLUGIN_ABI, "its ABI version");
  TAP_STR(plugin->package_version, PACKAGE_VERSION, "its package version");

  char *out = NULL;
  size_t length = 0;
  int truncated = -1;
  static const char raw[] = "SGVsbG8sIHdvcmxkIQ==\n";
  TAP_INT(plugin->decode(raw, sizeof raw - 1, "base64", 100, &out, &length, &truncated),
          0, "decode base64");
  TAP_STR(out ? out : "", "Hello, world!", "... the text");
  TAP_INT(truncated, 0, "... whole");
  free(out);
  out = NULL;
  TAP_INT(plugin->decode(raw, sizeof raw - 1, "base64", 5, &out, &length, &truncated),
          0, "decode base64 capped at 5 bytes");
  TAP_OK(out && length == 5 && strcmp(out, "Hello") == 0 && truncated == 1,
         "... 5 bytes and truncated");
  free(out);
  out = NULL;
  TAP_INT(plugin->decode("a=3Db\n", 6, "quoted-printable", 100, &out, &length, &truncated),
          0, "decode quoted-printable");
  TAP_STR(out ? out : "", "a=b\n", "... the text");
  free(out);
  out = NULL;
  TAP_INT(plugin->decode("as is", 5, "x-unknown", 100, &out, &length, &truncated),
          0, "an unknown encoding");
  TAP_STR(out ? out : "", "as is", "... leaves the bytes as they are");
  free(out);

  char *decoded = NULL;
  TAP_INT(plugin->decode_words("=?UTF-8?Q?Unzustellbar:_Hallo?=", &decoded), 0,
          "RFC 2047 words");
  TAP_STR(decoded ? decoded : "", "Unzustellbar: Hallo", "... decoded");
  free(decoded);

  time_t when = 0;
  TAP_INT(plugin->parse_date("Fri, 20 Nov 2026 09:30:00 +0000", NULL, &when), 0,
          "an RFC 5322 date");
  TAP_INT((long long) when, 1795167000LL, "... its time");
  TAP_INT(plugin->parse_date("not a date at all", NULL, &when), -1, "junk: -1");

  muplugin_use(NULL);
  TAP_OK(muplugin_load(MUPLUGIN_TEXT, &failure) == NULL,
         "muplugin_use(NULL): back to loading (and its kept failure)");
}

int
main(void)
{
  test_path();
  test_missing();
  test_linked_in();
  return tap_done();
}
