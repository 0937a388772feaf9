/* SPDX-License-Identifier: GPL-3.0-or-later */
/* main.c: backscatter-filter's command line. Wires the modules together and
 * is the only place that logs an error or exits.
 *
 * `check` never loses mail: every trouble (bad options or rule file,
 * unreadable input, store trouble) ends in the deliver exit code, or in the
 * tempfail code when the rule file says on_error = tempfail, with one log
 * line; in --tag mode the message is still passed through. `record
 * --passthrough` copies its input to stdout as it reads it and exits 0 even
 * when the store fails (Exim defers a transport_filter that fails), but
 * not when the copy failed: a read or write error exits tempfail.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "caps.h"
#include "check.h"
#include "classify.h"
#include "configtest.h"
#include "context.h"
#include "decision.h"
#include "deliver.h"
#include "exitcodes.h"
#include "journal.h"
#include "mailid.h"
#include "header.h"
#include "input.h"
#include "mime.h"
#include "muplugin.h"
#include "notice.h"
#include "record.h"
#include "references.h"
#include "report.h"
#include "rules.h"
#include "sendmail.h"
#include "store.h"
#include "util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifdef HAVE_REDIS
#define HAVE_REDIS_BUILT 1
#else
#define HAVE_REDIS_BUILT 0
#endif

enum command { COMMAND_CHECK, COMMAND_RECORD, COMMAND_IMPORT, COMMAND_EXPIRE,
               COMMAND_STATS, COMMAND_DUMP, COMMAND_CONFIGTEST };

enum output_mode { OUTPUT_EXIT_CODE, OUTPUT_TAG, OUTPUT_VERDICT };

struct options {
  enum command command;
  const char *config_path;
  const char *store_path;
  enum output_mode output;
  int explain;
  int passthrough;
  int keep_since;               /* import --keep-since */
  int quiet;                    /* import, expire --quiet: errors only */
  const char *deliver_to;       /* check --deliver MAILBOX */
  const char *folder;           /* check --folder MAILBOX: where "file" goes */
  char **sendmail;              /* record --sendmail PROGRAM ARGS...: argv */
  const char **envelope;        /* record --rcpt ADDR ..., and operands */
  size_t envelope_count;
  char **operands;              /* import: mailboxes */
  int operand_count;
  int usage_error;
  char usage_message[256];
};

/* Everything a run needs, built once here and passed down. */
struct run {
  struct options options;
  struct context context;
  struct rules rules;
  struct signature_set signatures;  /* [classify] signatures, or empty */
  char *store_path;
  char *store_shown;            /* store_path for messages: no password */
  struct store_options store_options;   /* from the rules */
  FILE *log_also;               /* the [log] file, or NULL */
  struct log_subject subject;   /* the user and the message, for log lines */
  char user[64];                /* context.user, or our uid's login, or "uid N" */
  char msgid[CAP_ID_BYTES + 1]; /* the judged or recorded message's own ID */
  int store_missing;            /* check: the store is not created yet */
  size_t journal_entries;       /* check: entries waiting in the journal */
  struct failure failure;       /* the first trouble of this run */
  int trouble;
  int print_every_trouble;      /* configtest: each on stderr as it comes */
};

static const char usage_text[] =
  "Usage: backscatter-filter [check] [OPTIONS] < MESSAGE    judge one incoming message\n"
  "       backscatter-filter record  [OPTIONS] [RCPT...] < MESSAGE   remember one sent message\n"
  "       backscatter-filter import  [OPTIONS] MAILBOX...   remember every message of Sent folders\n"
  "       backscatter-filter expire  [OPTIONS]              forget entries older than the TTL\n"
  "       backscatter-filter stats   [OPTIONS]              what the store holds\n"
  "       backscatter-filter dump    [OPTIONS]              the store as text\n"
  "       backscatter-filter configtest [OPTIONS]           what would be used; 0, or 78 and the errors\n"
  "Options: -c, --config FILE   rule file\n"
  "         --store PATH        sent store (overrides the rule file)\n"
  "         -h, --help          this text;  -V, --version  the version\n"
  "check:   --explain           the decision and every reason for it, on stderr\n"
  "         --tag               print the message with an X-Backscatter header; exit 0\n"
  "         --verdict           print 'VERDICT ACTION'; exit 0\n"
  "         --deliver MAILBOX   deliver the message there yourself (file: --folder)\n"
  "         --folder MAILBOX    with --deliver: where filed messages go\n"
  "record:  --passthrough       copy the message to stdout, silent; 75 if the copy failed\n"
  "         --rcpt ADDRESS      an envelope recipient (repeatable)\n"
  "         --sendmail PROGRAM [ARGS...]  then send it with PROGRAM (last option)\n"
  "import:  --keep-since        leave recording-since where it is\n"
  "import, expire: --quiet      print errors only (for cron)\n"
  "Exit codes of check (rule file [exit]): deliver 0, drop 1, file 2, tempfail 75.\n"
  "A bad command line is exit 64 (check from a delivery agent delivers and logs it).\n";

static void
note_trouble(struct run *run, const struct failure *failure)
{
  if (run->print_every_trouble)
    fprintf(stderr, "backscatter-filter: %s\n", failure->message);
  if (!run->trouble) {
    run->failure = *failure;
    run->trouble = 1;
  }
}

static int
parse_command(const char *word, enum command *command)
{
  static const struct { const char *name; enum command command; } commands[] = {
    { "check", COMMAND_CHECK }, { "record", COMMAND_RECORD },
    { "import", COMMAND_IMPORT }, { "expire", COMMAND_EXPIRE },
    { "stats", COMMAND_STATS }, { "dump", COMMAND_DUMP },
    { "configtest", COMMAND_CONFIGTEST },
  };
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(word, commands[i].name) == 0) {
      *command = commands[i].command;
      return 0;
    }
  return -1;
}

enum { OPTION_STORE = 256, OPTION_EXPLAIN, OPTION_TAG, OPTION_VERDICT,
       OPTION_PASSTHROUGH, OPTION_RCPT, OPTION_HELP, OPTION_VERSION,
       OPTION_DELIVER, OPTION_FOLDER, OPTION_KEEP_SINCE, OPTION_QUIET };

