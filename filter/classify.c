/* classify.c: is a notice bounce-like, and of which kind?
 *
 * Signals, strongest first: report parts (RFC 3464/6522/6533, 8098, 5965);
 * RFC 3834 Auto-Submitted and its look-alikes; the null sender (envelope,
 * Return-Path, or a From of MAILER-DAEMON or "<>"); and the phrasings in
 * signatures.h. Body phrases are read only when the message already looks
 * automatic: people quote bounces on mailing lists, and their mail must stay
 * clean. For the same reason a mailing-list message (List-Id, List-Post) or
 * a reply ("Re: Undeliverable") is not made automatic by its subject alone.
 * All scanning is over bounded buffers the walk kept (caps.h).
 */
#include <config.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <mailutils/mime.h>
#include "caps.h"
#include "classify.h"

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

/* First signature of `place` found in text: the site's, then the shipped. */
static const struct signature *
find_signature(const struct signature_set *site, enum signature_place place,
               const char *text, size_t length)
{
  for (size_t i = 0; site && i < site->count; i++)
    if (site->items[i].place == place && contains(text, length, site->items[i].phrase))
      return &site->items[i];
  for (size_t i = 0; i < builtin_signature_count; i++)
    if (builtin_signatures[i].place == place
        && contains(text, length, builtin_signatures[i].phrase))
      return &builtin_signatures[i];
  return NULL;
}

/* The subject signature that starts earliest: "Undeliverable: Virus alert"
 * is a bounce, "Virus found in your message" a virus notice. */
static const struct signature *
find_in_subject(const struct signature_set *site, const char *subject)
{
  const struct signature *best = NULL;
  size_t best_position = (size_t) -1, length = strlen(subject);
  for (int pass = 0; pass < 2; pass++) {
    const struct signature *table = pass ? builtin_signatures : site ? site->items : NULL;
    size_t count = pass ? builtin_signature_count : site ? site->count : 0;
    for (size_t i = 0; i < count; i++) {
      if (table[i].place != PLACE_SUBJECT || !contains(subject, length, table[i].phrase))
        continue;
      size_t position = 0, phrase_length = strlen(table[i].phrase);
      while (position + phrase_length <= length
             && strncasecmp(subject + position, table[i].phrase, phrase_length) != 0)
        position++;
      if (position < best_position) {
        best = &table[i];
        best_position = position;
      }
    }
  }
  return best;
}

