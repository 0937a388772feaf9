/* classify.c: is a notice bounce-like, and of which kind?
 *
 * Signals, strongest first: report parts (RFC 3464/6522/6533, 8098, 5965);
 * RFC 3834 Auto-Submitted and its look-alikes; the null sender; and phrases.
 * Body phrases are only read when the message already looks automatic (a
 * null or daemon sender, a bounce-like subject, an Auto-Submitted field):
 * people quote bounces on mailing lists, and their mail must stay clean.
 * All scanning is over bounded buffers the walk kept (caps.h).
 */
#include <config.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "caps.h"
#include "classify.h"

enum phrase_place { IN_SUBJECT, IN_BODY };

struct phrase {
  enum phrase_place place;
  enum notice_kind kind;
  const char *signature;
  const char *text;            /* matched case-insensitively */
};

/* The wording of the notices users receive. Subjects first: a subject
 * phrase both classifies and opens the body for reading. */
static const struct phrase phrases[] = {
  { IN_SUBJECT, KIND_NDR, "generic", "undeliverable" },
  { IN_SUBJECT, KIND_NDR, "generic", "undelivered mail" },
  { IN_SUBJECT, KIND_NDR, "generic", "mail delivery failed" },
  { IN_SUBJECT, KIND_NDR, "generic", "delivery status notification (failure)" },
  { IN_SUBJECT, KIND_NDR, "generic", "delivery failure" },
  { IN_SUBJECT, KIND_NDR, "generic", "delivery has failed" },
  { IN_SUBJECT, KIND_NDR, "generic", "failure notice" },
  { IN_SUBJECT, KIND_NDR, "generic", "returned mail" },
  { IN_SUBJECT, KIND_NDR, "generic", "nondeliverable" },
  { IN_SUBJECT, KIND_NDR, "generic", "non-deliverable" },
  { IN_SUBJECT, KIND_NDR, "generic", "could not be delivered" },
  { IN_SUBJECT, KIND_NDR, "generic", "message status - undeliverable" },
  { IN_SUBJECT, KIND_NDR, "generic", "mail system error" },
  { IN_SUBJECT, KIND_NDR, "generic", "delivery notification" },
  { IN_SUBJECT, KIND_VIRUS, "virus", "virus" },
  { IN_SUBJECT, KIND_VIRUS, "virus", "banned content" },
  { IN_SUBJECT, KIND_CHALLENGE, "challenge", "please confirm" },
  { IN_SUBJECT, KIND_CHALLENGE, "challenge", "verify your" },
  { IN_SUBJECT, KIND_AUTOREPLY, "autoreply", "out of office" },
  { IN_SUBJECT, KIND_AUTOREPLY, "autoreply", "out of the office" },
  { IN_SUBJECT, KIND_AUTOREPLY, "autoreply", "automatic reply" },
  { IN_SUBJECT, KIND_AUTOREPLY, "autoreply", "auto-reply" },
  { IN_SUBJECT, KIND_AUTOREPLY, "autoreply", "autoreply" },
  { IN_SUBJECT, KIND_AUTOREPLY, "autoreply", "auto reply" },
  { IN_SUBJECT, KIND_AUTOREPLY, "autoreply", "vacation" },
  { IN_SUBJECT, KIND_AUTOREPLY, "autoreply", "abwesenheitsnotiz" },
  { IN_SUBJECT, KIND_AUTOREPLY, "autoreply", "automatische antwort" },
  { IN_SUBJECT, KIND_AUTOREPLY, "autoreply", "r\xc3\xa9ponse automatique" },
  { IN_SUBJECT, KIND_AUTOREPLY, "autoreply", "respuesta autom\xc3\xa1tica" },

  { IN_BODY, KIND_NDR, "exim", "this message was created automatically by mail delivery software" },
  { IN_BODY, KIND_NDR, "exim", "could not be delivered to one or more of its recipients" },
  { IN_BODY, KIND_NDR, "office365", "couldn't be delivered" },
  { IN_BODY, KIND_NDR, "office365", "wasn't found at" },
  { IN_BODY, KIND_NDR, "exchange", "did not reach some or all of the intended recipients" },
  { IN_BODY, KIND_NDR, "exchange", "the e-mail account does not exist at the organization" },
  { IN_BODY, KIND_NDR, "exchange", "did not reach the following recipient" },
  { IN_BODY, KIND_NDR, "exchange", "delivery has failed to these recipients" },
  { IN_BODY, KIND_NDR, "groupwise", "the message that you sent was undeliverable" },
  { IN_BODY, KIND_NDR, "postfix", "this is the mail system at host" },
  { IN_BODY, KIND_NDR, "postfix", "your message could not be delivered to one or more recipients" },
  { IN_BODY, KIND_NDR, "qmail", "this is the qmail-send program" },
  { IN_BODY, KIND_NDR, "qmail", "i'm afraid i wasn't able to deliver your message" },
  { IN_BODY, KIND_NDR, "sendmail", "the following addresses had permanent fatal errors" },
  { IN_BODY, KIND_NDR, "sendmail", "the original message was received at" },
  { IN_BODY, KIND_NDR, "generic", "delivery to the following recipient" },
  { IN_BODY, KIND_NDR, "generic", "could not be delivered" },
  { IN_BODY, KIND_NDR, "generic", "was undeliverable" },
  { IN_BODY, KIND_NDR, "generic", "permanent error" },
  { IN_BODY, KIND_NDR, "generic", "user unknown" },
  { IN_BODY, KIND_NDR, "generic", "unknown user" },
  { IN_BODY, KIND_NDR, "generic", "no such user" },
  { IN_BODY, KIND_NDR, "generic", "mailbox unavailable" },
  { IN_BODY, KIND_NDR, "generic", "delivery failed" },
  { IN_BODY, KIND_NDR, "generic", "undeliverable" },
  { IN_BODY, KIND_VIRUS, "virus", "virus" },
  { IN_BODY, KIND_VIRUS, "virus", "infected" },
  { IN_BODY, KIND_CHALLENGE, "challenge", "confirm that you" },
  { IN_BODY, KIND_CHALLENGE, "challenge", "challenge" },
  { IN_BODY, KIND_AUTOREPLY, "autoreply", "out of the office" },
  { IN_BODY, KIND_AUTOREPLY, "autoreply", "out of office" },
};