/* Returns 1 when --help or --version was answered, else 0; usage errors
 * are kept in options->usage_error so `check` can still deliver. */
static int
parse_options(int argc, char **argv, struct options *options)
{
  static const struct option long_options[] = {
    { "config", required_argument, NULL, 'c' },
    { "store", required_argument, NULL, OPTION_STORE },
    { "explain", no_argument, NULL, OPTION_EXPLAIN },
    { "tag", no_argument, NULL, OPTION_TAG },
    { "verdict", no_argument, NULL, OPTION_VERDICT },
    { "passthrough", no_argument, NULL, OPTION_PASSTHROUGH },
    { "rcpt", required_argument, NULL, OPTION_RCPT },
    { "deliver", required_argument, NULL, OPTION_DELIVER },
    { "folder", required_argument, NULL, OPTION_FOLDER },
    { "keep-since", no_argument, NULL, OPTION_KEEP_SINCE },
    { "quiet", no_argument, NULL, OPTION_QUIET },
    { "help", no_argument, NULL, OPTION_HELP },
    { "version", no_argument, NULL, OPTION_VERSION },
    { NULL, 0, NULL, 0 },
  };
  int first = 1;

  memset(options, 0, sizeof *options);
  options->envelope = calloc((size_t) argc + 1, sizeof *options->envelope);
  /* record --sendmail PROGRAM ARGS...: everything after PROGRAM belongs to
   * sendmail, whatever it looks like. */
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--sendmail") == 0) {
      options->sendmail = argv + i + 1;
      argc = i;
      break;
    }
  if (argc > 1 && argv[1][0] != '-') {
    if (parse_command(argv[1], &options->command) < 0) {
      options->usage_error = 1;
      snprintf(options->usage_message, sizeof options->usage_message,
               "unknown command '%s'", argv[1]);
      return 0;
    }
    first = 2;
  }
  optind = first;
  opterr = 0;
  for (;;) {
    int option = getopt_long(argc, argv, ":c:hV", long_options, NULL);
    if (option == -1)
      break;
    switch (option) {
    case 'c': options->config_path = optarg; break;
    case OPTION_STORE: options->store_path = optarg; break;
    case OPTION_EXPLAIN: options->explain = 1; break;
    case OPTION_TAG: options->output = OUTPUT_TAG; break;
    case OPTION_VERDICT: options->output = OUTPUT_VERDICT; break;
    case OPTION_PASSTHROUGH: options->passthrough = 1; break;
    case OPTION_DELIVER: options->deliver_to = optarg; break;
    case OPTION_FOLDER: options->folder = optarg; break;
    case OPTION_KEEP_SINCE: options->keep_since = 1; break;
    case OPTION_QUIET: options->quiet = 1; break;
    case OPTION_RCPT:
      if (options->envelope)
        options->envelope[options->envelope_count++] = optarg;
      break;
    case 'h':
    case OPTION_HELP:
      fputs(usage_text, stdout);
      return 1;
    case 'V':
    case OPTION_VERSION:
      puts(PACKAGE_STRING);
      printf("stores: %s\n", sent_store_backends());
      return 1;
    default:
      options->usage_error = 1;
      snprintf(options->usage_message, sizeof options->usage_message,
               "bad option '%s'", argv[optind - 1]);
      break;
    }
  }
  options->operands = argv + optind;
  options->operand_count = argc - optind;
  if (options->command == COMMAND_RECORD)
    for (int i = 0; i < options->operand_count && options->envelope; i++)
      options->envelope[options->envelope_count++] = options->operands[i];
  int needs_operands = options->command == COMMAND_IMPORT;
  int takes_operands = needs_operands || options->command == COMMAND_RECORD;
  if (!options->usage_error && ((needs_operands && options->operand_count == 0)
                                || (!takes_operands && options->operand_count > 0))) {
    options->usage_error = 1;
    snprintf(options->usage_message, sizeof options->usage_message,
             needs_operands ? "import needs at least one mailbox"
                            : "unexpected argument '%s'", options->operands[0]);
  }
  if (!options->usage_error && options->command != COMMAND_CHECK
      && (options->explain || options->output != OUTPUT_EXIT_CODE)) {
    options->usage_error = 1;
    snprintf(options->usage_message, sizeof options->usage_message,
             "--explain, --tag and --verdict go with check only");
  }
  if (!options->usage_error && options->command != COMMAND_RECORD
      && (options->passthrough || options->envelope_count > 0 || options->sendmail)) {
    options->usage_error = 1;
    snprintf(options->usage_message, sizeof options->usage_message,
             "--passthrough, --rcpt and --sendmail go with record only");
  }
  if (!options->usage_error && options->keep_since
      && options->command != COMMAND_IMPORT) {
    options->usage_error = 1;
    snprintf(options->usage_message, sizeof options->usage_message,
             "--keep-since goes with import only");
  }
  if (!options->usage_error && options->quiet
      && options->command != COMMAND_IMPORT && options->command != COMMAND_EXPIRE) {
    options->usage_error = 1;
    snprintf(options->usage_message, sizeof options->usage_message,
             "--quiet goes with import and expire only");
  }
  if (!options->usage_error && options->passthrough && options->sendmail) {
    options->usage_error = 1;
    snprintf(options->usage_message, sizeof options->usage_message,
             "--passthrough and --sendmail exclude each other");
  }
  if (!options->usage_error && (options->folder || options->deliver_to)
      && (options->command != COMMAND_CHECK || !options->deliver_to
          || options->output != OUTPUT_EXIT_CODE)) {
    options->usage_error = 1;
    snprintf(options->usage_message, sizeof options->usage_message,
             "--deliver goes with check alone, --folder with --deliver");
  }
  return 0;
}

/* The user's name for log lines: the one the delivery agent gave
 * (context->user), else our uid's login ("uid N" when it has none). The
 * password database is asked only then: a lookup per delivery (nsswitch,
 * nscd, /etc/passwd) cost more system calls than the rest of `check` on
 * ordinary mail (bench/ANALYSIS.md, issue 11). */
