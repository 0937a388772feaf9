/* SPDX-License-Identifier: GPL-3.0-or-later */
/* references.c: what a notice says about the original it refers to.
 *
 * Reads only the bounded buffers of the notice. Sources are visited in
 * order of trust so that references->ids[0] is the best key to look up.
 * Quoted headers in text are recognised as a header block around a
 * "Message-ID:" line (Exim's and qmail's copies, "> "-quoted, indented).
 */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "copymarks.h"
#include "mailid.h"
#include "references.h"

const char *
reference_source_name(enum reference_source source)
{
  switch (source) {
  case SOURCE_ATTACHED_MESSAGE: return "attached original";
  case SOURCE_ATTACHED_HEADERS: return "attached original headers";
  case SOURCE_QUOTED_TEXT: return "headers quoted in the text";
  case SOURCE_ENVELOPE_ID: return "Original-Envelope-Id";
  case SOURCE_MICROSOFT_ORIGINAL: return "X-Microsoft-Original-Message-ID";
  case SOURCE_IN_REPLY_TO: return "In-Reply-To";
  case SOURCE_REFERENCES: return "References";
  case SOURCE_MDN_ORIGINAL: return "Original-Message-ID";
  }
  return "?";
}

/* The strings of a references: blocks that never move, each new one in
 * front; a notice's few IDs and addresses fit in the first. */
struct references_text {
  struct references_text *next;
  size_t size, used;
  char bytes[];
};

#define TEXT_BLOCK_BYTES 2048

/* A NUL-terminated copy of text[0..length) that lives as long as the
 * references, or NULL when memory ran out. */
static const char *
keep_text(struct references *references, const char *text, size_t length)
{
  struct references_text *block = references->text;
  if (!block || block->size - block->used < length + 1) {
    size_t size = length + 1 > TEXT_BLOCK_BYTES ? length + 1 : TEXT_BLOCK_BYTES;
    block = malloc(sizeof *block + size);
    if (!block)
      return NULL;
    block->next = references->text;
    block->size = size;
    block->used = 0;
    references->text = block;
  }
  char *copy = block->bytes + block->used;
  memcpy(copy, text, length);
  copy[length] = '\0';
  block->used += length + 1;
  return copy;
}

/* A list with room for more (`room` entries of `size` bytes, none past
 * `cap`): twice as many, four at first. NULL when memory ran out (the
 * list is unchanged). */
static void *
grow_list(void *items, size_t *room, size_t cap, size_t size)
{
  size_t more = *room ? *room * 2 : 4;
  if (more > cap)
    more = cap;
  void *grown = realloc(items, more * size);
  if (grown)
    *room = more;
  return grown;
}

/* Append a kept copy of text[0..length) to a list of strings (*list,
 * *count entries of *room allocated, at most `cap`): at the cap, or when
 * memory runs out, `hit` is set in caps_hit instead. */
static void
append_text(struct references *references, const char ***list, size_t *count,
            size_t *room, size_t cap, unsigned hit, const char *text, size_t length)
{
  if (*count == cap) {
    references->caps_hit |= hit;
    return;
  }
  if (*count == *room) {
    const char **grown = grow_list(*list, room, cap, sizeof *grown);
    if (!grown) {
      references->caps_hit |= hit;      /* no memory: as past the cap */
      return;
    }
    *list = grown;
  }
  const char *kept = keep_text(references, text, length);
  if (!kept) {
    references->caps_hit |= hit;
    return;
  }
  (*list)[(*count)++] = kept;
}

/* Room for one more ID in references->ids (below the cap). 0 or -1. */
static int
room_for_id(struct references *references)
{
  if (references->id_count < references->id_room)
    return 0;
  struct reference *grown = grow_list(references->ids, &references->id_room,
                                      CAP_REFERENCED_IDS, sizeof *grown);
  if (!grown)
    return -1;
  references->ids = grown;
  return 0;
}

