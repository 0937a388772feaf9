/* SPDX-License-Identifier: GPL-3.0-or-later */
/* muplugin.h: everything backscatter-filter takes from GNU Mailutils,
 * behind one narrow interface in private plugins of ours, loaded with
 * dlopen() only when a message needs them (as Postfix loads its optional
 * map types, dynamicmaps). The program itself is not linked with
 * libmailutils: linked in, its start-up (symbol binding, BIND_NOW on
 * Debian) cost every delivery more than all the rest of `check` on
 * ordinary mail (figures in bench/ANALYSIS.md).
 *
 * Two shared objects in PKGLIBDIR ($(libdir)/backscatter-filter), built
 * from plugin/, each exporting one symbol, MUPLUGIN_SYMBOL, a const
 * struct muplugin:
 *   - mailutils.so (MUPLUGIN_TEXT), linked with libmailutils only:
 *     transfer-encoding decoding, RFC 2047 words, dates. What `check`
 *     may need, for a notice's encoded part or subject, an original's
 *     Date that our own parser (datetime.h) does not read.
 *   - mailboxes.so (MUPLUGIN_MAILBOXES), also linked with Mailutils'
 *     mailbox-format libraries and its IMAP client (GnuTLS, GSASL, ...:
 *     about twenty times mailutils.so's load cost, measured in
 *     bench/ANALYSIS.md): the same table plus the mailbox operations,
 *     for `import` only.
 *
 * The table starts with its ABI version (MUPLUGIN_ABI, the first member,
 * at that place in every version to come) and the package version it was
 * built from; the loader refuses a plugin whose either differs (a plugin
 * left from another build or release is never called). The functions
 * never exit and never log.
 *
 * The loader (filter/muplugin.c) opens each plugin once per process,
 * lazily, on first use, and keeps the answer, also a failure (the process
 * cache is the loader's only state, with the out-of-memory handler). Any
 * trouble (missing file, a file we must not trust, dlopen()'s or dlsym()'s
 * error, a version mismatch) comes back as a struct failure of class
 * FAILURE_PLUGIN; callers degrade as "never lose mail" demands: check
 * judges on what it could read (unknown, delivered, one log line); import
 * exits 1, as for any trouble. `record` never loads a plugin (record.c).
 *
 * Where the plugin is taken from (no environment variable, no search path:
 * the program runs from delivery agents with environments strangers may
 * shape, so a path chosen by the environment would load a stranger's code
 * into a user's delivery):
 *   - an installed program (the running executable, /proc/self/exe, is in
 *     BINDIR, compared after resolving symbolic links) loads only from
 *     PKGLIBDIR, which is as trusted as BINDIR itself (same owner, root);
 *   - any other copy (the build tree, `make distcheck`, the integration
 *     tests that run the built binary under Dovecot, Exim and Postfix, which
 *     strip the environment) loads the plugin from beside the executable.
 *     Whoever can put a file beside a program could as well have replaced
 *     the program, so this gives no one more than they had;
 *   - a set-id or otherwise secure-execution start (AT_SECURE) loads only
 *     from PKGLIBDIR: there the caller may not have chosen the program; so
 *     does a process that cannot read /proc/self/exe.
 * The installed directories are those configure was given (compiled in):
 * `make prefix=... install` after building for another prefix installs a
 * program that takes itself for a copy (as it would SYSCONFDIR's rule
 * file). `make installcheck` (tests/installcheck.sh, also run by
 * `make distcheck`) checks the installed program's rule.
 * The file must be a regular file owned by us (the effective uid) or root
 * and writable by no one else, as for the rule file (conffile.h); it is
 * checked on an open descriptor, then loaded by its path with
 * dlopen(RTLD_NOW | RTLD_LOCAL) (a swap between the two is not detected:
 * the directory's permissions are what protects it). Never dlclose()d.
 *
 * mailutils.so is opened with RTLD_DEEPBIND as well: libmailutils is built
 * BIND_NOW and nearly all of its ~1,200 bindings resolve into itself;
 * looked up in the plugin's own scope first they cost about 240,000 fewer
 * instructions per load (callgrind, bench/ANALYSIS.md, issue 11), paid by
 * every notice whose text is encoded. What the flag changes, checked:
 *   - a symbol the plugin's libraries take from libc resolves to libc's own
 *     definition, not to one the program overrides. The program defines
 *     (exports) no function, and no library interposes malloc, so the
 *     buffers the plugin allocates (decode) and we free are libc's on both
 *     sides; valgrind replaces libc's malloc by redirecting libc's own
 *     functions, not by symbol lookup, so it still sees both sides
 *     (tests/valgrind.sh runs e2e/plugin and the base64 bounces clean).
 *   - copy-relocated data: the program holds copies of stdin, stdout,
 *     stderr (and getopt's optind/optarg/opterr); libmailutils reads
 *     stdin/stdout/stderr and would now see libc's originals. They hold
 *     the same pointers as long as nobody assigns them (no one here does:
 *     never assign stdin/stdout/stderr in this program), and the plugin's
 *     functions print nothing anyway.
 *   - the out-of-memory handler is passed as a pointer (init), so no
 *     symbol lookup is involved; it still runs our code.
 *   - ASan's, TSan's and MSan's runtimes refuse RTLD_DEEPBIND (dlopen
 *     fails: their interceptors would be bypassed), so a sanitized build
 *     (__SANITIZE_ADDRESS__, __has_feature(address_sanitizer), ...: the
 *     CI's ASan+UBSan run) loads without it, as before.
 * mailboxes.so (import only, not per delivery, twenty libraries whose
 * interplay was not reviewed for this) is loaded without RTLD_DEEPBIND.
 *
 * Tests and the fuzzer link the plugin's sources in and hand the table to
 * muplugin_use(): no dlopen(), no file.
 */