static void
find_user(const struct context *context, char *buffer, size_t size)
{
  if (context->user) {
    snprintf(buffer, size, "%s", context->user);
    return;
  }
  struct passwd *entry = getpwuid(getuid());
  if (entry && entry->pw_name && entry->pw_name[0])
    snprintf(buffer, size, "%s", entry->pw_name);
  else
    snprintf(buffer, size, "uid %lu", (unsigned long) getuid());
}

static void
build_context(struct context *context)
{
  memset(context, 0, sizeof *context);
  context->now = time(NULL);
  context->home = getenv("HOME");
  context->xdg_config_home = getenv("XDG_CONFIG_HOME");
  context->xdg_state_home = getenv("XDG_STATE_HOME");
  context->system_config = SYSCONFDIR "/backscatter-filter/rules.ini";
  context->sender = getenv("SENDER");
  context->tmpdir = getenv("TMPDIR");
  context->user = getenv("USER");
  if (!context->user || !context->user[0])
    context->user = getenv("LOGNAME");
  if (context->user && !context->user[0])
    context->user = NULL;
}

/* Rule file and store path. Trouble is noted, defaults stay in force. */
static void
load_configuration(struct run *run)
{
  struct failure failure = { 0 };
  char *path = NULL;

  rules_init_defaults(&run->rules);
  if (run->options.config_path)
    path = strdup(run->options.config_path);
  else if (rules_default_path(&run->context, &path, &failure) < 0)
    note_trouble(run, &failure);
  if (path && rules_load(&run->rules, path, &failure) < 0)
    note_trouble(run, &failure);
  free(path);
  if (run->options.store_path)
    run->store_path = strdup(run->options.store_path);
  else if (rules_store_path(&run->rules, &run->context, &run->store_path,
                            &failure) < 0)
    note_trouble(run, &failure);
  run->store_options = (struct store_options) {
    .lock_wait_ms = run->rules.lock_wait_ms,
    .ttl = run->rules.ttl,
    .namespace = run->rules.store_namespace,
    .timeout_ms = run->rules.store_timeout_ms,
    .password = run->rules.store_password,
  };
  if (run->store_path && store_path_is_redis(run->store_path)) {
    struct redis_address address;
    struct failure ignored;
    run->store_shown = strdup(store_parse_redis_url(run->store_path, &address,
                                                    &ignored) == 0
                              ? address.display : "(a Redis URL)");
    explicit_bzero(&address, sizeof address);
  } else if (run->store_path) {
    run->store_shown = strdup(run->store_path);
  }
  /* A password on the command line is seen by every user (ps, /proc):
   * it belongs in the owner-checked rule file. */
  if (run->options.store_path && store_path_is_redis(run->options.store_path)) {
    struct redis_address address;
    if (store_parse_redis_url(run->options.store_path, &address,
                              &failure) == 0 && address.password[0]) {
      failure_set(&failure, FAILURE_CONFIG, "--store: a password on the "
                  "command line is visible to every user: put it in the rule "
                  "file ([store] password)");
      note_trouble(run, &failure);
    }
    explicit_bzero(&address, sizeof address);
  }
  /* configtest creates nothing: it names the log file (command_configtest). */
  if (run->rules.log_file && run->options.command != COMMAND_CONFIGTEST) {
    /* 0600 and close-on-exec: it holds correspondents' addresses, and the
     * --sendmail child has no business with it. */
    int fd = -1;
    if (rules_expand_path(run->rules.log_file, &run->context, &path,
                          &failure) < 0)
      note_trouble(run, &failure);
    else
      fd = open_private_append(path);
    free(path);
    path = NULL;
    if (fd >= 0 && !(run->log_also = fdopen(fd, "a")))
      close(fd);
    if (run->log_also)
      setvbuf(run->log_also, NULL, _IOLBF, 0);
  }
  if (run->rules.signatures_file) {
    if (rules_expand_path(run->rules.signatures_file, &run->context, &path,
                          &failure) < 0
        || signatures_load(&run->signatures, path, &failure) < 0)
      note_trouble(run, &failure);
    free(path);
  }
}

/* The exit code for check's trouble: deliver, or tempfail if the user
 * asked (exitcodes.h). */
static int
trouble_exit(const struct rules *rules)
{
  return exit_status(EXIT_FOR_CHECK, OUTCOME_TROUBLE, rules);
}

/* The configured tempfail code (rule file [exit] tempfail). */
static int
tempfail_exit(const struct rules *rules)
{
  return exit_status(EXIT_FOR_CHECK, OUTCOME_TEMPFAIL, rules);
}

/* Log lines go to syslog (rules), to the [log] file, and with --explain to
 * stderr; in --tag and --passthrough modes stderr stays silent. */
static void
log_decision(struct run *run, const struct decision *decision)
{
  report_log_decision(&run->rules, &run->subject, decision, run->log_also);
  if (run->options.explain)
    report_log_decision(&(struct rules) { .log_syslog = 0 }, &run->subject,
                        decision, stderr);
}

static void
log_failure(struct run *run, const char *what, const char *outcome)
{
  report_log_failure(&run->rules, &run->subject, what, &run->failure, outcome,
                     run->log_also);
  if (run->options.explain)
    report_log_failure(&(struct rules) { .log_syslog = 0 }, &run->subject, what,
                       &run->failure, outcome, stderr);
}

/* check --deliver: put the message where the action says, ourselves.
 * Trouble always delivers to the inbox; any failure to deliver exits
 * tempfail so that the MTA keeps the message and retries. */
static int
deliver_myself(struct run *run, struct input *input, const struct decision *decision)
{
  struct failure failure = { 0 };
  const char *target = run->options.deliver_to;

  if (!input) {
    failure_set(&failure, FAILURE_INPUT, "no message to deliver");
    note_trouble(run, &failure);
    return tempfail_exit(&run->rules);
  }
  if (!run->trouble && decision && decision->action == ACTION_DROP)
    return 0;
  if (!run->trouble && decision && decision->action == ACTION_FILE
      && run->options.folder)
    target = run->options.folder;
  if (deliver_to_mailbox(input, target, run->context.sender, &failure) < 0) {
    note_trouble(run, &failure);
    return tempfail_exit(&run->rules);
  }
  return 0;
}