void
references_free(struct references *references)
{
  free(references->ids);
  free(references->recipients);
  free(references->received_hosts);
  struct references_text *block = references->text;
  while (block) {
    struct references_text *next = block->next;
    free(block);
    block = next;
  }
  memset(references, 0, sizeof *references);
}

/* Where IDs go: the references themselves, or (for an original that is
 * itself a notice) a list read after every other original. */
struct deferred_ids {
  struct reference ids[CAP_REFERENCED_IDS];
  size_t count;
};

struct id_sink {
  struct references *references;
  enum reference_source source;
  int against;                      /* the IDs may count against the notice */
  int own_field;                    /* a Message-ID field: bare IDs count */
  struct deferred_ids *deferred;    /* non-NULL: into this list instead */
};

static void
add_id(void *cookie, const char *token, size_t length)
{
  struct id_sink *sink = cookie;
  struct references *references = sink->references;
  char normalised[CAP_ID_BYTES + 1];

  if (length > CAP_ID_BYTES) {
    references->caps_hit |= CAP_HIT_ID_BYTES;
    return;
  }
  if ((sink->own_field ? msgid_normalise_own(token, length, normalised, sizeof normalised)
                       : msgid_normalise(token, length, normalised, sizeof normalised)) == 0)
    return;
  struct reference *list = sink->deferred ? sink->deferred->ids : references->ids;
  size_t *count = sink->deferred ? &sink->deferred->count : &references->id_count;
  for (size_t i = 0; i < *count; i++)
    if (strcmp(list[i].msgid, normalised) == 0)
      return;
  if (*count == CAP_REFERENCED_IDS) {
    references->caps_hit |= CAP_HIT_IDS;
    return;
  }
  const char *kept = NULL;
  if (sink->deferred || room_for_id(references) == 0)
    kept = keep_text(references, normalised, strlen(normalised));
  if (!kept) {
    references->caps_hit |= CAP_HIT_IDS;     /* no memory: as past the cap */
    return;
  }
  if (!sink->deferred)
    list = references->ids;                  /* moved when it grew */
  struct reference *reference = &list[(*count)++];
  reference->source = sink->source;
  /* A bare ID may be one `record` stored before it knew bare IDs: its
   * absence proves nothing. */
  reference->against = sink->against && !msgid_is_bare(normalised);
  reference->msgid = kept;
}

/* Append the deferred IDs (those not found already). */
static void
add_deferred(struct references *references, const struct deferred_ids *deferred)
{
  for (size_t d = 0; d < deferred->count; d++) {
    const struct reference *reference = &deferred->ids[d];
    int known = 0;
    for (size_t i = 0; i < references->id_count && !known; i++)
      known = strcmp(references->ids[i].msgid, reference->msgid) == 0;
    if (known)
      continue;
    if (references->id_count == CAP_REFERENCED_IDS || room_for_id(references) < 0) {
      references->caps_hit |= CAP_HIT_IDS;   /* the cap, or no memory */
      return;
    }
    references->ids[references->id_count++] = *reference;
  }
}

static void
add_ids_from_value(struct references *references, enum reference_source source,
                   int against, const char *value, size_t length)
{
  struct id_sink sink = { references, source, against, 0, NULL };
  int capped = 0;
  msgid_scan(value, length, CAP_IDS_PER_FIELD, add_id, &sink, &capped);
  if (capped)
    references->caps_hit |= CAP_HIT_IDS;
}

static void
add_recipient(struct references *references, const char *text, size_t length)
{
  char address[CAP_ADDRESS_BYTES + 1];
  if (address_normalise(text, length, address, sizeof address) == 0)
    return;
  for (size_t i = 0; i < references->recipient_count; i++)
    if (strcmp(references->recipients[i], address) == 0)
      return;
  append_text(references, &references->recipients, &references->recipient_count,
              &references->recipient_room, CAP_RECIPIENTS, CAP_HIT_RECIPIENTS,
              address, strlen(address));
}

