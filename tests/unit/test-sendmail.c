/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sendmail.c: record --sendmail's child (sendmail_run), table-driven:
 * its exit status passes through; one that cannot run, dies by a signal
 * or exits 0 without reading the whole message is the tempfail code; the
 * bytes arrive exactly. The children are /bin/sh scripts (no program from
 * PATH). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sendmail.h"
#include "../tap.h"

enum { TEMPFAIL = 111 };

static const struct {
  const char *what;
  const char *script;         /* for /bin/sh -c; NULL: a program that does not exist */
  size_t message_bytes;
  int want_status;
} cases[] = {
  { "reads all, exits 0", "cat > /dev/null", 1000, 0 },
  { "reads all, exits 3: passed on", "cat > /dev/null; exit 3", 1000, 3 },
  { "exits 0 unread, large message: tempfail", "exit 0", 1000000, TEMPFAIL },
  { "exits 5 unread: its own status", "exit 5", 1000000, 5 },
  { "killed by a signal: tempfail", "kill -9 $$", 1000, TEMPFAIL },
  { "no such program: tempfail", NULL, 1000, TEMPFAIL },
};

int
main(void)
{
  char dir[] = "/tmp/bsf-sendmail.XXXXXX";
  signal(SIGPIPE, SIG_IGN);     /* as main() does: EPIPE, not death */
  if (!mkdtemp(dir))
    return 1;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t length = cases[i].message_bytes;
    char *text = malloc(length);
    for (size_t k = 0; k < length; k++)
      text[k] = k % 70 == 69 ? '\n' : (char) ('A' + k % 26);
    struct input input;
    struct failure failure = { 0 };
    if (input_from_buffer(text, length, &input, &failure) < 0) {
      TAP_OK(0, "%s: input made", cases[i].what);
      free(text);
      continue;
    }
    char missing[64];
    snprintf(missing, sizeof missing, "%s/no-such-sendmail", dir);
    char *argv_sh[] = { "/bin/sh", "-c", (char *) cases[i].script, NULL };
    char *argv_missing[] = { missing, NULL };
    int status = sendmail_run(cases[i].script ? argv_sh : argv_missing, &input,
                              TEMPFAIL, &failure);
    TAP_OK(status == cases[i].want_status, "%s: status %d", cases[i].what, status);
    TAP_OK(failure.class == FAILURE_NONE, "%s: started (no failure noted)",
           cases[i].what);
    input_free(&input);
    free(text);
  }

  /* The bytes arrive exactly, and sendmail's arguments are passed. */
  static const char message[] = "From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n";
  struct input input;
  struct failure failure = { 0 };
  char out[64], script[256];
  snprintf(out, sizeof out, "%s/out", dir);
  snprintf(script, sizeof script, "printf '%%s\\n' \"$1\" > %s.args; cat > %s", out, out);
  char *argv[] = { "/bin/sh", "-c", script, "sh", "-oi", NULL };
  if (input_from_buffer(message, sizeof message - 1, &input, &failure) == 0) {
    TAP_OK(sendmail_run(argv, &input, TEMPFAIL, &failure) == 0, "copy: exit 0");
    input_free(&input);
  }
  char got[256] = "";
  FILE *file = fopen(out, "rb");
  size_t n = file ? fread(got, 1, sizeof got - 1, file) : 0;
  if (file)
    fclose(file);
  TAP_OK(n == sizeof message - 1 && memcmp(got, message, n) == 0,
         "copy: the message arrives byte for byte (CRLF kept)");
  char args_path[160], args[64] = "";
  snprintf(args_path, sizeof args_path, "%s.args", out);
  file = fopen(args_path, "r");
  if (file) {
    if (!fgets(args, sizeof args, file))
      args[0] = '\0';
    fclose(file);
  }
  TAP_STR(args, "-oi\n", "copy: the arguments are passed");
  unlink(out);
  unlink(args_path);
  rmdir(dir);
  return tap_done();
}
