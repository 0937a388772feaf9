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
#include "caps.h"
#include "classify.h"
#include "copymarks.h"
#include "muplugin.h"

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

/* Is the phrase in the text's own words: not only on a line that lists a
 * message's subject ("Subject: ...", maybe indented)? A list manager's
 * request for approval lists the held post's subject, a bounce the
 * original's: someone else's words, which make no notice of their own. */
static int
find_phrase_in_words(const char *text, size_t length, const struct phrase *phrase)
{
  size_t from = 0;
  while (from < length) {
    long found = find_phrase(text + from, length - from, phrase->text, phrase->length,
                             phrase->anchor);
    if (found < 0)
      return 0;
    size_t at = from + (size_t) found, line = at;
    while (line > 0 && text[line - 1] != '\n')
      line--;
    while (line < at && (text[line] == ' ' || text[line] == '\t'))
      line++;
    if (at - line < 8 || strncasecmp(text + line, "subject:", 8) != 0)
      return 1;
    const char *newline = memchr(text + at, '\n', length - at);
    if (!newline)
      return 0;
    from = (size_t) (newline - text) + 1;
  }
  return 0;
}

/* Walks the signatures of one place in the order they are searched: the
 * site's, then the shipped; each comes with its phrase ready to search. */
struct signature_walk {
  const struct signature_set *site;
  enum signature_place place;
  int builtin;                  /* 0 in the site's table, 1 in the shipped */
  size_t next;
};

static const struct signature *
next_signature(struct signature_walk *walk, struct phrase *phrase)
{
  for (;;) {
    const struct signature *table = walk->builtin ? builtin_signatures
                                    : walk->site ? walk->site->items : NULL;
    size_t count = walk->builtin ? builtin_signature_count
                   : walk->site ? walk->site->count : 0;
    if (walk->next >= count) {
      if (walk->builtin)
        return NULL;
      walk->builtin = 1;
      walk->next = 0;
      continue;
    }
    size_t i = walk->next++;
    if (table[i].place != walk->place)
      continue;
    phrase_of(table, i, walk->builtin, phrase);
    return &table[i];
  }
}

/* First signature of `place` found in text: the site's, then the shipped. */
static const struct signature *
find_signature(const struct signature_set *site, enum signature_place place,
               const char *text, size_t length)
{
  struct signature_walk walk = { .site = site, .place = place };
  struct phrase phrase;
  const struct signature *signature;
  while ((signature = next_signature(&walk, &phrase)))
    if (find_phrase_in_words(text, length, &phrase))
      return signature;
  return NULL;
}

/* The subject signature that starts earliest: "Undeliverable: Virus alert"
 * is a bounce, "Virus found in your message" a virus notice. */