static void
add_received_host(struct references *references, const char *host, size_t length)
{
  while (length > 0 && (host[length - 1] == ';' || host[length - 1] == ')'))
    length--;
  if (length == 0 || length > CAP_HOST_BYTES)
    return;
  if (references->received_count == CAP_RECEIVED_HOSTS) {
    references->caps_hit |= CAP_HIT_RECEIVED;
    return;
  }
  char out[CAP_HOST_BYTES + 1];
  for (size_t i = 0; i < length; i++) {
    char c = host[i];
    out[i] = c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
  }
  out[length] = '\0';
  for (size_t i = 0; i < references->received_count; i++)
    if (strcmp(references->received_hosts[i], out) == 0)
      return;
  append_text(references, &references->received_hosts, &references->received_count,
              &references->received_room, CAP_RECEIVED_HOSTS, CAP_HIT_RECEIVED,
              out, length);
}

static int
is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Hosts named in a Received value: the word after "from" and after "by",
 * and IP literals in brackets ("[192.0.2.1]"). */
static void
add_received(struct references *references, const char *value, size_t length)
{
  size_t i = 0;
  while (i < length) {
    while (i < length && is_space(value[i]))
      i++;
    size_t word = i;
    while (i < length && !is_space(value[i]))
      i++;
    size_t word_length = i - word;
    if ((word_length == 4 && strncasecmp(value + word, "from", 4) == 0)
        || (word_length == 2 && strncasecmp(value + word, "by", 2) == 0)) {
      while (i < length && is_space(value[i]))
        i++;
      size_t host = i;
      while (i < length && !is_space(value[i]))
        i++;
      if (i > host)
        add_received_host(references, value + host, i - host);
    } else if (word_length > 2 && value[word] == '[') {
      const char *close = memchr(value + word, ']', word_length);
      if (close)
        add_received_host(references, value + word + 1,
                          (size_t) (close - value - word - 1));
    } else if (word_length > 3 && value[word] == '(' && value[word + 1] == '[') {
      const char *close = memchr(value + word, ']', word_length);
      if (close)
        add_received_host(references, value + word + 2,
                          (size_t) (close - value - word - 2));
    }
  }
}

/* Fields of an original's header block that matter. An original that is
 * itself a notice gives only its IDs (deferred): its From and Date are a
 * mail server's, not those of the message we would have sent. */
static void
original_field(void *cookie, const char *name, size_t name_length,
               const char *value, size_t value_length)
{
  struct id_sink *sink = cookie;
  struct references *references = sink->references;
  int capped = 0;

  if (name_length == 10 && strncasecmp(name, "Message-ID", 10) == 0) {
    struct id_sink own = *sink;
    own.own_field = 1;
    msgid_scan_own(value, value_length, CAP_IDS_PER_FIELD, add_id, &own, &capped);
    if (capped)
      references->caps_hit |= CAP_HIT_IDS;
  } else if (name_length == 31
             && strncasecmp(name, "X-Microsoft-Original-Message-ID", 31) == 0) {
    struct id_sink microsoft = *sink;
    microsoft.source = SOURCE_MICROSOFT_ORIGINAL;
    msgid_scan(value, value_length, CAP_IDS_PER_FIELD, add_id, &microsoft, &capped);
    if (capped)
      references->caps_hit |= CAP_HIT_IDS;
  } else if (sink->deferred) {
    return;
  } else if (name_length == 4 && strncasecmp(name, "From", 4) == 0
           && references->original_from[0] == '\0')
    address_normalise(value, value_length, references->original_from,
                      sizeof references->original_from);
  else if (name_length == 8 && strncasecmp(name, "Received", 8) == 0)
    add_received(references, value, value_length);
  else if (name_length == 4 && strncasecmp(name, "Date", 4) == 0
           && references->original_date[0] == '\0') {
    size_t n = value_length < sizeof references->original_date - 1
               ? value_length : sizeof references->original_date - 1;
    for (size_t i = 0; i < n; i++)
      references->original_date[i] = value[i] == '\n' || value[i] == '\r'
                                     ? ' ' : value[i];
    references->original_date[n] = '\0';
  }
}