/* Mailutils calls mu_alloc_die_hook, then abort(), when one of its own
 * allocations fails (no error code reaches us), and the hook must not
 * return into it. Our plugin's init installs the hook (muplugin.h), which
 * calls this handler. So the hook ends the run as any trouble would: one log
 * line and the trouble exit; tempfail when stdout was to carry the message
 * or the verdict, or --deliver was to deliver it, since that is now undone. A static pointer
 * because the hook takes no argument. */
static struct run *run_for_library_failure;

static void
out_of_memory_in_library(void)
{
  struct run *run = run_for_library_failure;
  struct failure failure;
  const char *what = "check";
  int status;

  if (!run)
    _exit(exit_status(EXIT_FOR_RECORD, OUTCOME_TEMPFAIL, NULL));
  failure_set(&failure, FAILURE_MEMORY, "out of memory in Mailutils");
  if (run->options.command == COMMAND_CHECK)
    status = run->options.output == OUTPUT_EXIT_CODE && !run->options.deliver_to
             ? trouble_exit(&run->rules) : tempfail_exit(&run->rules);
  else if (run->options.command == COMMAND_RECORD) {
    what = "record";
    status = tempfail_exit(&run->rules);     /* not recorded: the MTA retries */
  } else {
    what = "store";
    status = exit_status(EXIT_FOR_MAINTENANCE, OUTCOME_TROUBLE, &run->rules);
  }
  report_log_failure(&run->rules, &run->subject, what, &failure,
                     status == 0 ? "deliver" : status == tempfail_exit(&run->rules)
                                   ? "tempfail" : "failed", run->log_also);
  if (run->log_also)
    fflush(run->log_also);
  _exit(status);
}

/* The store's journal (journal.h): beside a GDBM store; for a Redis store,
 * whose outages it is for, in the local state directory
 * ($XDG_STATE_HOME/backscatter-filter/redis.journal). NULL when there is
 * no place for it. malloc'ed. */
/* A Redis store lives on another host, so what is kept beside a GDBM
 * store (the journal, the warning stamp) goes to the local state
 * directory, named after the namespace so that stores sharing a host keep
 * theirs apart: STATE/backscatter-filter/redis-NAMESPACE.SUFFIX. NULL
 * without a state directory or memory. */
static char *
redis_local_path(const struct run *run, const char *suffix)
{
  const char *namespace = run->rules.store_namespace
                          ? run->rules.store_namespace : STORE_DEFAULT_NAMESPACE;
  char *path = NULL;
  int length = run->context.xdg_state_home && run->context.xdg_state_home[0] == '/'
               ? asprintf(&path, "%s/backscatter-filter/redis-%s%s",
                          run->context.xdg_state_home, namespace, suffix)
               : run->context.home
               ? asprintf(&path, "%s/.local/state/backscatter-filter/redis-%s%s",
                          run->context.home, namespace, suffix)
               : -1;
  return length < 0 ? NULL : path;
}

static char *
store_journal_path(const struct run *run)
{
  if (!run->store_path)
    return NULL;
  if (!store_path_is_redis(run->store_path))
    return journal_path(run->store_path);
  return redis_local_path(run, ".journal");
}

/* The judged message's own Message-ID, for the log line. */
static void
take_own_msgid(void *cookie, const char *token, size_t length)
{
  struct run *run = cookie;
  if (!run->msgid[0])
    msgid_normalise(token, length, run->msgid, sizeof run->msgid);
}

static void
note_own_msgid(struct run *run, const struct notice *notice)
{
  char value[CAP_ID_BYTES + 64];
  int capped;
  long length = notice->header ? header_field(notice->header, notice->header_length,
                                              "Message-ID", value, sizeof value)
                               : -1;
  if (length > 0)
    msgid_scan(value, (size_t) length, 1, take_own_msgid, run, &capped);
}

/* Nothing recorded for longer than this: stats warns, check logs it (at
 * most once a day). */
#define SILENT_STORE_SECONDS (7L * 24 * 3600)
#define WARNING_INTERVAL_SECONDS (24L * 3600)

/* check: log that the store has taken nothing for over a week, at most once
 * a day (PATH.warned's time says when it was last said; a store whose
 * directory we cannot write stays quiet rather than say it every time). */
static void
warn_if_silent(struct run *run, struct sent_store *store)
{
  struct failure failure = { 0 };
  time_t last = 0;
  if (sent_store_last_recorded(store, &last, &failure) != 1
      || run->context.now - last <= SILENT_STORE_SECONDS)
    return;
  char *stamp = NULL;
  struct stat info;
  if (store_path_is_redis(run->store_path)
      ? !(stamp = redis_local_path(run, ".warned"))
      : asprintf(&stamp, "%s.warned", run->store_path) < 0)
    return;
  if (stat(stamp, &info) != 0 || run->context.now - info.st_mtime >= WARNING_INTERVAL_SECONDS) {
    int fd = open(stamp, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0 && futimens(fd, NULL) == 0) {
      failure_set(&failure, FAILURE_NONE, "nothing recorded for %lld days "
                  "(last on the store: %lld): is record still wired into "
                  "outgoing mail?", (long long) ((run->context.now - last) / 86400),
                  (long long) last);
      report_log_failure(&run->rules, &run->subject, "store", &failure, "warning",
                         run->log_also);
    }
    if (fd >= 0)
      close(fd);
  }
  free(stamp);
}

/* Open the store and read its journal for a check. A store not created yet
 * is no trouble (nothing to check against: unknown, delivered); a broken
 * or locked one is. */
