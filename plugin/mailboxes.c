/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mailboxes.c: the mailbox operations of mailboxes.so (muplugin.h): what a
 * mailbox name is, by Mailutils' own rules (a path, mbox:, maildir:, mh:,
 * a dotmail file, imap://, imaps://), and reading the header blocks of a
 * mailbox Mailutils opens. The local formats and the IMAP client are
 * linked into this plugin only, so that neither `check` nor mailutils.so
 * pays for them (GnuTLS, GSASL and the rest come with the IMAP client).
 * IMAP credentials come the way Mailutils' own tools take them: the URL's
 * user, and the password from its ticket file (~/.mu-tickets), never from
 * the command line.
 * Limits: a header block is read up to the caller's cap.
 */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <mailutils/mailutils.h>
#include <mailutils/datetime.h>
#include "muplugin-impl.h"

struct muplugin_mailbox {
  mu_mailbox_t box;
};

/* The formats import reads, registered once (Mailutils keeps a
 * process-wide list): as mu_register_local_mbox_formats() plus IMAP; mbox
 * is also the default format. */
static void
register_formats(void)
{
  static int registered;
  if (registered)
    return;
  mu_registrar_record(mu_mbox_record);
  mu_registrar_record(mu_dotmail_record);
  mu_registrar_record(mu_mh_record);
  mu_registrar_record(mu_maildir_record);
  mu_registrar_record(mu_imap_record);
  mu_registrar_record(mu_imaps_record);
  mu_registrar_set_default_record(mu_mbox_record);
  registered = 1;
}

/* A name Mailutils takes for an mbox file, a maildir or an MH folder that
 * exists locally: its kind and path into *info. 1, or 0 (a missing file
 * is left to Mailutils, which says why it cannot open it). */
static int
local_mailbox(mu_mailbox_t box, struct muplugin_mailbox_info *info)
{
  mu_url_t url;
  const char *scheme, *path;
  struct stat st;

  if (mu_mailbox_get_url(box, &url) != 0 || mu_url_sget_scheme(url, &scheme) != 0
      || mu_url_sget_path(url, &path) != 0 || stat(path, &st) != 0)
    return 0;
  if (strcmp(scheme, "mbox") == 0 && S_ISREG(st.st_mode))
    info->kind = MUPLUGIN_MAILBOX_MBOX;
  else if (strcmp(scheme, "maildir") == 0 && S_ISDIR(st.st_mode))
    info->kind = MUPLUGIN_MAILBOX_MAILDIR;
  else if (strcmp(scheme, "mh") == 0 && S_ISDIR(st.st_mode))
    info->kind = MUPLUGIN_MAILBOX_MH;
  else
    return 0;
  size_t length = strlen(path);
  if (length >= sizeof info->path)
    return 0;
  memcpy(info->path, path, length + 1);
  return 1;
}

int
muplugin_mailbox_open(const char *name, struct muplugin_mailbox_info *info,
                      struct muplugin_mailbox **box, struct failure *failure)
{
  mu_mailbox_t mailbox = NULL;

  *box = NULL;
  memset(info, 0, sizeof *info);
  register_formats();
  int rc = mu_mailbox_create_default(&mailbox, name);
  if (rc)
    return failure_set(failure, FAILURE_INPUT, "cannot open mailbox %s: %s",
                       name, mu_strerror(rc));
  if (local_mailbox(mailbox, info)) {
    mu_mailbox_destroy(&mailbox);
    return 0;
  }
  info->kind = MUPLUGIN_MAILBOX_OTHER;
  rc = mu_mailbox_open(mailbox, MU_STREAM_READ);
  if (rc) {
    failure_set(failure, FAILURE_INPUT, "cannot open mailbox %s: %s", name,
                mu_strerror(rc));
    mu_mailbox_destroy(&mailbox);
    return -1;
  }
  rc = mu_mailbox_messages_count(mailbox, &info->count);
  if (rc == 0 && !(*box = malloc(sizeof **box)))
    rc = ENOMEM;
  if (rc) {
    failure_set(failure, rc == ENOMEM ? FAILURE_MEMORY : FAILURE_INPUT,
                "cannot read mailbox %s: %s", name, mu_strerror(rc));
    mu_mailbox_close(mailbox);
    mu_mailbox_destroy(&mailbox);
    return -1;
  }
  (*box)->box = mailbox;
  return 0;
}

/* The envelope date Mailutils gives a message, or 0. */
static time_t
envelope_date(mu_message_t message)
{
  mu_envelope_t envelope;
  const char *date;
  time_t when = 0;
  if (mu_message_get_envelope(message, &envelope) != 0
      || mu_envelope_sget_date(envelope, &date) != 0 || !date)
    return 0;
  return mu_parse_date(date, &when, NULL) == 0 && when > 0 ? when : 0;
}

int
muplugin_mailbox_header(struct muplugin_mailbox *box, size_t number, char *buffer,
                        size_t cap, size_t *length, time_t *date)
{
  mu_message_t message;
  mu_header_t header;
  mu_stream_t stream;

  *length = 0;
  *date = 0;
  if (mu_mailbox_get_message(box->box, number, &message) != 0
      || mu_message_get_header(message, &header) != 0
      || mu_header_get_streamref(header, &stream) != 0)
    return -1;
  size_t used = 0;
  int rc = 0;
  while (used < cap) {
    size_t n = 0;
    rc = mu_stream_read(stream, buffer + used, cap - used, &n);
    if (rc || n == 0)
      break;
    used += n;
  }
  mu_stream_destroy(&stream);
  if (rc)
    return -1;
  *length = used;
  *date = envelope_date(message);
  return 0;
}

void
muplugin_mailbox_close(struct muplugin_mailbox **box)
{
  if (!box || !*box)
    return;
  mu_mailbox_close((*box)->box);
  mu_mailbox_destroy(&(*box)->box);
  free(*box);
  *box = NULL;
}