/* The state of one extraction: what every original's IDs share. */
struct extraction {
  struct references *references;
  int against;                      /* classify_original_is_evidence */
  struct deferred_ids deferred;
};

static void
scan_original(struct extraction *extraction, enum reference_source source,
              const char *block, size_t length)
{
  struct references *references = extraction->references;
  struct id_sink sink = { references, source, extraction->against, 0, NULL };
  if (classify_header_is_notice(block, length))
    sink.deferred = &extraction->deferred;
  if (header_each(block, length, original_field, &sink) < 0)
    references->caps_hit |= CAP_HIT_HEADER_FIELDS;
}

/* Delivery-status fields: Original-Envelope-Id, Final-/Original-Recipient. */
static void
status_field(void *cookie, const char *name, size_t name_length,
             const char *value, size_t value_length)
{
  struct extraction *extraction = cookie;
  struct references *references = extraction->references;
  if (name_length == 20 && strncasecmp(name, "Original-Envelope-Id", 20) == 0)
    add_ids_from_value(references, SOURCE_ENVELOPE_ID, extraction->against, value,
                       value_length);
  else if ((name_length == 15 && strncasecmp(name, "Final-Recipient", 15) == 0)
           || (name_length == 18 && strncasecmp(name, "Original-Recipient", 18) == 0))
    add_recipient(references, value, value_length);
}

/* A read receipt names the original in Original-Message-ID. */
static void
disposition_field(void *cookie, const char *name, size_t name_length,
                  const char *value, size_t value_length)
{
  struct extraction *extraction = cookie;
  if (name_length == 19 && strncasecmp(name, "Original-Message-ID", 19) == 0)
    add_ids_from_value(extraction->references, SOURCE_MDN_ORIGINAL, extraction->against,
                       value, value_length);
}

/* The addresses a non-standard bounce names in its own words, before the
 * copy of the original ("  user@example.net", "<user@example.net>:",
 * "Your message to user@example.net couldn't be delivered"). */
static void
scan_ndr_text(struct references *references, const char *text, size_t length,
              const char *notice_to)
{
  size_t line_start = 0;
  while (line_start < length) {
    const char *newline = memchr(text + line_start, '\n', length - line_start);
    size_t line_end = newline ? (size_t) (newline - text) : length;
    const char *line = text + line_start;
    size_t line_length = line_end - line_start;
    while (line_length > 0 && (*line == ' ' || *line == '\t' || *line == '>')) {
      line++;
      line_length--;
    }
    /* Its own list of recipients ends at the copy of the original or
     * at its transcript (copymarks.h). */
    if (copymark_find(line, line_length))
      return;
    if (line_length > CAP_LINE_BYTES)
      line_length = CAP_LINE_BYTES;
    /* Each word with an '@' in it. */
    for (size_t i = 0; i < line_length;) {
      const char *at = memchr(line + i, '@', line_length - i);
      if (!at)
        break;
      size_t start = (size_t) (at - line), end = start;
      while (start > 0 && line[start - 1] != ' ' && line[start - 1] != '\t')
        start--;
      while (end < line_length && line[end] != ' ' && line[end] != '\t')
        end++;
      char address[CAP_ADDRESS_BYTES + 1];
      if (address_normalise(line + start, end - start, address, sizeof address) > 0
          && strcmp(address, notice_to) != 0 && address_domain(address)
          && strchr(address_domain(address), '.'))
        add_recipient(references, line + start, end - start);
      if (references->recipient_count == CAP_RECIPIENTS)
        return;
      i = end + 1;
    }
    line_start = line_end + 1;
  }
}

