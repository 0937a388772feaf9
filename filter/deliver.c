/* SPDX-License-Identifier: GPL-3.0-or-later */
/* deliver.c: appending the message to a mailbox with Mailutils (mbox with
 * locking, maildir, MH). Only `check --deliver` calls it, so the mailbox
 * formats are registered here and not at start-up. */
#include <config.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <mailutils/mailutils.h>
#include "caps.h"
#include "deliver.h"
#include "record.h"

/* The message with a "From SENDER DATE" line first, so that Mailutils
 * gives it an envelope (the mbox separator). */
static int
enveloped_message(struct input *input, const char *sender, mu_message_t *message,
                  struct failure *failure)
{
  mu_stream_t normalised = NULL, copy = NULL;
  char line[CAP_ADDRESS_BYTES + 64];
  time_t now = time(NULL);
  struct tm tm;
  int rc;

  if (input_normalised_stream(input, &normalised, failure) < 0)
    return -1;
  if (!sender || !*sender || strcmp(sender, "<>") == 0)
    sender = "MAILER-DAEMON";
  gmtime_r(&now, &tm);
  snprintf(line, sizeof line, "From %.*s ", CAP_ADDRESS_BYTES, sender);
  for (char *p = line + 5; *p; p++)
    if (*p == ' ' && p[1])
      *p = '_';                  /* one word, whatever the caller passed */
  strftime(line + strlen(line), sizeof line - strlen(line), "%a %b %e %H:%M:%S %Y\n",
           &tm);
  rc = mu_temp_stream_create(&copy, CAP_MEMORY_BYTES);
  if (rc == 0)
    rc = mu_stream_write(copy, line, strlen(line), NULL);
  if (rc == 0)
    rc = mu_stream_seek(normalised, 0, MU_SEEK_SET, NULL);
  if (rc == 0)
    rc = mu_stream_copy(copy, normalised, 0, NULL);
  if (rc == 0)
    rc = mu_stream_seek(copy, 0, MU_SEEK_SET, NULL);
  if (rc == 0)
    rc = mu_stream_to_message(copy, message);
  mu_stream_unref(normalised);
  if (copy)
    mu_stream_unref(copy);
  if (rc)
    return failure_set(failure, FAILURE_INPUT, "cannot prepare the message for "
                       "delivery: %s", mu_strerror(rc));
  return 0;
}

/* Create the directories above a local mailbox (0700), as procmail does for
 * a folder that does not exist yet. Errors surface at the append. */
static void
make_parents(const char *mailbox)
{
  char path[4096];
  const char *colon = strchr(mailbox, ':');
  if (colon && (colon[1] != '/' || strncmp(mailbox, "maildir:", 8) != 0))
    return;                         /* only plain paths and maildir: */
  snprintf(path, sizeof path, "%s", colon ? colon + 1 : mailbox);
  for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
    *slash = '\0';
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
      return;
    *slash = '/';
  }
}

int
deliver_to_mailbox(struct input *input, const char *mailbox, const char *sender,
                   struct failure *failure)
{
  mu_mailbox_t box = NULL;
  mu_message_t message = NULL;
  int rc;

  char url[4096];
  size_t length = strlen(mailbox);

  /* "DIR/" names a maildir, as in procmail and Exim; Mailutils would
   * otherwise guess mbox for a path that does not exist yet. */
  if (length > 1 && mailbox[length - 1] == '/' && !strchr(mailbox, ':')) {
    snprintf(url, sizeof url, "maildir:%.*s", (int) (length - 1), mailbox);
    mailbox = url;
  }
  make_parents(mailbox);
  if (record_register_mailbox_formats(failure) < 0)
    return -1;
  if (enveloped_message(input, sender, &message, failure) < 0)
    return -1;
  rc = mu_mailbox_create_default(&box, mailbox);
  if (rc == 0)
    rc = mu_mailbox_open(box, MU_STREAM_APPEND | MU_STREAM_CREAT);
  if (rc == 0) {
    rc = mu_mailbox_append_message(box, message);
    int close_rc = mu_mailbox_close(box);
    if (rc == 0)
      rc = close_rc;
  }
  if (box)
    mu_mailbox_destroy(&box);
  mu_message_unref(message);
  if (rc)
    return failure_set(failure, FAILURE_IO, "cannot deliver to %s: %s", mailbox,
                       mu_strerror(rc));
  return 0;
}
