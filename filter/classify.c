/* SPDX-License-Identifier: GPL-3.0-or-later */
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

/* Phrase search. Every phrase is looked for in every text part of every
 * automatic message, so the search must not cost much per byte of text:
 * each phrase is found through one of its rarer bytes (its "anchor"), which
 * memchr() skips to in both cases, and only there is the whole phrase
 * compared. The anchors of the shipped phrases are computed when the table
 * is generated (scripts/gen-signatures.awk); a site's are computed here. */

static unsigned char
fold(unsigned char c)
{
  return c >= 'A' && c <= 'Z' ? (unsigned char) (c - 'A' + 'a') : c;
}

/* How common a byte is in mail text, lower is rarer (English letter
 * frequencies; a letter costs two scans, one per case). Only the speed of
 * the search depends on it, never its result. */
static unsigned
commonness(unsigned char c)
{
  static const char letters_rarest_first[] = "zqxjkvbpygfwmucldrhsnioate";
  c = fold(c);
  if (c >= 'a' && c <= 'z')
    return 20 + (unsigned) (strchr(letters_rarest_first, c) - letters_rarest_first);
  if (c == ' ')
    return 100;
  if (c >= 0x80)
    return 5;
  return 15;
}

static size_t
choose_anchor(const char *phrase, size_t length)
{
  size_t best = 0;
  for (size_t i = 1; i < length; i++)
    if (commonness((unsigned char) phrase[i]) < commonness((unsigned char) phrase[best]))
      best = i;
  return best;
}

/* Does the phrase occur at `at`? ASCII case-insensitive (bytes of UTF-8
 * compared exactly). */
static int
phrase_at(const unsigned char *at, const unsigned char *phrase, size_t length)
{
  for (size_t i = 0; i < length; i++)
    if (fold(at[i]) != fold(phrase[i]))
      return 0;
  return 1;
}

/* Earliest position of the phrase in text[0..length), or -1. */
static long
find_phrase(const char *text, size_t length, const char *phrase,
            size_t phrase_length, size_t anchor)
{
  if (phrase_length == 0)
    return 0;
  if (phrase_length > length)
    return -1;
  const unsigned char *base = (const unsigned char *) text;
  const unsigned char *needle = (const unsigned char *) phrase;
  unsigned char lower = fold(needle[anchor]);
  unsigned char upper = lower >= 'a' && lower <= 'z'
                        ? (unsigned char) (lower - 'a' + 'A') : lower;
  /* The anchor can be at base[anchor] .. base[last]. */
  size_t last = length - phrase_length + anchor;
  size_t span = last - anchor + 1;
  const unsigned char *next_lower = memchr(base + anchor, lower, span);
  const unsigned char *next_upper = upper != lower
                                    ? memchr(base + anchor, upper, span) : NULL;
  while (next_lower || next_upper) {
    const unsigned char *hit;
    if (next_lower && (!next_upper || next_lower < next_upper)) {
      hit = next_lower;
      next_lower = hit < base + last
                   ? memchr(hit + 1, lower, (size_t) (base + last - hit)) : NULL;
    } else {
      hit = next_upper;
      next_upper = hit < base + last
                   ? memchr(hit + 1, upper, (size_t) (base + last - hit)) : NULL;
    }
    if (phrase_at(hit - anchor, needle, phrase_length))
      return (long) (hit - anchor - base);
  }
  return -1;
}

/* A signature's phrase, ready to search for. */
struct phrase {
  const char *text;
  size_t length;
  size_t anchor;
};

static void
phrase_of(const struct signature *table, size_t index, int builtin,
          struct phrase *phrase)
{
  phrase->text = table[index].phrase;
  phrase->length = strlen(phrase->text);
  if (builtin && builtin_signature_anchors[index] < phrase->length)
    phrase->anchor = builtin_signature_anchors[index];
  else
    phrase->anchor = choose_anchor(phrase->text, phrase->length);
}

/* ASCII case-insensitive search for a NUL-terminated needle in a bounded
 * haystack (UTF-8 bytes of needles are compared exactly). */
static int
contains(const char *haystack, size_t length, const char *needle)
{
  size_t needle_length = strlen(needle);
  return find_phrase(haystack, length, needle, needle_length,
                     choose_anchor(needle, needle_length)) >= 0;
}