/* A delivery-status body is a series of header-like groups separated by
 * empty lines; visit each group. */
static void
scan_delivery_status(struct extraction *extraction, const char *text, size_t length)
{
  size_t start = 0;
  int groups = 0;
  while (start < length && groups++ < CAP_RECIPIENTS + 1) {
    while (start < length && (text[start] == '\n' || text[start] == '\r'))
      start++;
    if (start >= length)
      break;
    const char *end = text + start;
    const char *stop = text + length;
    while (end < stop) {
      const char *newline = memchr(end, '\n', (size_t) (stop - end));
      if (!newline) {
        end = stop;
        break;
      }
      end = newline + 1;
      if (end < stop && *end == '\n')
        break;
    }
    size_t group_length = (size_t) (end - (text + start));
    header_each(text + start, group_length, status_field, extraction);
    start += group_length;
  }
}

/* Strip the quoting of a line of quoted headers: leading '>' and blanks. */
static size_t
unquote(const char **line, size_t length)
{
  const char *p = *line;
  size_t skipped = 0;
  while (skipped < length && skipped < 16 && (p[skipped] == '>' || p[skipped] == ' '
                                              || p[skipped] == '\t'))
    skipped++;
  *line = p + skipped;
  return length - skipped;
}

/* Find header blocks quoted in a text part: lines "Message-ID: <...>"
 * (any case, quoted or indented). The lines around one, up to the blank
 * lines, are read as the original's header block. */
static void
scan_quoted_text(struct extraction *extraction, const char *text, size_t length)
{
  struct references *references = extraction->references;
  char block[8192];
  size_t line_start = 0;

  while (line_start < length) {
    const char *newline = memchr(text + line_start, '\n', length - line_start);
    size_t line_end = newline ? (size_t) (newline - text) : length;
    const char *line = text + line_start;
    size_t line_length = line_end - line_start;
    if (line_length > CAP_LINE_BYTES) {
      references->caps_hit |= CAP_HIT_LINE_BYTES;
      line_length = CAP_LINE_BYTES;
    }
    line_length = unquote(&line, line_length);
    if (line_length >= 11 && strncasecmp(line, "message-id", 10) == 0
        && (line[10] == ':' || line[10] == ' ')) {
      /* The quoted block: back to the previous empty line, on to the next. */
      size_t from = line_start, to = line_end;
      while (from > 0) {
        size_t previous_end = from - 1;      /* the '\n' before this line */
        size_t previous_start = previous_end;
        while (previous_start > 0 && text[previous_start - 1] != '\n')
          previous_start--;
        const char *p = text + previous_start;
        size_t n = unquote(&p, previous_end - previous_start);
        if (n == 0 || (n == 1 && *p == '\r') || line_start - previous_start > 4096)
          break;
        from = previous_start;
      }
      while (to < length && to - line_end < 4096) {
        const char *next = memchr(text + to + 1, '\n', length - to - 1);
        size_t next_end = next ? (size_t) (next - text) : length;
        const char *p = text + to + 1;
        size_t n = unquote(&p, next_end - to - 1);
        if (n == 0 || to + 1 >= length)
          break;
        to = next_end;
      }
      /* Copy the block unquoted so header_each can read it. */
      size_t used = 0;
      size_t position = from;
      while (position < to && position < length) {
        const char *next = memchr(text + position, '\n', to - position);
        size_t end = next ? (size_t) (next - text) : to;
        const char *p = text + position;
        size_t n = end - position;
        /* Keep a continuation's leading blank, drop the quote marks. */
        if (n > 0 && *p == '>') {
          while (n > 0 && *p == '>') {
            p++;
            n--;
          }
          if (n > 0 && *p == ' ' && n > 1 && p[1] != ' ' && p[1] != '\t') {
            p++;
            n--;
          }
        } else if (n > 0 && (*p == ' ' || *p == '\t') && used == 0) {
          while (n > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
          }
        }
        if (used + n + 2 >= sizeof block)
          break;
        memcpy(block + used, p, n);
        used += n;
        block[used++] = '\n';
        position = end + 1;
      }
      block[used] = '\0';
      scan_original(extraction, SOURCE_QUOTED_TEXT, block, used);
      line_end = to;
    }
    line_start = line_end + 1;
  }
}