static void
open_for_check(struct run *run, struct sent_store **store,
               struct journal_view **journal)
{
  struct failure failure = { 0 };
  char *journal_file = store_journal_path(run);
  if (sent_store_open_with(store, run->store_path, STORE_READ,
                           &run->store_options, &failure) < 0) {
    if (failure.class == FAILURE_MISSING)
      run->store_missing = 1;
    else
      note_trouble(run, &failure);
  }
  if (journal_file && journal_read(journal_file, journal, &failure) < 0)
    note_trouble(run, &failure);
  run->journal_entries = journal_view_count(*journal);
  free(journal_file);
}

/* --explain starts with what the decision rests on: the rule file and the
 * store. */
static void
explain_sources(struct run *run, FILE *out)
{
  fprintf(out, "%-12s %s\n", "rules:", run->rules.source ? run->rules.source
                                         : "(none: built-in defaults)");
  fprintf(out, "%-12s %s%s", "store:", run->store_shown ? run->store_shown : "(none)",
          run->store_missing ? " (not created yet: nothing to check against)" : "");
  if (run->journal_entries)
    fprintf(out, " (+%zu journal entries)", run->journal_entries);
  fputc('\n', out);
}

static void
check_trouble(void *cookie, const struct failure *failure)
{
  note_trouble(cookie, failure);
}

static void
check_open_store(void *cookie, struct sent_store **store,
                 struct journal_view **journal)
{
  open_for_check(cookie, store, journal);
}

/* check: the pipeline (check.h) judges; here the answer is given. */
static int
command_check(struct run *run)
{
  struct check_config config = {
    .rules = &run->rules, .context = &run->context, .signatures = &run->signatures,
    /* The whole message is kept only when it is written out again. */
    .keep_whole = run->options.output == OUTPUT_TAG || run->options.deliver_to,
    .trouble = check_trouble,
    .open_store = run->store_path ? check_open_store : NULL,
    .cookie = run,
  };
  struct check_state state;
  struct failure failure = { 0 };
  int status;

  check_read(&config, STDIN_FILENO, &state);
  check_judge(&config, &state);
  int have_input = state.have_input;
  struct input *input = &state.input;
  struct decision *decision = state.decision;
  if (have_input && state.references && decision) {
    note_own_msgid(run, &state.notice);
    /* After decide(): a Redis store answered "!last" with its lookups, in
     * the same round trip. */
    if (!decision->store_failed && state.store)
      warn_if_silent(run, state.store);
  }
  check_close_store(&state);

  if (run->trouble && decision) {
    /* Nothing is filed or dropped on trouble. */
    if (decision->verdict == VERDICT_BACKSCATTER)
      decision->verdict = VERDICT_UNKNOWN;
    decision->action = ACTION_DELIVER;
    snprintf(decision->reason, sizeof decision->reason, "%.20s: %.270s",
             failure_class_name(run->failure.class), run->failure.message);
  }
  status = run->trouble ? trouble_exit(&run->rules)
                        : exit_for_action(&run->rules, decision->action);

  if (run->options.output == OUTPUT_TAG) {
    status = 0;
    if (!have_input
        || report_write_tagged(input, decision, STDOUT_FILENO, &failure) < 0) {
      note_trouble(run, &failure);
      status = tempfail_exit(&run->rules);   /* the message did not come out */
    }
  } else if (run->options.output == OUTPUT_VERDICT && decision) {
    status = 0;
    if (report_write_verdict(decision, stdout) < 0 || fflush(stdout) != 0) {
      failure_set(&failure, FAILURE_IO, "cannot write the verdict: %s",
                  strerror(errno));
      note_trouble(run, &failure);
      status = tempfail_exit(&run->rules);
    }
  }
  if (run->options.deliver_to)
    status = deliver_myself(run, have_input ? input : NULL, decision);
  if (run->options.explain && decision) {
    explain_sources(run, stderr);
    report_explain(decision, stderr);
  }
  if (run->trouble)
    log_failure(run, "check", status == tempfail_exit(&run->rules)
                              ? "tempfail" : "deliver");
  else
    log_decision(run, decision);

  check_free(&state);
  return status;
}

/* sendmail's operands are envelope recipients; skip its options and the
 * values of those that take one. */
static void
add_sendmail_recipients(struct options *options)
{
  static const char with_value[] = "fFoOBNRVXCLhpq";
  for (char **arg = options->sendmail + 1; *arg; arg++) {
    if ((*arg)[0] == '-') {
      if ((*arg)[1] && !(*arg)[2] && strchr(with_value, (*arg)[1]) && arg[1])
        arg++;
      continue;
    }
    options->envelope[options->envelope_count++] = *arg;
  }
}

static size_t
keep_no_body(void *cookie, struct input *input)
{
  (void) cookie;
  (void) input;
  return 0;
}

/* Put a collected message into the store, or, when the store cannot be
 * locked within lock_wait or cannot be opened or written, into its journal
 * (journal.h): either way it is recorded. *journaled says which. Pending
 * journal entries are merged first. 0, or -1 when neither worked. */
static int
record_or_journal(struct run *run, const struct sent_message *message,
                  int *journaled, struct failure *failure)
{
  struct sent_store *store = NULL;
  struct failure store_failure = { 0 };
  char *journal = store_journal_path(run);
  int result = -1;

  *journaled = 0;
  if (!journal)
    return failure_set(failure, FAILURE_MEMORY, "out of memory");
  if (sent_store_open_with(&store, run->store_path, STORE_WRITE,
                           &run->store_options, &store_failure) == 0
      && journal_replay(journal, store, NULL, &store_failure) == 0
      && record_store_message(store, message, run->context.now, &store_failure) == 0
      && sent_store_mark_recorded(store, run->context.now, &store_failure) == 0)
    result = 0;
  sent_store_close(&store);
  if (result != 0 && store_failure.class != FAILURE_LIMIT
      && store_failure.class != FAILURE_MEMORY) {
    /* A Redis store's journal is local, in a state directory that a
     * relay or mailbox host may not have yet. */
    if ((!store_path_is_redis(run->store_path)
         || sent_store_prepare_directory(journal, failure) == 0)
        && record_journal_message(journal, message, run->context.now,
                                  run->rules.lock_wait_ms, failure) == 0) {
      *journaled = 1;
      /* Said once in the log: why the entry waits in the journal. */
      *failure = store_failure;
      result = 0;
    } else {
      char journal_message[sizeof failure->message];
      snprintf(journal_message, sizeof journal_message, "%s", failure->message);
      failure_set(failure, failure->class, "%.240s; %.240s",
                  store_failure.message, journal_message);
    }
  } else if (result != 0) {
    *failure = store_failure;
  }
  free(journal);
  return result;
}