/* Local parts and display names of the programs that send notices. */
static const char *const daemon_names[] = {
  "mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon", "postmaster",
  "mail delivery", "mdaemon", "system administrator",
};

/* ASCII case-insensitive search for a NUL-terminated needle in a bounded
 * haystack (UTF-8 bytes of needles are compared exactly). */
static int
contains(const char *haystack, size_t length, const char *needle)
{
  size_t needle_length = strlen(needle);
  if (needle_length == 0 || needle_length > length)
    return needle_length == 0;
  char first_lower = needle[0], first_upper = needle[0];
  if (first_lower >= 'a' && first_lower <= 'z')
    first_upper = (char) (first_lower - 'a' + 'A');
  const char *end = haystack + length - needle_length + 1;
  for (const char *p = haystack; p < end; p++) {
    if (*p != first_lower && *p != first_upper) {
      const char *next_lower = memchr(p, first_lower, (size_t) (end - p));
      const char *next_upper = first_upper != first_lower
                               ? memchr(p, first_upper, (size_t) (end - p)) : NULL;
      if (!next_lower && !next_upper)
        return 0;
      p = !next_lower ? next_upper : !next_upper ? next_lower
          : next_lower < next_upper ? next_lower : next_upper;
    }
    if (strncasecmp(p, needle, needle_length) == 0)
      return 1;
  }
  return 0;
}

int
classify_is_null_sender(const char *sender)
{
  if (!sender)
    return 0;
  while (*sender == ' ' || *sender == '\t')
    sender++;
  if (*sender == '\0' || strcmp(sender, "<>") == 0)
    return 1;
  if (*sender == '<')
    sender++;
  return strncasecmp(sender, "mailer-daemon", 13) == 0
         && (sender[13] == '\0' || sender[13] == '@' || sender[13] == '>');
}

static int
is_daemon_from(const char *from)
{
  for (size_t i = 0; i < sizeof daemon_names / sizeof daemon_names[0]; i++)
    if (contains(from, strlen(from), daemon_names[i]))
      return 1;
  return 0;
}

static void
set_kind(struct classification *classification, enum notice_kind kind,
         const char *signature)
{
  classification->kind = kind;
  snprintf(classification->signature, sizeof classification->signature, "%s",
           signature);
}

static void
classify_report(const struct notice *notice, struct classification *classification)
{
  for (size_t i = 0; i < notice->part_count; i++) {
    const struct notice_part *part = &notice->parts[i];
    if (part->role == PART_ORIGINAL_MESSAGE || part->role == PART_ORIGINAL_HEADERS)
      classification->signals |= SIGNAL_ORIGINAL;
    if (classification->kind != KIND_NONE)
      continue;
    if (part->role == PART_REPORT) {
      classification->signals |= SIGNAL_REPORT;
      if (strstr(part->report_type, "delivery-status"))
        set_kind(classification, KIND_DSN, part->report_type);
      else if (strstr(part->report_type, "disposition-notification"))
        set_kind(classification, KIND_MDN, part->report_type);
      else if (strstr(part->report_type, "feedback-report"))
        set_kind(classification, KIND_ARF, part->report_type);
    } else if (part->role == PART_DELIVERY_STATUS) {
      set_kind(classification, KIND_DSN, part->content_type);
    } else if (part->role == PART_DISPOSITION) {
      set_kind(classification, KIND_MDN, part->content_type);
    } else if (part->role == PART_FEEDBACK) {
      set_kind(classification, KIND_ARF, part->content_type);
    }
  }
}