static void
top_field(void *cookie, const char *name, size_t name_length,
          const char *value, size_t value_length)
{
  struct references *references = cookie;
  if (name_length == 19 && strncasecmp(name, "X-Failed-Recipients", 19) == 0) {
    /* A comma-separated list of bare addresses. */
    size_t start = 0;
    for (size_t i = 0; i <= value_length; i++)
      if (i == value_length || value[i] == ',') {
        add_recipient(references, value + start, i - start);
        start = i + 1;
      }
  }
}

/* A notice whose original was written by the notice's own sender (a
 * shop's "Delivery failed: your order" quoting its own order mail from the
 * same mailer@ address, a person attaching what she sent) is about its
 * sender's mail, which no bounce of ours can be: that original counts
 * against nothing. Not so for a complaint that is the reported message
 * itself (its own header is the original's). */
static void
mark_senders_own(const struct notice *notice, const struct classification *classification,
                 struct references *references)
{
  char from[CAP_LINE_BYTES], address[CAP_ADDRESS_BYTES + 1] = "";
  if (!references->original_from[0]
      || (classification->signals & SIGNAL_OWN_HEADER_ORIGINAL))
    return;
  if (header_field(notice->header, notice->header_length, "From", from, sizeof from) < 0
      || address_normalise(from, strlen(from), address, sizeof address) == 0
      || strcasecmp(address, references->original_from) != 0)
    return;
  references->original_is_senders = 1;
  for (size_t i = 0; i < references->id_count; i++)
    switch (references->ids[i].source) {
    case SOURCE_ATTACHED_MESSAGE:
    case SOURCE_ATTACHED_HEADERS:
    case SOURCE_QUOTED_TEXT:
    case SOURCE_MICROSOFT_ORIGINAL:
      references->ids[i].against = 0;
      break;
    default:
      break;
    }
}

/* A feedback report's own words may name the reported message when its
 * copy is cut short of the Message-ID field (AOL's and others' "an email
 * message with the message-id of <...> received from IP ..."): the one
 * ID right after that phrase, in the report's first text part. */
static void
scan_report_phrase(struct extraction *extraction, const char *text, size_t length)
{
  static const char phrase[] = "message-id of ";
  const size_t phrase_length = sizeof phrase - 1;
  for (size_t i = 0; i + phrase_length < length; i++) {
    if ((text[i] != 'm' && text[i] != 'M')
        || strncasecmp(text + i, phrase, phrase_length) != 0)
      continue;
    const char *id = text + i + phrase_length;
    size_t left = length - i - phrase_length;
    if (*id != '<')
      return;
    const char *end = memchr(id, '>', left < CAP_ID_BYTES + 2 ? left : CAP_ID_BYTES + 2);
    if (end)
      add_ids_from_value(extraction->references, SOURCE_QUOTED_TEXT, extraction->against,
                         id, (size_t) (end - id) + 1);
    return;
  }
}