/* record: any failure to record is a temporary failure (the configured
 * tempfail code: the MTA retries); usage errors are EX_USAGE (main). A store that cannot be locked
 * or reached is no failure: the entry goes to the journal. With --sendmail
 * nothing is sent unless it was recorded; --passthrough has written the
 * message to stdout as it read it. */
static int
command_record(struct run *run)
{
  struct input input = { 0 };
  struct notice notice = { 0 };
  struct failure failure = { 0 };
  struct sent_message *message = sent_message_create();
  int echo_failed = 0, journaled = 0, recorded = 0, status = 0;
  int passthrough = run->options.passthrough;

  if (run->options.sendmail)
    add_sendmail_recipients(&run->options);
  if (!message) {
    failure_set(&failure, FAILURE_MEMORY, "out of memory");
    note_trouble(run, &failure);
  }
  /* record reads only the header; the body is kept for --sendmail. */
  if (input_read_kept(STDIN_FILENO, passthrough ? STDOUT_FILENO : -1, &input,
                      run->context.tmpdir, &echo_failed, run->options.sendmail ? NULL : keep_no_body,
                      NULL, &failure) < 0) {
    note_trouble(run, &failure);  /* not all passed through: tempfail */
  } else {
    if (!run->trouble && notice_parse_header(&input, &notice, &failure) < 0)
      note_trouble(run, &failure);
    if (!run->trouble) {
      record_collect(notice.header, notice.header_length, run->options.envelope,
                     run->options.envelope_count, message);
      snprintf(run->msgid, sizeof run->msgid, "%s", message->msgid);
      if (record_or_journal(run, message, &journaled, &failure) < 0)
        note_trouble(run, &failure);
      else
        recorded = 1;
    }
  }
  notice_free(&notice);
  if (echo_failed) {
    failure_set(&failure, FAILURE_IO, "cannot pass the message through: %s",
                strerror(echo_failed));
    note_trouble(run, &failure);
  }

  if (run->options.sendmail && recorded) {
    struct failure not_started = { 0 };
    status = sendmail_run(run->options.sendmail, &input, tempfail_exit(&run->rules),
                          &not_started);
    if (not_started.class != FAILURE_NONE)
      note_trouble(run, &not_started);
  } else if (run->trouble)
    status = tempfail_exit(&run->rules);
  input_free(&input);

  if (!recorded) {
    report_log_failure(&run->rules, &run->subject, "record", &run->failure,
                       run->options.sendmail ? "not sent, not recorded"
                                             : "not recorded", run->log_also);
    if (!passthrough)
      fprintf(stderr, "backscatter-filter: record: %s\n", run->failure.message);
  } else if (run->trouble) {
    /* Recorded, but the message did not get through. */
    report_log_failure(&run->rules, &run->subject, "record", &run->failure,
                       "recorded, not passed through", run->log_also);
  } else {
    struct failure summary;
    failure_set(&summary, journaled ? failure.class : FAILURE_NONE,
                "%s %zu Message-ID(s) and %zu recipient(s)%s%.300s",
                journaled ? "journaled" : "recorded", message->msgid[0] ? 1 : (size_t) 0,
                message->recipient_count, journaled ? ": " : "",
                journaled ? failure.message : "");
    report_log_failure(&run->rules, &run->subject, "record", &summary,
                       journaled ? "journaled" : "ok", run->log_also);
  }
  sent_message_free(&message);
  return status;
}

static void
show_progress(void *cookie, size_t done, size_t total)
{
  (void) cookie;
  if (total)
    fprintf(stderr, "\rimporting: %zu/%zu (%zu%%)", done, total, done * 100 / total);
  else
    fprintf(stderr, "\rimporting: %zu", done);
  fflush(stderr);
}

static void
format_utc(time_t when, char *buffer, size_t size)
{
  char iso[ISO_TIME_BYTES];
  snprintf(buffer, size, "%s", when <= 0 ? "-" : iso_time(when, iso));
}

/* How long import holds the store's lock before letting waiting records
 * and checks in: a quarter of their lock_wait, at most a second. */
static long
import_hold_ms(long lock_wait_ms)
{
  long hold = lock_wait_ms / 4;
  return hold < 10 ? 10 : hold > 1000 ? 1000 : hold;
}

static int
command_import(struct run *run)
{
  struct failure failure = { 0 };
  int status = 0;
  int tty = isatty(STDERR_FILENO) && !run->options.quiet;
  int say = !run->options.quiet;     /* --quiet: errors only */
  struct import_session session = {
    .store_path = run->store_path,
    .store_options = &run->store_options,
    /* Import is in no hurry: it waits for the lock longer than a delivery. */
    .lock_wait_ms = run->rules.lock_wait_ms > 60000 ? run->rules.lock_wait_ms : 60000,
    .hold_ms = import_hold_ms(run->rules.lock_wait_ms),
    .now = run->context.now,
    .ttl = run->rules.ttl,
  };

  session.journal = store_journal_path(run);
  if (import_session_open(&session, &failure) < 0) {
    fprintf(stderr, "backscatter-filter: import: %s\n", failure.message);
    import_session_close(&session, 1, NULL, &failure);
    return 1;
  }
  for (int i = 0; i < run->options.operand_count; i++) {
    struct record_counts counts = { 0 };
    const char *mailbox = run->options.operands[i];
    if (record_mailbox(&session, mailbox, tty ? show_progress : NULL, NULL,
                       &counts, &failure) < 0) {
      if (tty)
        fputc('\n', stderr);
      fprintf(stderr, "backscatter-filter: import: %s\n", failure.message);
      status = 1;
      if (!session.store)
        break;                  /* the store could not be taken again */
      continue;
    }
    if (tty)
      fputc('\n', stderr);
    if (!say)
      continue;
    printf("%s: %zu messages, %zu Message-IDs, %zu recipients, %zu skipped",
           mailbox, counts.messages, counts.msgids, counts.recipients,
           counts.skipped);
    if (counts.unreadable)
      printf(" (%zu unreadable)", counts.unreadable);
    if (counts.known)
      printf(", %zu already known", counts.known);
    putchar('\n');
  }
  time_t since = 0;
  char since_text[32];
  if (import_session_close(&session, run->options.keep_since, &since,
                           &failure) < 0) {
    fprintf(stderr, "backscatter-filter: import: %s\n", failure.message);
    status = 1;
  }
  format_utc(since, since_text, sizeof since_text);
  if (say && since && !run->options.keep_since)
    printf("the store covers mail sent since %s\n", since_text);
  else if (say && since)
    printf("recording-since left at %s (--keep-since)\n", since_text);
  if (session.merged && say)
    printf("merged %zu journal entries\n", session.merged);
  return status;
}