#ifndef BSF_MUPLUGIN_H
#define BSF_MUPLUGIN_H

#include <stddef.h>
#include <time.h>
#include "failure.h"

/* Raised on any change to struct muplugin or to what a member means. */
#define MUPLUGIN_ABI 1
/* The one symbol each plugin exports: a const struct muplugin. */
#define MUPLUGIN_SYMBOL "backscatter_filter_mailutils"

enum muplugin_which {
  MUPLUGIN_TEXT,         /* mailutils.so */
  MUPLUGIN_MAILBOXES,    /* mailboxes.so */
  MUPLUGIN_COUNT
};

/* What a mailbox name is (mailbox_open): a local mbox file, maildir or MH
 * folder is read by the caller itself, one message at a time (Mailutils'
 * drivers keep every message they hand out); anything else (dotmail,
 * imap://, imaps://) is read through Mailutils. */
enum muplugin_mailbox_kind {
  MUPLUGIN_MAILBOX_MBOX,       /* path: the mbox file */
  MUPLUGIN_MAILBOX_MAILDIR,    /* path: the maildir */
  MUPLUGIN_MAILBOX_MH,         /* path: the MH folder */
  MUPLUGIN_MAILBOX_OTHER,      /* open: read with mailbox_header() */
};

enum { MUPLUGIN_PATH_BYTES = 4096 };

struct muplugin_mailbox_info {
  enum muplugin_mailbox_kind kind;
  char path[MUPLUGIN_PATH_BYTES];   /* for MBOX, MAILDIR, MH */
  size_t count;                     /* for OTHER: its messages */
};

struct muplugin_mailbox;            /* an open Mailutils mailbox */

struct muplugin {
  unsigned abi;                     /* MUPLUGIN_ABI: first, always */
  const char *package_version;      /* PACKAGE_VERSION it was built from */

  /* Called once by the loader: Mailutils' allocation failures (it aborts
   * after its mu_alloc_die_hook) call out_of_memory, which must not
   * return. */
  void (*init)(void (*out_of_memory)(void));

  /* Undo a Content-Transfer-Encoding (Mailutils' filter of that name; an
   * encoding it does not know leaves the bytes as they are): at most `cap`
   * decoded bytes into a new buffer of cap + 1 bytes at most, NUL
   * terminated, line ends as decoded (the caller normalises). *truncated
   * when more was there; a decoding error ends what is kept. 0, or an
   * errno value (ENOMEM; nothing to free). */
  int (*decode)(const char *raw, size_t raw_length, const char *encoding,
                size_t cap, char **out, size_t *length, int *truncated);

  /* RFC 2047 encoded words of a header value decoded to UTF-8 into a new
   * string (*decoded, to free). 0, or -1 (nothing to free). */
  int (*decode_words)(const char *value, char **decoded);

  /* A date in any form Mailutils' parser reads (RFC 5322, an mbox From_
   * line's, IMAP's), relative ones against *now (NULL: the clock). 0 and
   * *when, or -1. */
  int (*parse_date)(const char *text, const time_t *now, time_t *when);

  /* The mailbox operations: NULL in mailutils.so. */

  /* What `name` (a path or a Mailutils URL) is; for MUPLUGIN_MAILBOX_OTHER
   * it is opened for reading into *box (else *box is NULL). 0, or -1 with
   * FAILURE_INPUT ("cannot open mailbox NAME: why"). */
  int (*mailbox_open)(const char *name, struct muplugin_mailbox_info *info,
                      struct muplugin_mailbox **box, struct failure *failure);
  /* Message `number` (1 .. count): its header block, at most `cap` bytes,
   * into buffer, and the date Mailutils gives it (IMAP INTERNALDATE, a From_
   * line) or 0. 0, or -1 when it cannot be read. */
  int (*mailbox_header)(struct muplugin_mailbox *box, size_t number, char *buffer,
                        size_t cap, size_t *length, time_t *envelope_date);
  void (*mailbox_close)(struct muplugin_mailbox **box);
};

/* The table of plugin `which`, loaded on first use; NULL with
 * FAILURE_PLUGIN in *failure (the same answer on every later call). */
const struct muplugin *muplugin_load(enum muplugin_which which,
                                     struct failure *failure);

/* Tests and the fuzzer: use this table (linked in: the plugin's sources'
 * backscatter_filter_mailutils, below) for every plugin from now on,
 * without loading anything (its init() is called here); NULL goes back to
 * loading. */
void muplugin_use(const struct muplugin *table);

/* The table itself: defined only by the plugin's sources (plugin/), so
 * known to the program only through dlsym(); tests that link them in name
 * it. */
extern const struct muplugin backscatter_filter_mailutils;

/* The program's out-of-memory handling for allocations that fail inside
 * Mailutils (must not return); until set, such a failure ends the process
 * with EX_TEMPFAIL. */
void muplugin_on_out_of_memory(void (*handler)(void));

/* Where plugin `which` is looked for by this process (the rules above),
 * into path; 0, or -1 when it does not fit. */
int muplugin_path(enum muplugin_which which, char *path, size_t size);

#endif