/* First signature of `place` found in text: the site's, then the shipped. */
static const struct signature *
find_signature(const struct signature_set *site, enum signature_place place,
               const char *text, size_t length)
{
  struct phrase phrase;
  for (size_t i = 0; site && i < site->count; i++) {
    if (site->items[i].place != place)
      continue;
    phrase_of(site->items, i, 0, &phrase);
    if (find_phrase(text, length, phrase.text, phrase.length, phrase.anchor) >= 0)
      return &site->items[i];
  }
  for (size_t i = 0; i < builtin_signature_count; i++) {
    if (builtin_signatures[i].place != place)
      continue;
    phrase_of(builtin_signatures, i, 1, &phrase);
    if (find_phrase(text, length, phrase.text, phrase.length, phrase.anchor) >= 0)
      return &builtin_signatures[i];
  }
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
      if (table[i].place != PLACE_SUBJECT)
        continue;
      struct phrase phrase;
      phrase_of(table, i, pass, &phrase);
      long found = find_phrase(subject, length, phrase.text, phrase.length,
                               phrase.anchor);
      if (found < 0)
        continue;
      if ((size_t) found < best_position) {
        best = &table[i];
        best_position = (size_t) found;
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

/* The fields classification reads. Each used to cost a walk over the whole
 * header; one walk now notes where the first of each starts, and a lookup
 * reads from there (header_field() then finds it at once, the same value). */
static const struct {
  const char *name;
  size_t length;
} indexed_fields[] = {
#define INDEXED(name) { name, sizeof name - 1 }
  INDEXED("Content-Type"), INDEXED("Return-Path"), INDEXED("From"),
  INDEXED("Subject"), INDEXED("Auto-Submitted"), INDEXED("X-Autoreply"),
  INDEXED("X-Autorespond"), INDEXED("X-Autoresponder"), INDEXED("X-Vacation"),
  INDEXED("X-Autogenerated"), INDEXED("Precedence"),
  INDEXED("X-List-Administrivia"), INDEXED("X-Apple-Action"), INDEXED("List-Id"),
  INDEXED("List-Post"),
#undef INDEXED
};
#define INDEXED_FIELD_COUNT (sizeof indexed_fields / sizeof indexed_fields[0])

struct header_index {
  const struct notice *notice;
  long offset[INDEXED_FIELD_COUNT];   /* of the first such field, or -1 */
};

static void
index_visit(void *cookie, const char *name, size_t name_length,
            const char *value, size_t value_length)
{
  struct header_index *index = cookie;
  (void) value;
  (void) value_length;
  for (size_t i = 0; i < INDEXED_FIELD_COUNT; i++)
    if (indexed_fields[i].length == name_length && index->offset[i] < 0
        && strncasecmp(name, indexed_fields[i].name, name_length) == 0) {
      index->offset[i] = name - index->notice->header;
      return;
    }
}

/* header_each() visits the same fields, within the same cap, as
 * header_field() searches. */
static void
index_header(const struct notice *notice, struct header_index *index)
{
  index->notice = notice;
  for (size_t i = 0; i < INDEXED_FIELD_COUNT; i++)
    index->offset[i] = -1;
  if (notice->header)
    header_each(notice->header, notice->header_length, index_visit, index);
}

/* header_field() of the notice's header, for an indexed field. */
static int
field(const struct header_index *index, const char *name, char *value, size_t size)
{
  const struct notice *notice = index->notice;
  for (size_t i = 0; i < INDEXED_FIELD_COUNT; i++) {
    if (strcmp(indexed_fields[i].name, name) != 0)
      continue;
    if (index->offset[i] < 0) {
      if (size > 0)
        value[0] = '\0';
      return 0;
    }
    size_t offset = (size_t) index->offset[i];
    return header_field(notice->header + offset, notice->header_length - offset,
                        name, value, size) >= 0;
  }
  return header_field(notice->header, notice->header_length, name, value, size) >= 0;
}

/* RFC 3834 Auto-Submitted and the fields older responders use instead. */
static int
has_auto_header(const struct header_index *index, int *is_reply)
{
  char value[128];
  *is_reply = 0;
  if (field(index, "Auto-Submitted", value, sizeof value) && value[0]
      && strcasecmp(value, "no") != 0) {
    *is_reply = strncasecmp(value, "auto-replied", 12) == 0;
    return 1;
  }
  static const char *const reply_fields[] = {
    "X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Vacation",
    "X-Autogenerated",
  };
  for (size_t i = 0; i < sizeof reply_fields / sizeof reply_fields[0]; i++)
    if (field(index, reply_fields[i], value, sizeof value)) {
      *is_reply = 1;
      return 1;
    }
  if (field(index, "Precedence", value, sizeof value)
      && strcasecmp(value, "auto_reply") == 0) {
    *is_reply = 1;
    return 1;
  }
  /* Mailman marks the notices it writes itself. */
  if (field(index, "X-List-Administrivia", value, sizeof value)
      && strcasecmp(value, "yes") == 0)
    return 1;
  if (field(index, "X-Apple-Action", value, sizeof value)
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
decoded_subject(const struct header_index *index, char *subject, size_t size)
{
  if (!field(index, "Subject", subject, size))
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
  struct header_index index;

  index_header(notice, &index);
  if (field(&index, "Content-Type", value, sizeof value)
      && (strncasecmp(value, "multipart/report", 16) == 0
          || strncasecmp(value, "message/", 8) == 0))
    return 1;
  if (context && classify_is_null_sender(context->sender))
    return 1;
  if (field(&index, "Return-Path", value, sizeof value) && classify_is_null_sender(value))
    return 1;
  if (field(&index, "From", value, sizeof value)
      && (is_null_from(value) || find_signature(site, PLACE_FROM, value, strlen(value))))
    return 1;
  if (has_auto_header(&index, &is_reply))
    return 1;
  char subject[CAP_LINE_BYTES] = "";
  decoded_subject(&index, subject, sizeof subject);
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
  struct header_index index;

  index_header(notice, &index);
  memset(classification, 0, sizeof *classification);
  classification->kind = KIND_NONE;
  classify_report(notice, classification);

  if (context && classify_is_null_sender(context->sender))
    classification->signals |= SIGNAL_NULL_SENDER;
  if (field(&index, "Return-Path", value, sizeof value) && classify_is_null_sender(value))
    classification->signals |= SIGNAL_NULL_SENDER;
  int daemon_from = 0;
  if (field(&index, "From", value, sizeof value)) {
    daemon_from = find_signature(site, PLACE_FROM, value, strlen(value)) != NULL;
    if (is_null_from(value)) {
      classification->signals |= SIGNAL_NULL_SENDER;
      daemon_from = 1;
    }
  }
  if (has_auto_header(&index, &auto_reply))
    classification->signals |= SIGNAL_AUTO_HEADER;
  int mailing_list = field(&index, "List-Id", value, sizeof value)
                     || field(&index, "List-Post", value, sizeof value);

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
  decoded_subject(&index, subject, sizeof subject);
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