/* When the store last took something: "!last", or for a store written
 * before that key existed, its newest entry. */
static time_t
last_recorded_of(const struct store_stats *stats)
{
  return stats->last_recorded ? stats->last_recorded : stats->newest;
}

static void
print_stats(struct run *run, struct sent_store *store,
            const struct store_stats *stats, int missing, size_t journal_entries)
{
  char oldest[32], newest[32], since[32], last[32];
  time_t last_time = last_recorded_of(stats);
  format_utc(stats->oldest, oldest, sizeof oldest);
  format_utc(stats->newest, newest, sizeof newest);
  format_utc(stats->since, since, sizeof since);
  format_utc(last_time, last, sizeof last);
  printf("store: %s%s\nmessage-ids: %zu\nrecipients: %zu\noldest: %s\n"
         "newest: %s\nrecording-since: %s\nlast-recorded: %s\n"
         "journal: %zu entries\n",
         store ? sent_store_name(store) : run->store_shown,
         missing ? " (not created yet)" : "", stats->msgids,
         stats->recipients, oldest, newest, since, last, journal_entries);
  if (stats->file_bytes >= 0)
    printf("size: %lld bytes\n", stats->file_bytes);
  else
    printf("backend: %s\n", sent_store_backend(store));
  if (last_time == 0 && journal_entries == 0)
    printf("warning: nothing recorded yet: bounces cannot be checked until "
           "record or import fills the store\n");
  else if (last_time && run->context.now - last_time > SILENT_STORE_SECONDS)
    printf("warning: nothing recorded for %lld days: is record still wired "
           "into outgoing mail?\n",
           (long long) ((run->context.now - last_time) / 86400));
}

static void
dump_journal(const struct journal_view *view)
{
  for (size_t i = 0; i < journal_view_count(view); i++) {
    const struct journal_entry *entry = journal_view_entry(view, i);
    char stamp[32];
    format_utc(entry->when, stamp, sizeof stamp);
    printf("%s journal-%s %s\n", stamp,
           entry->type == JOURNAL_MSGID ? "msgid" : "recipient", entry->name);
  }
}

static int
command_store(struct run *run)
{
  struct sent_store *store = NULL;
  struct journal_view *journal = NULL;
  struct failure failure = { 0 };
  enum command command = run->options.command;
  char *journal_file = store_journal_path(run);
  int status = 0, missing = 0, reader_gone = 0;

  if (!journal_file) {
    fprintf(stderr, "backscatter-filter: out of memory\n");
    return 1;
  }
  if (sent_store_open_with(&store, run->store_path,
                           command == COMMAND_EXPIRE ? STORE_WRITE : STORE_READ,
                           &run->store_options, &failure) < 0) {
    if (failure.class != FAILURE_MISSING) {
      fprintf(stderr, "backscatter-filter: %s\n", failure.message);
      free(journal_file);
      return 1;
    }
    missing = 1;          /* stats and dump of a store not created yet */
  }
  size_t merged = 0;
  if (command == COMMAND_EXPIRE
      && journal_replay(journal_file, store, &merged, &failure) < 0) {
    status = 1;
  } else if (command == COMMAND_EXPIRE && sent_store_expires_itself(store)) {
    if (!run->options.quiet)
      printf("nothing to do: %s expires entries itself (TTL %lld days)\n",
             sent_store_name(store), (long long) run->rules.ttl / 86400);
    if (merged && !run->options.quiet)
      printf("merged %zu journal entries\n", merged);
  } else if (command == COMMAND_EXPIRE) {
    size_t removed = 0;
    /* What record put in the journal while expire kept writers out is
     * merged at once. */
    size_t merged_after = 0;
    if (sent_store_expire(store, run->context.now - run->rules.ttl, &removed,
                          &failure) < 0
        || journal_replay(journal_file, store, &merged_after, &failure) < 0)
      status = 1;
    else if (!run->options.quiet) {
      printf("removed %zu entries older than %lld days\n", removed,
             (long long) run->rules.ttl / 86400);
      if (merged + merged_after)
        printf("merged %zu journal entries\n", merged + merged_after);
    }
  } else if (journal_read(journal_file, &journal, &failure) < 0) {
    status = 1;
  } else if (command == COMMAND_STATS) {
    struct store_stats stats = { 0 };
    if (!missing && sent_store_stats(store, &stats, &failure) < 0)
      status = 1;
    else
      print_stats(run, store, &stats, missing, journal_view_count(journal));
  } else if (!missing && sent_store_dump(store, stdout, &failure) < 0) {
    status = 1;
    reader_gone = errno == EPIPE;
  } else {
    dump_journal(journal);
  }
  if (fflush(stdout) != 0 && !status) {
    status = 1;
    reader_gone = errno == EPIPE;
    failure_set(&failure, FAILURE_IO, "write error: %s", strerror(errno));
  }
  /* `dump | head`: the reader has all it wanted; not an error. */
  if (reader_gone)
    status = 0;
  else if (status)
    fprintf(stderr, "backscatter-filter: %s\n", failure.message);
  journal_view_free(&journal);
  sent_store_close(&store);
  free(journal_file);
  return status;
}