static const struct signature *
find_in_text(const struct notice *notice, const struct signature_set *site,
             enum signature_place place)
{
  for (size_t i = 0; i < notice->part_count; i++) {
    const struct notice_part *part = &notice->parts[i];
    if (part->role != PART_TEXT || !part->content)
      continue;
    const struct signature *found = find_signature(site, place, part->content,
                                                   part->length);
    if (found)
      return found;
  }
  return NULL;
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

/* A From that is the null address ("Jetmail System" <>) or a
 * MAILER-DAEMON mailbox is as good as a null envelope sender. */
static int
is_null_from(const char *from)
{
  const char *open = strchr(from, '<');
  if (open && open[1] == '>')
    return 1;
  const char *address = open ? open + 1 : from;
  while (*address == ' ')
    address++;
  return strncasecmp(address, "mailer-daemon@", 14) == 0
         || strncasecmp(address, "mailer-daemon>", 14) == 0
         || strcasecmp(address, "mailer-daemon") == 0;
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

static int
field(const struct notice *notice, const char *name, char *value, size_t size)
{
  return header_field(notice->header, notice->header_length, name, value, size) >= 0;
}

/* RFC 3834 Auto-Submitted and the fields older responders use instead. */
static int
has_auto_header(const struct notice *notice, int *is_reply)
{
  char value[128];
  *is_reply = 0;
  if (field(notice, "Auto-Submitted", value, sizeof value) && value[0]
      && strcasecmp(value, "no") != 0) {
    *is_reply = strncasecmp(value, "auto-replied", 12) == 0;
    return 1;
  }
  static const char *const reply_fields[] = {
    "X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Vacation",
    "X-Autogenerated",
  };
  for (size_t i = 0; i < sizeof reply_fields / sizeof reply_fields[0]; i++)
    if (field(notice, reply_fields[i], value, sizeof value)) {
      *is_reply = 1;
      return 1;
    }
  if (field(notice, "Precedence", value, sizeof value)
      && strcasecmp(value, "auto_reply") == 0) {
    *is_reply = 1;
    return 1;
  }
  /* Mailman marks the notices it writes itself. */
  if (field(notice, "X-List-Administrivia", value, sizeof value)
      && strcasecmp(value, "yes") == 0)
    return 1;
  if (field(notice, "X-Apple-Action", value, sizeof value)
      && contains(value, strlen(value), "vacation")) {
    *is_reply = 1;
    return 1;
  }
  return 0;
}

/* "Re:", "Fwd:", "AW:" ...: a person answering or passing on a notice. */
static int
is_reply_subject(const char *subject)
{
  static const char *const prefixes[] = { "re:", "fw:", "fwd:", "aw:", "wg:", "sv:", "tr:" };
  while (*subject == ' ' || *subject == '[')
    subject++;
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
    if (strncasecmp(subject, prefixes[i], strlen(prefixes[i])) == 0)
      return 1;
  return 0;
}

/* The Subject, RFC 2047 decoded to UTF-8 when it is encoded. */
static void
decoded_subject(const struct notice *notice, char *subject, size_t size)
{
  if (!field(notice, "Subject", subject, size))
    return;
  if (!strstr(subject, "=?"))
    return;
  char *decoded = NULL;
  if (mu_rfc2047_decode("UTF-8", subject, &decoded) == 0 && decoded) {
    snprintf(subject, size, "%s", decoded);
    free(decoded);
  }
}

int
classify_needs_mime(const struct notice *notice, const struct context *context,
                    const struct signature_set *site)
{
  char value[CAP_LINE_BYTES];
  int is_reply;

  if (header_field(notice->header, notice->header_length, "Content-Type", value,
                   sizeof value) >= 0
      && (strncasecmp(value, "multipart/report", 16) == 0
          || strncasecmp(value, "message/", 8) == 0))
    return 1;
  if (context && classify_is_null_sender(context->sender))
    return 1;
  if (field(notice, "Return-Path", value, sizeof value) && classify_is_null_sender(value))
    return 1;
  if (field(notice, "From", value, sizeof value)
      && (is_null_from(value) || find_signature(site, PLACE_FROM, value, strlen(value))))
    return 1;
  if (has_auto_header(notice, &is_reply))
    return 1;
  char subject[CAP_LINE_BYTES] = "";
  decoded_subject(notice, subject, sizeof subject);
  /* A list post with a bounce subject counts only with an attached
   * original, which takes the walk to see. */
  return find_in_subject(site, subject) != NULL && !is_reply_subject(subject);
}

void
classify_notice(const struct notice *notice, const struct context *context,
                const struct signature_set *site,
                struct classification *classification)
{
  char value[CAP_LINE_BYTES];
  int auto_reply = 0;

  memset(classification, 0, sizeof *classification);
  classification->kind = KIND_NONE;
  classify_report(notice, classification);

  if (context && classify_is_null_sender(context->sender))
    classification->signals |= SIGNAL_NULL_SENDER;
  if (field(notice, "Return-Path", value, sizeof value) && classify_is_null_sender(value))
    classification->signals |= SIGNAL_NULL_SENDER;
  int daemon_from = 0;
  if (field(notice, "From", value, sizeof value)) {
    daemon_from = find_signature(site, PLACE_FROM, value, strlen(value)) != NULL;
    if (is_null_from(value)) {
      classification->signals |= SIGNAL_NULL_SENDER;
      daemon_from = 1;
    }
  }
  if (has_auto_header(notice, &auto_reply))
    classification->signals |= SIGNAL_AUTO_HEADER;
  int mailing_list = field(notice, "List-Id", value, sizeof value)
                     || field(notice, "List-Post", value, sizeof value);

  if (classification->kind == KIND_DSN) {
    /* Some challenge systems (Boxbe) send their challenge as a DSN. */
    const struct signature *strong = find_in_text(notice, site, PLACE_STRONG);
    if (strong && strong->kind == KIND_CHALLENGE)
      set_kind(classification, KIND_CHALLENGE, strong->family);
  }
  if (classification->kind != KIND_NONE)
    return;

  int program_signal = (classification->signals
                        & (SIGNAL_NULL_SENDER | SIGNAL_AUTO_HEADER)) || daemon_from;
  char subject[CAP_LINE_BYTES] = "";
  decoded_subject(notice, subject, sizeof subject);
  const struct signature *subject_phrase = find_in_subject(site, subject);
  /* A subject alone does not make a list post or a reply automatic; a
   * list-relayed notice that carries the original (old Mailman sent
   * bounces through the list) still counts. */
  if (subject_phrase && !program_signal
      && (is_reply_subject(subject)
          || (mailing_list && !(classification->signals & SIGNAL_ORIGINAL))))
    subject_phrase = NULL;
  const struct signature *strong = mailing_list && !program_signal
                                   ? NULL : find_in_text(notice, site, PLACE_STRONG);
  if (!program_signal && !subject_phrase && !strong)
    return;                      /* people's mail: never read its body */
  classification->signals |= SIGNAL_PHRASE * (subject_phrase || strong);

  if (strong) {
    set_kind(classification, strong->kind, strong->family);
    return;
  }
  const struct signature *body_phrase = find_in_text(notice, site, PLACE_BODY);
  if (body_phrase)
    classification->signals |= SIGNAL_PHRASE;

  /* An auto-reply by its headers, unless a mail system wrote it (Exim marks
   * its bounces auto-replied) or its subject or text says it is a bounce. */
  int says_bounce = daemon_from
                    || (body_phrase && body_phrase->kind == KIND_NDR)
                    || (subject_phrase && subject_phrase->kind == KIND_NDR);
  int says_reply = subject_phrase && subject_phrase->kind == KIND_AUTOREPLY;
  if (auto_reply && (says_reply || !says_bounce)) {
    set_kind(classification, KIND_AUTOREPLY, "rfc3834");
    return;
  }
  /* Virus notices, challenges and auto-replies announce themselves in the
   * subject; bounces are told apart by their text. */
  if (subject_phrase && subject_phrase->kind != KIND_NDR) {
    set_kind(classification, subject_phrase->kind, subject_phrase->family);
    return;
  }
  if (body_phrase) {
    set_kind(classification, body_phrase->kind, body_phrase->family);
    return;
  }
  if (subject_phrase) {
    set_kind(classification, subject_phrase->kind, subject_phrase->family);
    return;
  }
  if (classification->signals & SIGNAL_NULL_SENDER) {
    set_kind(classification, KIND_NDR, "null-sender");
    return;
  }
  /* Auto-Submitted: auto-generated alone (cron, trackers, list robots) or a
   * daemon-looking From alone (postmaster writes real mail too): ordinary. */
}
