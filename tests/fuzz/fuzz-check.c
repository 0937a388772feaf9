/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-check.c: libFuzzer target for the whole path from raw bytes to a
 * verdict, as `check` runs it: the pipeline of check.h (check_read over a
 * descriptor, the body kept as the header asks or whole as for --tag,
 * check_judge: walk choice, classify, references with the raw-body
 * fallback, decide against a real store), then every report form (tagged copy, header, verdict, explain); and
 * check's own reading over a real descriptor (input_read_kept, keeping
 * all, some or none of the body, as the first byte says), checked against
 * the bytes: size, partial flag and the kept prefix must be exact.
 *
 * The store is made once in a private temp directory and
 * holds one sent Message-ID and one recipient, so lookups can hit as well as
 * miss; it is opened read-only for the whole run, as a reader would, and its
 * files are unlinked at once (nothing is left behind however the run ends). Output
 * goes to /dev/null. Limits: one process, no locking contention, the clock
 * is fixed so runs are reproducible.
 */
#include <config.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "caps.h"
#include "check.h"
#include "classify.h"
#include "context.h"
#include "decision.h"
#include "header.h"
#include "input.h"
#include "mime.h"
#include "muplugin.h"
#include "notice.h"
#include "references.h"
#include "report.h"
#include "rules.h"
#include "store.h"

static const char fuzz_rules[] =
  "[identity]\naddresses = user@example.org\ndomains = example.org\n"
  "relays = smtp.example.org\n"
  "[rule lists]\nheader = List-Id\nglob = *lists.example*\nverdict = clean\n";

static char temp_dir[] = "/tmp/bsf-fuzz-XXXXXX";
static char store_path[sizeof temp_dir + 24];
static struct sent_store *store;
static struct rules rules;
static struct context context;
static int null_fd = -1;
static FILE *null_file;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  struct failure failure = { 0 };
  struct sent_store *writer = NULL;
  (void) argc; (void) argv;

  /* The plugin's sources are linked in (build.sh): its table, no dlopen(). */
  muplugin_use(&backscatter_filter_mailutils);
  if (!mkdtemp(temp_dir))
    abort();
  snprintf(store_path, sizeof store_path, "%s/sent.db", temp_dir);
  context.now = 1795000000;            /* fixed: 2026-11-18 */
  context.home = temp_dir;
  rules_init_defaults(&rules);
  if (rules_load_buffer(&rules, "fuzz.ini", fuzz_rules, sizeof fuzz_rules - 1,
                        &failure) < 0) {
    fprintf(stderr, "fuzz rules: %s\n", failure.message);
    abort();
  }
  if (sent_store_open(&writer, store_path, STORE_WRITE, 1000, &failure) < 0
      || sent_store_add_msgid(writer, "20261120093000.sent-1@mail.example.org",
                              context.now - 86400 * 40, &failure) < 0
      || sent_store_add_recipient(writer, "old.friend@example.net",
                                  context.now - 3600, &failure) < 0) {
    fprintf(stderr, "fuzz store: %s\n", failure.message);
    abort();
  }
  sent_store_close(&writer);
  if (sent_store_open(&store, store_path, STORE_READ, 1000, &failure) < 0) {
    fprintf(stderr, "fuzz store: %s\n", failure.message);
    abort();
  }
  /* libFuzzer may end with _Exit(): remove the files now, the open
   * store keeps them alive. */
  unlink(store_path);
  strcat(store_path, ".lock");
  unlink(store_path);
  rmdir(temp_dir);
  null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  null_file = fopen("/dev/null", "w");
  if (null_fd < 0 || !null_file)
    abort();
  return 0;
}

static size_t
keep_as_told(void *cookie, struct input *input)
{
  struct notice header_only = { 0 };
  struct failure failure = { 0 };
  /* As check does: the header is parsed inside the call. */
  (void) notice_parse_header(input, &header_only, &failure);
  notice_free(&header_only);
  return *(const size_t *) cookie;
}

/* check's reading path: the bytes through a descriptor, part of the body
 * kept; what is kept must be exactly the start of the bytes. */
static void
read_kept_and_parse(const uint8_t *data, size_t size)
{
  struct input input = { 0 };
  struct notice notice = { 0 };
  struct failure failure = { 0 };
  size_t answer = size == 0 ? 0 : data[0] & 1 ? SIZE_MAX : (size_t) (data[0] >> 1) * 64;
  int fd = memfd_create("fuzz-input", MFD_CLOEXEC);
  if (fd < 0)
    return;
  if (write(fd, data, size) != (ssize_t) size || lseek(fd, 0, SEEK_SET) != 0) {
    close(fd);
    return;
  }
  int rc = input_read_kept(fd, -1, &input, NULL, NULL, keep_as_told, &answer, &failure);
  close(fd);
  if (rc < 0)
    return;
  unsigned long long stored = input.spool.length;
  if (input.size != size || stored > size || (input.partial != (stored < size)))
    abort();
  char *back = malloc((size_t) stored + 1);
  size_t got = 0;
  if (!back || spool_read_at(&input.spool, 0, back, (size_t) stored, &got) != 0
      || got != (size_t) stored || memcmp(back, data, got) != 0)
    abort();
  free(back);
  if (notice_parse_header(&input, &notice, &failure) == 0) {
    if (input.partial)
      (void) notice_parse_text(&input, &notice, &failure);
    else
      (void) notice_parse_mime(&input, &notice, &failure);
  }
  notice_free(&notice);
  input_free(&input);
}

static void
open_fuzz_store(void *cookie, struct sent_store **lookup, struct journal_view **journal)
{
  (void) cookie;
  (void) journal;
  *lookup = store;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct notice notice = { 0 };
  struct failure failure = { 0 };
  char header[1024];
  /* The real route: check's pipeline over a descriptor, the body kept as
   * far as the header asks (check.h), judged against the store. */
  struct check_config config = {
    .rules = &rules, .context = &context, .signatures = NULL,
    .keep_whole = size > 0 && (data[0] & 2), .open_store = open_fuzz_store,
  };
  struct check_state state;
  int fd = memfd_create("fuzz-check", MFD_CLOEXEC);
  if (fd < 0)
    return 0;
  if (write(fd, data, size) != (ssize_t) size || lseek(fd, 0, SEEK_SET) != 0) {
    close(fd);
    return 0;
  }
  int read_failed = check_read(&config, fd, &state) < 0;
  close(fd);
  check_judge(&config, &state);
  state.store = NULL;                  /* the fuzzer's, kept open */
  if (read_failed || !state.decision) {
    check_free(&state);
    return 0;
  }
  struct input *input = &state.input;
  const struct decision *decision = state.decision;
  report_tag_header(decision, header, sizeof header);
  (void) report_write_tagged(input, decision, null_fd, &failure);
  (void) report_write_verdict(decision, null_file);
  report_explain(decision, null_file);
  if (state.notice.header)
    (void) header_each(state.notice.header, state.notice.header_length, NULL, NULL);

  /* record's path over the same bytes: the header only. */
  memset(&notice, 0, sizeof notice);
  (void) notice_parse_header(input, &notice, &failure);
  notice_free(&notice);
  check_free(&state);

  read_kept_and_parse(data, size);
  return 0;
}