/* configtest: load_configuration() has printed every error (file:line) on
 * stderr; then EX_CONFIG, else what a run would use on stdout, 0. */
static int
command_configtest(struct run *run)
{
  struct failure failure = { 0 };
  char *log_file = NULL, *signatures_file = NULL;
  int status = 0;

  if (run->rules.log_file
      && rules_expand_path(run->rules.log_file, &run->context, &log_file, &failure) < 0)
    note_trouble(run, &failure);
  if (run->rules.signatures_file
      && rules_expand_path(run->rules.signatures_file, &run->context,
                           &signatures_file, &failure) < 0)
    note_trouble(run, &failure);
  /* Each bad regex is printed at once (print_every_trouble). */
  configtest_compile(&run->rules, check_trouble, run);
  if (run->trouble) {
    status = exit_status(EXIT_FOR_MAINTENANCE,
                         run->failure.class == FAILURE_CONFIG ? OUTCOME_CONFIG
                                                              : OUTCOME_TROUBLE,
                         &run->rules);
  } else {
    struct configtest_view view = {
      .rules = &run->rules,
      .system_config = run->context.system_config,
      .store_path = run->store_path,
      .log_file = log_file,
      .signatures_file = signatures_file,
      .signatures = &run->signatures,
      .redis_built = HAVE_REDIS_BUILT,
    };
    if (configtest_print(stdout, &view) < 0 && errno != EPIPE) {
      fprintf(stderr, "backscatter-filter: configtest: write error: %s\n",
              strerror(errno));
      status = 1;
    }
  }
  free(log_file);
  free(signatures_file);
  return status;
}

/* A delivery agent may start us with stdin, stdout or stderr closed. Left
 * free, those descriptors go to the next file we open (the log, the store),
 * and the message would be written into it. Hold each closed one with
 * /dev/null opened the wrong way round, so that using it still fails as on
 * a closed descriptor (EBADF): --tag then says the message did not come
 * out, instead of losing it. */
static void
hold_closed_standard_fds(void)
{
  for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
      continue;
    int held = open("/dev/null", fd == STDIN_FILENO ? O_WRONLY : O_RDONLY);
    if (held >= 0 && held != fd) {
      dup2(held, fd);
      close(held);
    }
  }
}

int
main(int argc, char **argv)
{
  struct run run;
  int status;

  hold_closed_standard_fds();
  memset(&run, 0, sizeof run);
  /* A closed stdout must show up as a write error, not kill us mid-copy. */
  signal(SIGPIPE, SIG_IGN);
  /* Likewise a file size limit (RLIMIT_FSIZE) must fail the write (EFBIG)
   * and be logged, not kill us with the store half written. */
  signal(SIGXFSZ, SIG_IGN);
  if (parse_options(argc, argv, &run.options)) {
    free(run.options.envelope);
    return 0;
  }
  build_context(&run.context);
  find_user(&run.context, run.user, sizeof run.user);
  run.subject.user = run.user;
  run.subject.msgid = run.msgid;
  if (run.options.usage_error) {
    struct failure failure;
    failure_set(&failure, FAILURE_CONFIG, "%s (see --help)",
                run.options.usage_message);
    note_trouble(&run, &failure);
    /* check from a delivery agent goes on (deliver, and log the usage
     * error); at a terminal it is a person's typo (`backscatter-filter
     * stat`): say so at once instead of waiting for a message on stdin. */
    if (run.options.command != COMMAND_CHECK || isatty(STDIN_FILENO)) {
      /* a person's typo at a terminal is answered as the maintenance
       * commands answer one */
      enum exit_command for_command = run.options.command == COMMAND_RECORD
                                      ? EXIT_FOR_RECORD : EXIT_FOR_MAINTENANCE;
      int usage_status = exit_status(for_command, OUTCOME_USAGE, NULL);
      fprintf(stderr, "backscatter-filter: %s\n", failure.message);
      /* record --passthrough stands in the message's path (Exim's
       * transport_filter, a pipe to sendmail): even with a bad command
       * line the message goes through; the exit status says what is
       * wrong, and tempfail if the copy itself failed. (Not from a
       * terminal: there a person typed it.) */
      if (run.options.command == COMMAND_RECORD && run.options.passthrough
          && !isatty(STDIN_FILENO)
          && copy_all(STDIN_FILENO, STDOUT_FILENO) < 0) {
        fprintf(stderr, "backscatter-filter: cannot pass the message "
                "through: %s\n", strerror(errno));
        usage_status = exit_status(EXIT_FOR_RECORD, OUTCOME_TEMPFAIL, NULL);
      }
      free(run.options.envelope);
      return usage_status;
    }
  }
  run.print_every_trouble = run.options.command == COMMAND_CONFIGTEST;
  load_configuration(&run);
  run_for_library_failure = &run;
  muplugin_on_out_of_memory(out_of_memory_in_library);

  switch (run.options.command) {
  case COMMAND_CHECK:
    status = command_check(&run);
    break;
  case COMMAND_RECORD:
    status = command_record(&run);
    break;
  case COMMAND_CONFIGTEST:
    status = command_configtest(&run);
    break;
  default:
    if (run.trouble) {
      fprintf(stderr, "backscatter-filter: %s\n", run.failure.message);
      status = exit_status(EXIT_FOR_MAINTENANCE,
                           run.failure.class == FAILURE_CONFIG ? OUTCOME_CONFIG
                                                               : OUTCOME_TROUBLE,
                           &run.rules);
    } else if (run.options.command == COMMAND_IMPORT) {
      status = command_import(&run);
    } else {
      status = command_store(&run);
    }
    break;
  }
  if (run.log_also)
    fclose(run.log_also);
  signatures_free(&run.signatures);
  rules_free(&run.rules);
  free(run.store_path);
  free(run.store_shown);
  free(run.options.envelope);
  return status;
}