/* RFC 3834 Auto-Submitted and the fields older responders use instead. */
static int
has_auto_header(const struct notice *notice, int *is_reply)
{
  char value[128];
  *is_reply = 0;
  if (header_field(notice->header, notice->header_length, "Auto-Submitted",
                   value, sizeof value) >= 0 && strcasecmp(value, "no") != 0
      && value[0]) {
    *is_reply = strncasecmp(value, "auto-replied", 12) == 0;
    return 1;
  }
  static const char *const reply_fields[] = {
    "X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Vacation",
  };
  for (size_t i = 0; i < sizeof reply_fields / sizeof reply_fields[0]; i++)
    if (header_field(notice->header, notice->header_length, reply_fields[i],
                     value, sizeof value) >= 0) {
      *is_reply = 1;
      return 1;
    }
  if (header_field(notice->header, notice->header_length, "Precedence",
                   value, sizeof value) >= 0
      && strcasecmp(value, "auto_reply") == 0) {
    *is_reply = 1;
    return 1;
  }
  if (header_field(notice->header, notice->header_length, "X-Apple-Action",
                   value, sizeof value) >= 0
      && contains(value, strlen(value), "vacation")) {
    *is_reply = 1;
    return 1;
  }
  return 0;
}

static const struct phrase *
find_phrase(enum phrase_place place, const char *text, size_t length)
{
  for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++)
    if (phrases[i].place == place && contains(text, length, phrases[i].text))
      return &phrases[i];
  return NULL;
}

static const struct phrase *
find_body_phrase(const struct notice *notice)
{
  for (size_t i = 0; i < notice->part_count; i++) {
    const struct notice_part *part = &notice->parts[i];
    if (part->role != PART_TEXT || !part->content)
      continue;
    const struct phrase *found = find_phrase(IN_BODY, part->content, part->length);
    if (found)
      return found;
  }
  return NULL;
}

void
classify_notice(const struct notice *notice, const struct context *context,
                struct classification *classification)
{
  char value[CAP_LINE_BYTES];
  int auto_reply = 0;

  memset(classification, 0, sizeof *classification);
  classification->kind = KIND_NONE;
  classify_report(notice, classification);

  if (context && classify_is_null_sender(context->sender))
    classification->signals |= SIGNAL_NULL_SENDER;
  if (header_field(notice->header, notice->header_length, "Return-Path",
                   value, sizeof value) >= 0 && classify_is_null_sender(value))
    classification->signals |= SIGNAL_NULL_SENDER;
  int daemon_from = header_field(notice->header, notice->header_length, "From",
                                 value, sizeof value) >= 0
                    && is_daemon_from(value);
  if (has_auto_header(notice, &auto_reply))
    classification->signals |= SIGNAL_AUTO_HEADER;
  if (classification->kind != KIND_NONE)
    return;

  const struct phrase *subject_phrase = NULL;
  if (header_field(notice->header, notice->header_length, "Subject",
                   value, sizeof value) >= 0)
    subject_phrase = find_phrase(IN_SUBJECT, value, strlen(value));

  int looks_automatic = (classification->signals
                         & (SIGNAL_NULL_SENDER | SIGNAL_AUTO_HEADER)) != 0
                        || daemon_from || subject_phrase;
  if (!looks_automatic)
    return;                      /* people's mail: never read its body */

  const struct phrase *body_phrase = find_body_phrase(notice);
  if (subject_phrase || body_phrase)
    classification->signals |= SIGNAL_PHRASE;

  /* An auto-reply by its headers, unless the body says it is a bounce. */
  if (auto_reply && !(body_phrase && body_phrase->kind == KIND_NDR)) {
    set_kind(classification, KIND_AUTOREPLY, "rfc3834");
    return;
  }
  /* Virus and challenge notices announce themselves in the subject. */
  if (subject_phrase && subject_phrase->kind != KIND_NDR) {
    set_kind(classification, subject_phrase->kind, subject_phrase->signature);
    return;
  }
  if (body_phrase) {
    set_kind(classification, body_phrase->kind, body_phrase->signature);
    return;
  }
  if (subject_phrase) {
    set_kind(classification, subject_phrase->kind, subject_phrase->signature);
    return;
  }
  if (classification->signals & SIGNAL_NULL_SENDER) {
    set_kind(classification, KIND_NDR, "null-sender");
    return;
  }
  /* Auto-Submitted: auto-generated alone (cron, trackers, list robots) or a
   * daemon-looking From alone (postmaster writes real mail too): ordinary. */
}