void
references_extract(const struct notice *notice,
                   const struct classification *classification,
                   struct references *references)
{
  references_free(references);
  struct extraction extraction = {
    .references = references,
    .against = classify_original_is_evidence(classification),
  };
  static const enum part_role order[] = {
    PART_ORIGINAL_MESSAGE, PART_ORIGINAL_HEADERS, PART_TEXT,
  };
  /* A complaint that is the reported message itself (Hotmail's older
   * junk-mail reports) names it with its own Message-ID. */
  if (classification->signals & SIGNAL_OWN_HEADER_ORIGINAL)
    scan_original(&extraction, SOURCE_ATTACHED_MESSAGE, notice->header,
                  notice->header_length);
  for (size_t o = 0; o < sizeof order / sizeof order[0]; o++)
    for (size_t i = 0; i < notice->part_count; i++) {
      const struct notice_part *part = &notice->parts[i];
      if (part->role != order[o] || !part->content)
        continue;
      if (part->role == PART_TEXT) {
        if (classification->kind != KIND_NONE)
          scan_quoted_text(&extraction, part->content, part->length);
      } else {
        scan_original(&extraction, part->role == PART_ORIGINAL_MESSAGE
                                   ? SOURCE_ATTACHED_MESSAGE
                                   : SOURCE_ATTACHED_HEADERS,
                      part->content, part->length);
      }
    }
  for (size_t i = 0; i < notice->part_count; i++) {
    const struct notice_part *part = &notice->parts[i];
    if (part->role == PART_DELIVERY_STATUS && part->content)
      scan_delivery_status(&extraction, part->content, part->length);
    else if (part->role == PART_DISPOSITION && part->content)
      header_each(part->content, part->length, disposition_field, &extraction);
  }
  /* A feedback report whose copy names no ID may name it in its words. */
  if (classification->kind == KIND_ARF && references->id_count == 0)
    for (size_t i = 0; i < notice->part_count; i++)
      if (notice->parts[i].role == PART_TEXT && notice->parts[i].content) {
        scan_report_phrase(&extraction, notice->parts[i].content, notice->parts[i].length);
        break;
      }
  /* A non-standard bounce names the failed recipients in its first text. */
  if (classification->kind == KIND_NDR && references->recipient_count == 0)
    for (size_t i = 0; i < notice->part_count; i++)
      if (notice->parts[i].role == PART_TEXT && notice->parts[i].content) {
        char to[CAP_LINE_BYTES], to_address[CAP_ADDRESS_BYTES + 1] = "";
        long n = header_field(notice->header, notice->header_length, "To", to,
                              sizeof to);
        if (n >= 0)
          address_normalise(to, strlen(to), to_address, sizeof to_address);
        scan_ndr_text(references, notice->parts[i].content, notice->parts[i].length,
                      to_address);
        break;
      }
  header_each(notice->header, notice->header_length, top_field, references);

  /* Then the IDs of originals that are notices themselves. */
  add_deferred(references, &extraction.deferred);

  /* An auto-reply names the original in its own header; any other
   * message's In-Reply-To and References name a thread. */
  char value[CAP_LINE_BYTES];
  long length = header_field(notice->header, notice->header_length, "In-Reply-To",
                             value, sizeof value);
  if (length >= 0)
    add_ids_from_value(references, SOURCE_IN_REPLY_TO,
                       classify_in_reply_to_names_original(classification),
                       value, strlen(value));
  length = header_field(notice->header, notice->header_length, "References",
                        value, sizeof value);
  if (length >= 0)
    add_ids_from_value(references, SOURCE_REFERENCES, 0, value, strlen(value));
  mark_senders_own(notice, classification, references);
}

int
references_want_raw_body(const struct classification *classification,
                         const struct references *references)
{
  return classification->kind != KIND_NONE && references->id_count == 0;
}

/* Nothing named a Message-ID, so no original (deferred or not) was seen
 * and neither the In-Reply-To nor the References gave one: the IDs found
 * here come first, as if references_extract had read the raw body just
 * before those. */
void
references_add_raw_body(const struct notice *notice,
                        const struct classification *classification,
                        struct references *references)
{
  if (!references_want_raw_body(classification, references) || !notice->raw_body)
    return;
  struct extraction extraction = {
    .references = references,
    .against = classify_original_is_evidence(classification),
  };
  scan_quoted_text(&extraction, notice->raw_body, notice->raw_body_length);
  add_deferred(references, &extraction.deferred);
  mark_senders_own(notice, classification, references);
}
