/* SPDX-License-Identifier: GPL-3.0-or-later */
/* muplugin.c: the loader of our Mailutils plugins (muplugin.h: where they
 * are taken from and why, the table, the versions).
 *
 * Each plugin is opened at most once per process, on first use; the table
 * or the failure is kept and given again on every later call, so a process
 * tries once and its caller says why once. The cache and the
 * out-of-memory handler are the only process-wide state, here alone.
 */
#include <config.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>
#include "muplugin.h"

/* RTLD_DEEPBIND for mailutils.so (muplugin.h says why and what it
 * changes), except under a sanitizer whose runtime intercepts dlopen() and
 * refuses the flag (ASan, TSan, MSan: the CI's ASan+UBSan run). */
#if defined __SANITIZE_ADDRESS__ || defined __SANITIZE_THREAD__
# define BSF_DEEPBIND_REFUSED 1
#elif defined __has_feature
# if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) \
     || __has_feature(memory_sanitizer)
#  define BSF_DEEPBIND_REFUSED 1
# endif
#endif
#if defined RTLD_DEEPBIND && !defined BSF_DEEPBIND_REFUSED
# define TEXT_PLUGIN_BIND RTLD_DEEPBIND
#else
# define TEXT_PLUGIN_BIND 0
#endif

#ifndef BINDIR
#error "BINDIR (the installed program's directory) must be defined"
#endif
#ifndef PKGLIBDIR
#error "PKGLIBDIR (the plugins' directory) must be defined"
#endif

static const char *const file_names[MUPLUGIN_COUNT] = {
  [MUPLUGIN_TEXT] = "mailutils.so",
  [MUPLUGIN_MAILBOXES] = "mailboxes.so",
};

struct loaded {
  int tried;
  const struct muplugin *table;
  struct failure failure;
};

static struct loaded cache[MUPLUGIN_COUNT];
static const struct muplugin *linked_in;
static void (*out_of_memory_handler)(void);

void
muplugin_on_out_of_memory(void (*handler)(void))
{
  out_of_memory_handler = handler;
}

/* What each plugin's init() is given: Mailutils must never return from
 * its die hook (it aborts after it). */
static void
out_of_memory(void)
{
  if (out_of_memory_handler)
    out_of_memory_handler();
  _exit(EX_TEMPFAIL);
}

void
muplugin_use(const struct muplugin *table)
{
  linked_in = table;
  if (table)
    table->init(out_of_memory);
}

/* Is the running program the installed one (in BINDIR)? */
static int
is_installed(const char *exe_directory)
{
  char bindir[PATH_MAX];
  if (!realpath(BINDIR, bindir))
    snprintf(bindir, sizeof bindir, "%s", BINDIR);
  return strcmp(exe_directory, bindir) == 0;
}

int
muplugin_path(enum muplugin_which which, char *path, size_t size)
{
  char exe[PATH_MAX];
  const char *directory = PKGLIBDIR;
  ssize_t length = getauxval(AT_SECURE) ? -1
                   : readlink("/proc/self/exe", exe, sizeof exe - 1);

  if ((unsigned) which >= MUPLUGIN_COUNT)
    return -1;
  if (length > 0) {
    exe[length] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = '\0';
      if (!is_installed(slash == exe ? "/" : exe))
        directory = slash == exe ? "" : exe;
    }
  }
  int n = snprintf(path, size, "%s/%s", directory, file_names[which]);
  return n < 0 || (size_t) n >= size ? -1 : 0;
}

/* The file may be loaded: regular, ours or root's, writable by no one
 * else (conffile.h's rule for configuration files). */
static int
check_file(const char *path, struct failure *failure)
{
  struct stat info;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return failure_set(failure, FAILURE_PLUGIN, "cannot open the Mailutils plugin "
                       "%s: %s", path, strerror(errno));
  int rc = fstat(fd, &info);
  int saved = errno;
  close(fd);
  if (rc != 0)
    return failure_set(failure, FAILURE_PLUGIN, "cannot look at the Mailutils "
                       "plugin %s: %s", path, strerror(saved));
  if (!S_ISREG(info.st_mode))
    return failure_set(failure, FAILURE_PLUGIN, "the Mailutils plugin %s is not a "
                       "regular file", path);
  if ((info.st_uid != 0 && info.st_uid != geteuid())
      || (info.st_mode & (S_IWGRP | S_IWOTH)))
    return failure_set(failure, FAILURE_PLUGIN, "the Mailutils plugin %s is not "
                       "loaded: it must be owned by us or root and writable by no "
                       "one else", path);
  return 0;
}

static const struct muplugin *
open_plugin(enum muplugin_which which, struct failure *failure)
{
  char path[PATH_MAX];

  if (muplugin_path(which, path, sizeof path) < 0) {
    failure_set(failure, FAILURE_PLUGIN, "the path of the Mailutils plugin is too long");
    return NULL;
  }
  if (check_file(path, failure) < 0)
    return NULL;
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL
                             | (which == MUPLUGIN_TEXT ? TEXT_PLUGIN_BIND : 0));
  if (!handle) {
    const char *why = dlerror();
    failure_set(failure, FAILURE_PLUGIN, "cannot load the Mailutils plugin: %s",
                why ? why : path);
    return NULL;
  }
  /* Never dlclose()d: Mailutils keeps pointers into it (its die hook, its
   * registered formats) for the rest of the process. */
  dlerror();
  const struct muplugin *table = dlsym(handle, MUPLUGIN_SYMBOL);
  if (!table) {
    const char *why = dlerror();
    failure_set(failure, FAILURE_PLUGIN, "%s is no Mailutils plugin of ours: %s",
                path, why ? why : "no table");
    return NULL;
  }
  if (table->abi != MUPLUGIN_ABI) {
    failure_set(failure, FAILURE_PLUGIN, "the Mailutils plugin %s has interface "
                "version %u, this program needs %u", path, table->abi, MUPLUGIN_ABI);
    return NULL;
  }
  if (!table->package_version || strcmp(table->package_version, PACKAGE_VERSION) != 0) {
    failure_set(failure, FAILURE_PLUGIN, "the Mailutils plugin %s is from "
                "backscatter-filter %.40s, this program is %s", path,
                table->package_version ? table->package_version : "(unknown)",
                PACKAGE_VERSION);
    return NULL;
  }
  if (!table->init || !table->decode || !table->decode_words || !table->parse_date
      || (which == MUPLUGIN_MAILBOXES && (!table->mailbox_open || !table->mailbox_header
                                          || !table->mailbox_close))) {
    failure_set(failure, FAILURE_PLUGIN, "the Mailutils plugin %s lacks an operation",
                path);
    return NULL;
  }
  table->init(out_of_memory);
  return table;
}

const struct muplugin *
muplugin_load(enum muplugin_which which, struct failure *failure)
{
  if (linked_in)
    return linked_in;
  if ((unsigned) which >= MUPLUGIN_COUNT) {
    failure_set(failure, FAILURE_PLUGIN, "no such Mailutils plugin");
    return NULL;
  }
  struct loaded *loaded = &cache[which];
  if (!loaded->tried) {
    loaded->tried = 1;
    loaded->table = open_plugin(which, &loaded->failure);
  }
  if (!loaded->table && failure)
    *failure = loaded->failure;
  return loaded->table;
}