static const struct signature *
find_in_subject(const struct signature_set *site, const char *subject)
{
  const struct signature *best = NULL;
  size_t best_position = (size_t) -1, length = strlen(subject);
  struct signature_walk walk = { .site = site, .place = PLACE_SUBJECT };
  struct phrase phrase;
  const struct signature *signature;
  while ((signature = next_signature(&walk, &phrase))) {
    long found = find_phrase(subject, length, phrase.text, phrase.length,
                             phrase.anchor);
    if (found >= 0 && (size_t) found < best_position) {
      best = signature;
      best_position = (size_t) found;
    }
  }
  return best;
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

/* --- who sent it: the From field's address, never its display name.
 * "System Administrator", "Mail Delivery Subsystem", even "MAILER-DAEMON"
 * are free text a person can set in any mail client; what says a program
 * sent a message is its address (MAILER-DAEMON@, postmaster@, a list
 * manager's LIST-admin@ ...) and the null sender. A real bounce's display
 * name sits on such an address anyway ("Mail Delivery System"
 * <MAILER-DAEMON@...>). */

/* Bytes appended to a bounded string (silently cut at its size). */
struct text_out {
  char *text;
  size_t size, used;
};

static void
text_put(struct text_out *out, char c)
{
  if (out->used + 1 < out->size) {
    out->text[out->used++] = c;
    out->text[out->used] = '\0';
  }
}

/* Past an RFC 5322 comment that starts at s ('('): nested, with
 * backslash escapes; the end of the string when it is not closed. */
static const char *
skip_comment(const char *s)
{
  int depth = 0;
  for (; *s; s++) {
    if (*s == '\\' && s[1])
      s++;
    else if (*s == '(')
      depth++;
    else if (*s == ')' && --depth == 0)
      return s + 1;
  }
  return s;
}

/* Past a quoted string that starts at s ('"'), its content (escapes
 * resolved) appended to out when out is not NULL. */
static const char *
take_quoted(const char *s, struct text_out *out)
{
  for (s++; *s && *s != '"'; s++) {
    if (*s == '\\' && s[1])
      s++;
    if (out)
      text_put(out, *s);
  }
  return *s ? s + 1 : s;
}

/* The address of a From field's first mailbox, as a reader of the header
 * sees it: inside the first '<' that is not in a quoted string or a
 * comment ("MAILER-DAEMON <x@y>" "\"a <b@c>\" <x@y>" "Team (a <b@c>)
 * <x@y>" all give x@y), without blanks, comments, quotes or a source
 * route; with no angle brackets, the first word holding an '@' outside
 * quotes (the first word when none does), comments left out
 * ("MAILER-DAEMON (Mail Delivery System)" gives MAILER-DAEMON). Encoded
 * words (RFC 2047) belong to the display name and are never decoded
 * here. Returns 1 for the angle form (then an empty address is "<>"), 0
 * for the bare one. */
static int
from_address(const char *from, char *address, size_t size)
{
  struct text_out out = { address, size, 0 };
  const char *s = from, *open = NULL;
  address[0] = '\0';
  while (*s && *s != ',' && !open) {
    if (*s == '"')
      s = take_quoted(s, NULL);
    else if (*s == '(')
      s = skip_comment(s);
    else if (*s == '<')
      open = s;
    else
      s++;
  }
  if (open) {
    for (s = open + 1; *s && *s != '>';) {
      if (*s == '"')
        s = take_quoted(s, &out);
      else if (*s == '(')
        s = skip_comment(s);
      else if (*s == ' ' || *s == '\t')
        s++;
      else
        text_put(&out, *s++);
    }
    /* <@relay.example:user@example.org>: the mailbox is after the route. */
    char *colon = address[0] == '@' ? strchr(address, ':') : NULL;
    if (colon)
      memmove(address, colon + 1, strlen(colon + 1) + 1);
    return 1;
  }
  /* Bare: words split at blanks and comments; a word made only of a
   * quoted string is a display name written without brackets. */
  char word[CAP_LINE_BYTES];
  int chosen = 0;
  for (s = from; *s && *s != ',' && chosen < 2;) {
    struct text_out token = { word, sizeof word, 0 };
    int unquoted = 0;
    word[0] = '\0';
    while (*s == ' ' || *s == '\t')
      s++;
    while (*s && *s != ',' && *s != ' ' && *s != '\t' && *s != '(') {
      if (*s == '"') {
        s = take_quoted(s, &token);
      } else {
        unquoted = 1;
        text_put(&token, *s++);
      }
    }
    if (*s == '(')
      s = skip_comment(s);
    if (!unquoted)
      continue;
    if (strchr(word, '@')) {
      snprintf(address, size, "%s", word);
      chosen = 2;
    } else if (!chosen) {
      snprintf(address, size, "%s", word);
      chosen = 1;
    }
  }
  return 0;
}

/* The local part of an address (all of it when it has no '@'). */
static void
local_part(const char *address, char *local, size_t size)
{
  const char *at = strrchr(address, '@');
  size_t length = at ? (size_t) (at - address) : strlen(address);
  if (length >= size)
    length = size - 1;
  memcpy(local, address, length);
  local[length] = '\0';
}

/* Is the From's address the null address ("Jetmail System" <>) or a
 * MAILER-DAEMON mailbox, as good as a null envelope sender? */
static int
is_null_address(const char *address, int angle)
{
  char local[CAP_LINE_BYTES];
  if (angle && address[0] == '\0')
    return 1;
  local_part(address, local, sizeof local);
  return strcasecmp(local, "mailer-daemon") == 0;
}

static int
ends_with(const char *text, size_t length, const char *suffix)
{
  size_t suffix_length = strlen(suffix);
  return length > suffix_length
         && strncasecmp(text + length - suffix_length, suffix, suffix_length) == 0;
}

/* Does a header block carry a list manager's fields (Mailman, fml, RFC
 * 2369/2919)? Only then is LIST-admin@ a list manager's address. */
static int
has_list_manager_fields(const char *block, size_t length)
{
  static const char *const names[] = {
    "X-Mailman-Version", "X-MLServer", "X-ML-Name", "X-BeenThere",
    "X-List-Administrivia", "List-Id", "List-Post", "List-Subscribe", "List-Help",
  };
  char value[CAP_LINE_BYTES];
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (header_field(block, length, names[i], value, sizeof value) >= 0)
      return 1;
  return 0;
}

/* Is the From's address a program's that sends notices: the null
 * address or MAILER-DAEMON; a local part holding a "from" signature (the
 * site's, then the shipped: postmaster, post_master, mdaemon ...; a
 * phrase with an '@' is looked for in the whole address); mailer@; a
 * list manager's LIST-admin@, LIST-owner@, LIST-bounces@ (before any
 * +detail), when the header it came in (block, length) carries a list
 * manager's fields: it-admin@, sys-admin@, rhn-admin@ are people's and
 * businesses' mailboxes too. The display name is never read. */
static int
is_daemon_address(const char *address, int angle, const struct signature_set *site,
                  const char *block, size_t block_length)
{
  char local[CAP_LINE_BYTES];
  if (is_null_address(address, angle))
    return 1;
  local_part(address, local, sizeof local);
  struct signature_walk walk = { .site = site, .place = PLACE_FROM };
  struct phrase phrase;
  while (next_signature(&walk, &phrase)) {
    const char *text = strchr(phrase.text, '@') ? address : local;
    if (find_phrase(text, strlen(text), phrase.text, phrase.length, phrase.anchor) >= 0)
      return 1;
  }
  size_t length = strcspn(local, "+");
  if (length == 6 && strncasecmp(local, "mailer", 6) == 0)
    return 1;
  /* fml, Majordomo and Mailman answer from mailboxes no person reads. */
  return (ends_with(local, length, "-admin") || ends_with(local, length, "-owner")
          || ends_with(local, length, "-bounces"))
         && has_list_manager_fields(block, block_length);
}

static void
set_kind(struct classification *classification, enum notice_kind kind,
         const char *signature)
{
  classification->kind = kind;
  snprintf(classification->signature, sizeof classification->signature, "%s",
           signature);
}

/* The report parts decide the kind. One inside an attached message (the
 * walk keeps the parts in order, each with its depth: what follows an
 * original at depth d deeper than d is inside it) is a notice carried by
 * this message, SIGNAL_CARRIED_REPORT: a gateway passing a bounce on, but
 * as well a ticket system's or a person's message carrying one. */
static void
classify_report(const struct notice *notice, struct classification *classification)
{
  unsigned original_depth[CAP_MIME_DEPTH];
  size_t originals = 0;          /* attached messages enclosing this part */
  for (size_t i = 0; i < notice->part_count; i++) {
    const struct notice_part *part = &notice->parts[i];
    while (originals > 0 && original_depth[originals - 1] >= part->depth)
      originals--;
    unsigned report = originals > 0 ? SIGNAL_CARRIED_REPORT : SIGNAL_REPORT;
    if (part->role == PART_ORIGINAL_MESSAGE && originals < CAP_MIME_DEPTH)
      original_depth[originals++] = part->depth;
    if (part->role == PART_ORIGINAL_MESSAGE || part->role == PART_ORIGINAL_HEADERS)
      classification->signals |= SIGNAL_ORIGINAL;
    if (part->role == PART_REPORT || part->role == PART_DELIVERY_STATUS
        || part->role == PART_DISPOSITION || part->role == PART_FEEDBACK)
      classification->signals |= report;
    if (classification->kind != KIND_NONE)
      continue;
    if (part->role == PART_REPORT) {
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
  INDEXED("List-Post"), INDEXED("X-Failed-Recipients"),
  INDEXED("X-MS-Exchange-Message-Is-Ndr"), INDEXED("X-Amz-Sns-Message-Id"),
  INDEXED("X-Apple-Unsubscribe"), INDEXED("X-POST-MessageClass"),
  INDEXED("X-Bluebottle-Request"), INDEXED("X-MIMETrack"),
  INDEXED("X-HmXmrOriginalRecipient"),
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

/* RFC 3834 says who answers automatically: Auto-Submitted: auto-replied,
 * and the fields older responders use instead. Auto-Submitted:
 * auto-generated (tickets, CI, calendars, shops, notifications) and
 * auto-notified are ordinary mail: they answer nobody. */
static int
has_auto_reply_header(const struct header_index *index)
{
  char value[128];
  if (field(index, "Auto-Submitted", value, sizeof value) && value[0])
    if (strncasecmp(value, "auto-replied", 12) == 0)
      return 1;
  static const char *const reply_fields[] = {
    "X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Vacation",
    "X-Autogenerated",
  };
  /* An empty one says nothing: ticket and mailing systems write
   * "X-Autoreply:" with no value into people's answers. */
  for (size_t i = 0; i < sizeof reply_fields / sizeof reply_fields[0]; i++)
    if (field(index, reply_fields[i], value, sizeof value) && value[0]
        && strcasecmp(value, "no") != 0 && strcasecmp(value, "false") != 0)
      return 1;
  if (field(index, "Precedence", value, sizeof value)
      && strcasecmp(value, "auto_reply") == 0)
    return 1;
  if (field(index, "X-Apple-Action", value, sizeof value)
      && contains(value, strlen(value), "vacation"))
    return 1;
  /* Tencent's and others' responders: "X-POST-MessageClass: 9; Autoresponder". */
  if (field(index, "X-POST-MessageClass", value, sizeof value)
      && contains(value, strlen(value), "autorespond"))
    return 1;
  return 0;
}

static enum vendor_notice
vendor_notice_header(const struct header_index *index)
{
  char value[CAP_LINE_BYTES];
  if (field(index, "X-Failed-Recipients", value, sizeof value) && value[0])
    return VENDOR_FAILED_RECIPIENTS;
  if (field(index, "X-MS-Exchange-Message-Is-Ndr", value, sizeof value))
    return VENDOR_EXCHANGE_NDR;
  if (field(index, "X-Amz-Sns-Message-Id", value, sizeof value) && value[0])
    return VENDOR_SNS;
  if (field(index, "X-Apple-Unsubscribe", value, sizeof value)
      && strcasecmp(value, "true") == 0)
    return VENDOR_UNSUBSCRIBE;
  if (field(index, "X-List-Administrivia", value, sizeof value)
      && strcasecmp(value, "yes") == 0)
    return VENDOR_ADMINISTRIVIA;
  if (field(index, "X-Bluebottle-Request", value, sizeof value) && value[0])
    return VENDOR_CHALLENGE;
  /* Hotmail's junk-mail reporting forwarded the reported message itself,
   * with the address it reached in this field (set by no mail client):
   * the header above the original's fields is Hotmail's. */
  if (field(index, "X-HmXmrOriginalRecipient", value, sizeof value) && value[0])
    return VENDOR_HOTMAIL_JMR;
  /* Lotus Notes/Domino's out-of-office agent sets no header, but tags the
   * subject the same way every time, in capitals, the way no person
   * starts one; its words still have to say it is away. */
  if (field(index, "Subject", value, sizeof value) && strncmp(value, "AUTO: ", 6) == 0
      && field(index, "X-MIMETrack", value, sizeof value))
    return VENDOR_NOTES_AUTO;
  return VENDOR_NONE;
}

/* "Re:", "Fwd:", "AW:" ...: a person answering or passing on a message;
 * "Accepted:" & co.: a calendar's answer to an invitation (iTIP REPLY). */
static int
subject_prefix_in(const char *subject, const char *const *prefixes, size_t count)
{
  while (*subject == ' ' || *subject == '[')
    subject++;
  for (size_t i = 0; i < count; i++)
    if (strncasecmp(subject, prefixes[i], strlen(prefixes[i])) == 0)
      return 1;
  return 0;
}

static int
is_reply_subject(const char *subject)
{
  static const char *const prefixes[] = {
    "re:", "re :", "fw:", "fwd:", "aw:", "wg:", "sv:", "tr:", "vs:", "antw:",
    "r:", "rif:", "res:", "enc:",
  };
  return subject_prefix_in(subject, prefixes, sizeof prefixes / sizeof prefixes[0]);
}

static int
is_calendar_reply_subject(const char *subject)
{
  static const char *const prefixes[] = {
    "accepted:", "declined:", "tentative:", "tentatively accepted:",
    "angenommen:", "abgelehnt:", "mit vorbehalt angenommen:",
    "accepté:", "refusé:", "aceptado:", "rechazado:",
  };
  return subject_prefix_in(subject, prefixes, sizeof prefixes / sizeof prefixes[0]);
}

/* An iTIP reply (RFC 5546 METHOD:REPLY in a text/calendar part), or a
 * calendar's "Accepted:" answer: never a notice, whatever it says. */
static int
is_calendar_reply(const struct notice *notice, int calendar_subject)
{
  int calendar = strcmp(notice->content_type, "text/calendar") == 0;
  for (size_t i = 0; i < notice->part_count; i++) {
    const struct notice_part *part = &notice->parts[i];
    if (strcmp(part->content_type, "text/calendar") != 0
        && strcmp(part->content_type, "application/ics") != 0)
      continue;
    calendar = 1;
    if (part->content && contains(part->content, part->length, "method:reply"))
      return 1;
  }
  return calendar_subject
         && (calendar || !(notice->part_count > 0
                           && notice->parts[notice->part_count - 1].role != PART_TEXT));
}

/* What a subject says: reply or forward, calendar answer, the subject
 * signature that starts earliest. */
struct subject_reading {
  int reply;
  int calendar;
  const struct signature *phrase;
};

static void
read_subject(const struct signature_set *site, const char *subject,
             struct subject_reading *reading)
{
  reading->reply = is_reply_subject(subject);
  reading->calendar = is_calendar_reply_subject(subject);
  reading->phrase = find_in_subject(site, subject);
}

/* An RFC 2047 encoded subject decoded to UTF-8 and read. Decoding takes
 * our Mailutils plugin (muplugin.h), so only a notice candidate comes
 * here; when the plugin cannot be loaded the subject is read as written
 * and *failure (may be NULL) says why. */
static void
read_encoded_subject(const struct signature_set *site, const char *subject,
                     struct subject_reading *reading, struct failure *failure)
{
  struct failure unloaded = { 0 };
  const struct muplugin *plugin = muplugin_load(MUPLUGIN_TEXT, &unloaded);
  char *decoded = NULL;
  if (plugin && plugin->decode_words(subject, &decoded) == 0) {
    read_subject(site, decoded, reading);
    free(decoded);
    return;
  }
  if (!plugin && failure)
    *failure = unloaded;
  read_subject(site, subject, reading);
}

int
classify_header_is_notice(const char *block, size_t length)
{
  char value[CAP_LINE_BYTES];
  if (!block)
    return 0;
  if (header_field(block, length, "Content-Type", value, sizeof value) >= 0
      && strncasecmp(value, "multipart/report", 16) == 0)
    return 1;
  if (header_field(block, length, "Return-Path", value, sizeof value) >= 0
      && classify_is_null_sender(value))
    return 1;
  if (header_field(block, length, "X-Failed-Recipients", value, sizeof value) >= 0)
    return 1;
  if (header_field(block, length, "From", value, sizeof value) >= 0) {
    char address[CAP_LINE_BYTES];
    int angle = from_address(value, address, sizeof address);
    if (is_daemon_address(address, angle, NULL, block, length)) {
      /* A postmaster's own mail is not a notice; its bounce is. */
      char subject[CAP_LINE_BYTES] = "";
      header_field(block, length, "Subject", subject, sizeof subject);
      return is_null_address(address, angle) || find_in_subject(NULL, subject) != NULL;
    }
  }
  return 0;
}

/* Where a notice's own words end in a text part: at a copy of the
 * original (its header lines, or the line that announces it:
 * copymarks.h), so that an "X-Virus-Scanned:" or a subject in the copy
 * never decides the kind. A transcript is still the notice's own words. */
static size_t
own_text_length(const char *text, size_t length)
{
  size_t line_start = 0;
  while (line_start < length) {
    const char *newline = memchr(text + line_start, '\n', length - line_start);
    size_t line_end = newline ? (size_t) (newline - text) : length;
    const struct copymark *mark = copymark_find(text + line_start, line_end - line_start);
    if (mark && mark->kind == COPYMARK_ORIGINAL)
      return line_start;
    line_start = line_end + 1;
  }
  return length;
}

static const struct signature *
find_in_own_text(const struct notice *notice, const struct signature_set *site,
                 enum signature_place place)
{
  for (size_t i = 0; i < notice->part_count; i++) {
    const struct notice_part *part = &notice->parts[i];
    if (part->role != PART_TEXT || !part->content)
      continue;
    /* Text inside an attached original is the original's, not the notice's. */
    int inside_original = 0;
    for (size_t j = 0; j < i; j++)
      if ((notice->parts[j].role == PART_ORIGINAL_MESSAGE)
          && notice->parts[j].depth < part->depth)
        inside_original = 1;
    if (inside_original)
      continue;
    const struct signature *found
      = find_signature(site, place, part->content,
                       own_text_length(part->content, part->length));
    if (found)
      return found;
  }
  return NULL;
}

/* Is this line a header field ("Name: value", a name of letters, digits
 * and '-')? */
static int
is_field_line(const char *line, size_t length)
{
  size_t i = 0;
  while (i < length && ((line[i] >= 'a' && line[i] <= 'z') || (line[i] >= 'A' && line[i] <= 'Z')
                        || (line[i] >= '0' && line[i] <= '9') || line[i] == '-'))
    i++;
  return i > 0 && i < length && line[i] == ':';
}

/* Does a text part carry a copy of an original's header block, not quoted
 * with '>' (people quote so; mail servers copy): a Received or
 * Message-ID line with another field or continuation line next to it.
 * Every ordinary message's text is asked, so the two names are found
 * with the phrase search (memchr on a rare byte), lines looked at only
 * there. */
static int
copied_header_at(const char *text, size_t length, size_t at)
{
  if (at > 0 && text[at - 1] != '\n')
    return 0;                         /* not at the start of a line */
  size_t line_end = at;
  while (line_end < length && text[line_end] != '\n')
    line_end++;
  if (at > 0) {                       /* the line before: a field? */
    size_t previous = at - 1;
    while (previous > 0 && text[previous - 1] != '\n')
      previous--;
    if (is_field_line(text + previous, at - 1 - previous))
      return 1;
  }
  if (line_end + 1 >= length)
    return 0;
  const char *next = text + line_end + 1;
  size_t next_length = length - line_end - 1;
  const char *next_end = memchr(next, '\n', next_length);
  if (next_end)
    next_length = (size_t) (next_end - next);
  return next_length > 0 && (is_field_line(next, next_length) || next[0] == ' '
                             || next[0] == '\t');
}

static int
has_copied_header(const char *text, size_t length)
{
  static const char *const names[] = { "received:", "message-id:" };
  for (size_t n = 0; n < 2; n++) {
    size_t name_length = strlen(names[n]), anchor = choose_anchor(names[n], name_length);
    size_t from = 0;
    while (from < length) {
      long found = find_phrase(text + from, length - from, names[n], name_length, anchor);
      if (found < 0)
        break;
      size_t at = from + (size_t) found;
      if (copied_header_at(text, length, at))
        return 1;
      from = at + name_length;
    }
  }
  return 0;
}

static int
has_copied_original(const struct notice *notice)
{
  for (size_t i = 0; i < notice->part_count; i++) {
    const struct notice_part *part = &notice->parts[i];
    if (part->role == PART_TEXT && part->content
        && has_copied_header(part->content, part->length))
      return 1;
  }
  return 0;
}

/* What an Amazon SNS notification of SES reports: "notificationType" of
 * its JSON body (escaped when SNS wraps it in its own JSON). */
static enum notice_kind
sns_kind(const struct notice *notice, int *found)
{
  static const char key[] = "notificationtype";
  *found = 0;
  for (size_t i = 0; i < notice->part_count; i++) {
    const struct notice_part *part = &notice->parts[i];
    if (part->role != PART_TEXT || !part->content)
      continue;
    long at = find_phrase(part->content, part->length, key, sizeof key - 1,
                          choose_anchor(key, sizeof key - 1));
    if (at < 0)
      continue;
    const char *p = part->content + at + sizeof key - 1;
    const char *end = part->content + part->length;
    while (p < end && (*p == '"' || *p == '\\' || *p == ':' || *p == ' '))
      p++;
    *found = 1;
    if ((size_t) (end - p) >= 6 && strncasecmp(p, "Bounce", 6) == 0)
      return KIND_NDR;
    if ((size_t) (end - p) >= 9 && strncasecmp(p, "Complaint", 9) == 0)
      return KIND_ARF;
    return KIND_NONE;            /* "Delivery": a delivery receipt */
  }
  return KIND_NONE;
}

void
classify_header(const struct notice *notice, const struct context *context,
                const struct signature_set *site, struct header_signals *header,
                struct failure *failure)
{
  char value[CAP_LINE_BYTES];
  struct header_index index;

  index_header(notice, &index);
  memset(header, 0, sizeof *header);
  header->site = site;
  if (field(&index, "Content-Type", value, sizeof value)) {
    header->report_type = strncasecmp(value, "multipart/report", 16) == 0
                          || strncasecmp(value, "message/", 8) == 0;
    header->mixed = strncasecmp(value, "multipart/mixed", 15) == 0;
  }
  if (context && classify_is_null_sender(context->sender))
    header->signals |= SIGNAL_NULL_SENDER;
  if (field(&index, "Return-Path", value, sizeof value) && classify_is_null_sender(value))
    header->signals |= SIGNAL_NULL_SENDER;
  if (field(&index, "From", value, sizeof value)) {
    char address[CAP_LINE_BYTES];
    int angle = from_address(value, address, sizeof address);
    if (is_null_address(address, angle))
      header->signals |= SIGNAL_NULL_SENDER;
    if (is_daemon_address(address, angle, site, notice->header, notice->header_length))
      header->signals |= SIGNAL_DAEMON_FROM;
  }
  header->auto_reply_fields = has_auto_reply_header(&index);
  if (header->auto_reply_fields)
    header->signals |= SIGNAL_AUTO_REPLY;
  /* vacation(1) marks its answers "Precedence: junk" and nothing else;
   * with an auto-reply's subject that is an auto-reply's header too. Not
   * when the message says otherwise: an Auto-Submitted field that is not
   * auto-replied (a tracker's "[#123] Out of office calendar sync",
   * auto-generated), or a list's or bulk sender's fields (a shop's "Out
   * of office? Take us along!" with List-Unsubscribe): such senders mark
   * their mail junk so that auto-replies leave it alone. */
  int junk = field(&index, "Precedence", value, sizeof value)
             && strcasecmp(value, "junk") == 0;
  if (junk && ((field(&index, "Auto-Submitted", value, sizeof value)
                && strncasecmp(value, "auto-replied", 12) != 0)
               || field(&index, "List-Unsubscribe", value, sizeof value)
               || field(&index, "List-Id", value, sizeof value)
               || field(&index, "List-Post", value, sizeof value)))
    junk = 0;
  /* The subject goes into `value` too: only what it says is kept. It is
   * read as written: RFC 2047 words are decoded only for a notice candidate
   * (classify_notice; here "Precedence: junk", an automatic answer's mark),
   * since decoding loads our Mailutils plugin, which ordinary mail must
   * not. */
  struct subject_reading reading;
  field(&index, "Subject", value, sizeof value);
  header->subject_encoded = strstr(value, "=?") != NULL;
  if (junk && header->subject_encoded) {
    read_encoded_subject(site, value, &reading, failure);
    header->subject_encoded = 0;
  } else {
    read_subject(site, value, &reading);
  }
  if (junk && reading.phrase && reading.phrase->kind == KIND_AUTOREPLY && !reading.reply)
    header->signals |= SIGNAL_AUTO_REPLY;
  header->reply_subject = reading.reply;
  header->calendar_subject = reading.calendar;
  header->subject_phrase = reading.phrase;
  header->vendor = vendor_notice_header(&index);
  if (header->vendor != VENDOR_NONE)
    header->signals |= SIGNAL_VENDOR_NOTICE;
  if (field(&index, "List-Id", value, sizeof value)
      || field(&index, "List-Post", value, sizeof value))
    header->signals |= SIGNAL_LIST;
}

int
classify_needs_mime(const struct header_signals *header)
{
  if (header->report_type)
    return 1;
  /* A null sender by envelope, Return-Path or From, or a program's From. */
  if (header->signals & (SIGNAL_NULL_SENDER | SIGNAL_DAEMON_FROM))
    return 1;
  if (header->auto_reply_fields || header->vendor != VENDOR_NONE)
    return 1;
  /* An attached original (multipart/mixed with a message/rfc822 part)
   * takes the walk to see, worth it when the subject speaks of a notice;
   * a person's reply or forward needs a sender that is a program, which
   * the header shows. A single text body is read anyway. (An encoded
   * subject is read as written here: nothing above made this mail a
   * notice candidate, and decoding would load our Mailutils plugin for
   * ordinary mail with an attachment.) */
  if (header->reply_subject)
    return 0;
  return header->mixed && header->subject_phrase != NULL;
}

int
classify_original_is_evidence(const struct classification *classification)
{
  /* What a person's mail client does not write: a program as sender, an
   * answer by its headers, a vendor's notice field, a report part of its
   * own. An attached original alone is no more a program's than a pasted
   * one: a client forwards mail as a message/rfc822 part ("Mail delivery
   * failed - see the attached", the bounce or the sent mail attached), and
   * a report inside it (SIGNAL_CARRIED_REPORT) is the attached bounce's, not
   * this message's: a ticket system's notice of a ticket made from a
   * bounce carries one. */
  const unsigned program = SIGNAL_NULL_SENDER | SIGNAL_DAEMON_FROM | SIGNAL_AUTO_REPLY
                           | SIGNAL_VENDOR_NOTICE | SIGNAL_REPORT;
  return classification->kind != KIND_NONE && (classification->signals & program) != 0;
}

int
classify_in_reply_to_names_original(const struct classification *classification)
{
  if (classification->kind == KIND_NONE || (classification->signals & SIGNAL_LIST))
    return 0;
  /* RFC 3834's fields, or an auto-reply (by its words) sent with the null
   * sender RFC 3834 asks for (Exchange marks its out-of-office replies
   * only auto-generated). A null sender alone is a bounce, whose
   * In-Reply-To (if any) is not how it names the original. */
  return (classification->signals & SIGNAL_AUTO_REPLY)
         || ((classification->signals & SIGNAL_NULL_SENDER)
             && classification->kind == KIND_AUTOREPLY);
}

void
classify_notice(const struct notice *notice, const struct header_signals *header,
                struct classification *classification, struct failure *failure)
{
  const struct signature_set *site = header->site;
  struct subject_reading subject = {
    .reply = header->reply_subject, .calendar = header->calendar_subject,
    .phrase = header->subject_phrase,
  };

  memset(classification, 0, sizeof *classification);
  classification->kind = KIND_NONE;
  classify_report(notice, classification);
  /* --- structure: who sent it (the header's), and what it carries */
  classification->signals |= header->signals;
  enum vendor_notice vendor = header->vendor;

  if (classification->kind == KIND_DSN) {
    /* Some challenge systems (Boxbe) send their challenge as a DSN. */
    const struct signature *strong = find_in_own_text(notice, site, PLACE_STRONG);
    if (strong && strong->kind == KIND_CHALLENGE)
      set_kind(classification, KIND_CHALLENGE, strong->family);
  }
  if (classification->kind != KIND_NONE)
    return;

  /* Bounce-likeness rests on structure: a program as sender, an answer
   * by its headers, a vendor's notice field, an attached original. Words
   * alone make nothing a notice. */
  const unsigned sender_signals = SIGNAL_NULL_SENDER | SIGNAL_DAEMON_FROM
                                  | SIGNAL_AUTO_REPLY | SIGNAL_VENDOR_NOTICE;
  /* A list post that pastes a bounce ("I got this:") is a person's. */
  int quoted = !(classification->signals & (sender_signals | SIGNAL_ORIGINAL | SIGNAL_LIST))
               && has_copied_original(notice);
  unsigned signals = classification->signals | (quoted ? SIGNAL_QUOTED_ORIGINAL : 0);
  if (!(signals & (sender_signals | SIGNAL_ORIGINAL | SIGNAL_QUOTED_ORIGINAL)))
    return;                      /* people's and businesses' mail */
  /* Only a notice candidate comes this far, so only its encoded subject is
   * decoded (the calendar test, which reads the subject, ends in "not a
   * notice" as the test above does, so it may come second). */
  if (header->subject_encoded && notice->header) {
    char value[CAP_LINE_BYTES];
    header_field(notice->header, notice->header_length, "Subject", value, sizeof value);
    read_encoded_subject(site, value, &subject, failure);
  }
  if (is_calendar_reply(notice, subject.calendar))
    return;                      /* iTIP: "Accepted: ..." answers an invitation */
  classification->signals = signals;
  /* A person's reply or forward, or a list post, carrying a message is
   * still theirs: only a program as sender makes it a notice. */
  if (!(signals & sender_signals) && subject.reply)
    return;

  if (vendor == VENDOR_SNS) {
    int found;
    enum notice_kind kind = sns_kind(notice, &found);
    if (kind != KIND_NONE) {
      classification->signals |= SIGNAL_PHRASE;
      set_kind(classification, kind, "amazon-sns");
    }
    return;
  }
  if (vendor == VENDOR_UNSUBSCRIBE) {
    set_kind(classification, KIND_ARF, "unsubscribe");
    return;
  }
  if (vendor == VENDOR_HOTMAIL_JMR) {
    classification->signals |= SIGNAL_OWN_HEADER_ORIGINAL;
    set_kind(classification, KIND_ARF, "hotmail-jmr");
    return;
  }

  const struct signature *subject_phrase = subject.phrase;
  const struct signature *strong = find_in_own_text(notice, site, PLACE_STRONG);
  const struct signature *body_phrase = find_in_own_text(notice, site, PLACE_BODY);
  if (subject_phrase || strong || body_phrase)
    classification->signals |= SIGNAL_PHRASE;

  /* A reply from a daemon-looking address with nothing else automatic
   * about it (a carrier's SMS gateway answers "Re: <subject>") is a
   * notice only when its own text says a delivery failed; an
   * administrator answering in a thread stays a person. */
  if (!(signals & (SIGNAL_NULL_SENDER | SIGNAL_AUTO_REPLY | SIGNAL_VENDOR_NOTICE
                   | SIGNAL_ORIGINAL | SIGNAL_QUOTED_ORIGINAL))
      && subject.reply && !(body_phrase && body_phrase->kind == KIND_NDR)
      && !strong)
    return;

  if (strong) {
    set_kind(classification, strong->kind, strong->family);
    return;
  }

  /* An auto-reply by its headers, unless a mail system wrote it (Exim marks
   * its bounces auto-replied) or its subject or text says it is a bounce. */
  int daemon_from = (signals & SIGNAL_DAEMON_FROM) != 0;
  int says_bounce = daemon_from
                    || (body_phrase && body_phrase->kind == KIND_NDR)
                    || (subject_phrase && subject_phrase->kind == KIND_NDR);
  int says_reply = subject_phrase && subject_phrase->kind == KIND_AUTOREPLY;
  int says_other = subject_phrase && (subject_phrase->kind == KIND_CHALLENGE
                                      || subject_phrase->kind == KIND_VIRUS);
  if ((signals & SIGNAL_AUTO_REPLY) && (says_reply || (!says_bounce && !says_other))) {
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
  if (signals & SIGNAL_NULL_SENDER) {
    set_kind(classification, KIND_NDR, "null-sender");
    return;
  }
  if (vendor == VENDOR_FAILED_RECIPIENTS || vendor == VENDOR_EXCHANGE_NDR) {
    set_kind(classification, KIND_NDR, vendor == VENDOR_FAILED_RECIPIENTS
                                       ? "x-failed-recipients" : "exchange");
    return;
  }
  /* A daemon-looking From alone (postmaster writes real mail too), an
   * attached or copied message alone (a forward), list administrivia
   * alone: ordinary. */
}
