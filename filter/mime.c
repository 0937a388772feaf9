/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mime.c: the MIME splitter: walks a spooled message's body into a
 * notice's parts, and reads Content-Type values.
 *
 * Our own streaming splitter over the spooled copy (Mailutils' MIME code
 * costs hundreds of instructions a byte counting parts; figures in
 * bench/ANALYSIS.md): 64 KB reads, lines found with memchr, CR before LF
 * dropped and an mbox "From " line skipped as it goes, so no normalised
 * copy is made and a 50 MB bounce is never held in memory. Bodies nobody
 * reads are skipped; the rest is collected bounded, every size by caps.h.
 * Content-Type values are read in one pass keeping only what is used
 * (Mailutils' parser is quadratic in the number of parameters, which a
 * stranger chooses); transfer encodings are undone with Mailutils'
 * filters in our plugin (muplugin.h), loaded only for a part that is
 * encoded, never by hand.
 */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "caps.h"
#include "header.h"
#include "mime.h"
#include "muplugin.h"
#include "notice.h"

enum { READ_CHUNK = 65536 };

static int
is_blank(char c)
{
  return c == ' ' || c == '\t';
}

/* ------------------------------------------------------------ the walk */

struct walk {
  struct notice *notice;
  size_t parts_allocated;
  size_t parts_visited;
  int stopped;                /* the parts cap was hit: read no further */
  struct failure plugin;      /* why a part could not be decoded (class set) */
};

/* Replace CRLF by LF and NUL by space in place; returns the new length.
 * Text with CRs and no LF at all has classic-Mac line ends: each CR
 * becomes an LF. Text that has neither (most of it) is only scanned, with
 * memchr. */
size_t
mime_text_normalise(char *data, size_t length)
{
  const char *cr = memchr(data, '\r', length), *nul = memchr(data, '\0', length);
  if (!cr && !nul) {
    data[length] = '\0';
    return length;
  }
  int cr_only = cr && !memchr(data, '\n', length);
  size_t first = (size_t) ((cr && (!nul || cr < nul) ? cr : nul) - data), out = first;
  if (cr_only && !nul) {          /* same length: each CR made LF */
    for (char *p = data + first, *end = data + length; p; ) {
      *p = '\n';
      p = memchr(p + 1, '\r', (size_t) (end - p - 1));
    }
    data[length] = '\0';
    return length;
  }
  if (cr_only) {                  /* same length, NULs too: a plain map */
    for (size_t i = first; i < length; i++) {
      char c = data[i];
      data[i] = c == '\r' ? '\n' : c == '\0' ? ' ' : c;
    }
    data[length] = '\0';
    return length;
  }
  for (size_t i = first; i < length; i++) {
    if (data[i] == '\r' && i + 1 < length && data[i + 1] == '\n')
      continue;
    data[out++] = data[i] == '\0' ? ' ' : data[i];
  }
  data[out] = '\0';
  return out;
}

/* The first `length` bytes of an allocated buffer, NUL terminated, in a
 * block of their own size: buffers grow by doubling up to their cap, and
 * a decoded original keeps only its header, so up to CAP_MIME_PARTS kept
 * pieces would otherwise each hold up to a megabyte nobody reads. */
char *
mime_keep_only(char *data, size_t length)
{
  data[length] = '\0';
  char *exact = realloc(data, length + 1);
  return exact ? exact : data;
}

/* Read at most `cap` bytes of stream into a new NUL-terminated buffer;
 * with `header_only`, stop as soon as the header block has ended (the
 * rest may be megabytes nobody reads here). *truncated is set when more
 * was there and the header had not ended. */
int
mime_read_bounded_until(struct byte_source *source, size_t cap, int header_only,
                        char **out, size_t *length, int *truncated)
{
  size_t allocated = cap < 8192 ? cap + 1 : 8192, used = 0;
  struct header_scan scan;
  header_scan_start(&scan, ULLONG_MAX);
  char *buffer = malloc(allocated);

  *truncated = 0;
  if (!buffer)
    return ENOMEM;
  for (;;) {
    if (used + 1 == allocated) {
      if (used >= cap) {
        char probe;
        size_t n = 0;
        if (byte_source_read(source, &probe, 1, &n) == 0 && n > 0)
          *truncated = 1;
        break;
      }
      size_t grow = allocated * 2 > cap + 1 ? cap + 1 : allocated * 2;
      char *bigger = realloc(buffer, grow);
      if (!bigger) {
        free(buffer);
        return ENOMEM;
      }
      buffer = bigger;
      allocated = grow;
    }
    size_t n = 0;
    int rc = byte_source_read(source, buffer + used, allocated - 1 - used, &n);
    if (rc) {
      free(buffer);
      return rc;
    }
    if (n == 0)
      break;
    if (header_only && header_scan_feed(&scan, buffer + used, n) >= 0) {
      used += n;
      break;
    }
    used += n;
  }
  buffer[used] = '\0';
  *out = buffer;
  *length = used;
  return 0;
}

int
mime_read_bounded(struct byte_source *source, size_t cap, char **out, size_t *length,
                  int *truncated)
{
  return mime_read_bounded_until(source, cap, 0, out, length, truncated);
}

static struct notice_part *
add_part(struct walk *walk, enum part_role role, unsigned depth,
         const char *content_type)
{
  struct notice *notice = walk->notice;
  if (notice->part_count == walk->parts_allocated) {
    size_t grow = walk->parts_allocated ? walk->parts_allocated * 2 : 8;
    struct notice_part *bigger = reallocarray(notice->parts, grow, sizeof *bigger);
    if (!bigger)
      return NULL;
    notice->parts = bigger;
    walk->parts_allocated = grow;
  }
  struct notice_part *part = &notice->parts[notice->part_count++];
  memset(part, 0, sizeof *part);
  part->role = role;
  part->depth = depth;
  snprintf(part->content_type, sizeof part->content_type, "%s", content_type);
  return part;
}

/* Parts visited, all depths together: 0 when CAP_MIME_PARTS is reached,
 * which ends the whole walk. */
static int
count_part(struct walk *walk)
{
  if (walk->parts_visited >= CAP_MIME_PARTS) {
    walk->notice->caps_hit |= CAP_HIT_MIME_PARTS;
    walk->stopped = 1;
    return 0;
  }
  walk->parts_visited++;
  return 1;
}

static void
lowercase(char *text)
{
  for (; *text; text++)
    if (*text >= 'A' && *text <= 'Z')
      *text = (char) (*text - 'A' + 'a');
}

/* What the walk needs from an entity's header. */
struct entity {
  char type[80];              /* "type/subtype", lower case */
  char report_type[40];       /* lower case */
  char *boundary;             /* multipart only: allocated, never empty, or NULL */
  char encoding[40];          /* Content-Transfer-Encoding, "" when absent */
};

/* The first field of a name, as written (still folded): a pointer into
 * the block, no copy. */
struct raw_field {
  const char *name;
  size_t name_length;
  const char *value;          /* NULL when absent */
  size_t length;
};

static void
raw_field_visit(void *cookie, const char *name, size_t name_length,
                const char *value, size_t value_length)
{
  struct raw_field *field = cookie;
  if (!field->value && name_length == field->name_length
      && strncasecmp(name, field->name, name_length) == 0) {
    field->value = value;
    field->length = value_length;
  }
}

/* ------------------------------------------------- Content-Type values */

/* One pass over a Content-Type value (RFC 2045 5.1 with RFC 822 comments
 * and quoted strings, RFC 2231 parameter sections and charset'language'
 * prefixes), keeping the type and only the parameters the walk uses. A
 * stranger controls how many parameters there are; each costs a few
 * comparisons here and nothing is stored for those not wanted (Mailutils'
 * own parser installs each in a table, quadratically: 27,000 of them cost
 * 2.3 s). Lenient the way mail readers are: junk between parameters is
 * skipped to the next ';', an unterminated quoted string or comment runs
 * to the end. Values are taken literally: no RFC 2047 decoding (a
 * boundary is matched against raw lines). */

static int
is_space_or_ctl(unsigned char c)
{
  return c <= ' ' || c == 127;
}

/* Past a comment starting at p ('('), nested comments and quoted pairs
 * included; the end when it never closes. */
static const char *
skip_comment(const char *p, const char *end)
{
  unsigned long depth = 0;
  for (; p < end; p++) {
    if (*p == '\\' && p + 1 < end)
      p++;
    else if (*p == '(')
      depth++;
    else if (*p == ')' && --depth == 0)
      return p + 1;
  }
  return end;
}

/* Past white space, line ends and comments. */
static const char *
skip_cfws(const char *p, const char *end)
{
  while (p < end) {
    if (*p == '(')
      p = skip_comment(p, end);
    else if (is_space_or_ctl((unsigned char) *p))
      p++;
    else
      break;
  }
  return p;
}

/* The closing quote of a quoted string whose opening quote is at p; the
 * end when it never closes. */
static const char *
quoted_end(const char *p, const char *end)
{
  for (p++; p < end; p++) {
    if (*p == '\\' && p + 1 < end)
      p++;
    else if (*p == '"')
      return p;
  }
  return end;
}

/* Past a quoted string starting at p ('"'). */
static const char *
skip_quoted(const char *p, const char *end)
{
  p = quoted_end(p, end);
  return p < end ? p + 1 : p;
}

/* To the next ';' (or the end), stepping over quoted strings and comments. */
static const char *
skip_to_semicolon(const char *p, const char *end)
{
  while (p < end && *p != ';') {
    if (*p == '"')
      p = skip_quoted(p, end);
    else if (*p == '(')
      p = skip_comment(p, end);
    else
      p++;
  }
  return p;
}

/* Bytes that end a token: blanks and controls always, the others as asked. */
enum {
  AT_SPACE = 1, AT_SLASH = 2, AT_SEMICOLON = 4, AT_PAREN = 8,
  AT_QUOTE = 16, AT_EQUALS = 32,
};
static const unsigned char token_ends[256] = {
  [0 ... ' '] = AT_SPACE, [127] = AT_SPACE,
  ['/'] = AT_SLASH, [';'] = AT_SEMICOLON, ['('] = AT_PAREN,
  ['"'] = AT_QUOTE, ['='] = AT_EQUALS,
};

/* A token (relaxed: anything but blanks, controls and the `stops`). */
static const char *
token_end(const char *p, const char *end, unsigned stops)
{
  stops |= AT_SPACE;
  while (p < end && !(token_ends[(unsigned char) *p] & stops))
    p++;
  return p;
}

/* One parameter value as written: bytes [start, end), quoted or not, and
 * whether it is an RFC 2231 extended value (percent-encoded). */
struct param_value {
  const char *start, *end;
  int quoted, extended;
};

/* Append a value's bytes to out[*used..size): quoted pairs undone, an
 * extended value percent-decoded (after its charset'language' prefix when
 * `prefixed`). 0, or -1 when it does not fit or would hold a NUL. */
static int
param_value_append(const struct param_value *value, int prefixed, char *out,
                   size_t size, size_t *used)
{
  const char *p = value->start, *end = value->end;
  if (prefixed) {
    const char *first = memchr(p, '\'', (size_t) (end - p));
    const char *second = first ? memchr(first + 1, '\'', (size_t) (end - first - 1))
                               : NULL;
    if (second)
      p = second + 1;             /* charset and language: not needed here */
  }
  for (; p < end; p++) {
    unsigned char c = (unsigned char) *p;
    if (value->quoted && (c == '\r' || c == '\n'))
      continue;                   /* unfolding: the blank after it stays */
    if (value->quoted && c == '\\' && p + 1 < end) {
      c = (unsigned char) *++p;
    } else if (value->extended && c == '%' && end - p >= 3
               && isxdigit((unsigned char) p[1]) && isxdigit((unsigned char) p[2])) {
      char hex[3] = { p[1], p[2], '\0' };
      c = (unsigned char) strtoul(hex, NULL, 16);
      p += 2;
    }
    if (c == '\0' || *used + 1 >= size)
      return -1;
    out[(*used)++] = (char) c;
  }
  out[*used] = '\0';
  return 0;
}

/* A wanted parameter: its first plain (or name*) value, else its RFC 2231
 * sections name*0, name*1, ... joined in index order. */
struct param_slot {
  const char *name;
  char *out;
  size_t size;
  int have_value;                 /* a plain value was taken (first wins) */
  int sections_overflow;          /* an index past CAP_PARAMETER_SECTIONS */
  struct param_value sections[CAP_PARAMETER_SECTIONS];
  unsigned char have_section[CAP_PARAMETER_SECTIONS];
};

/* Store one parameter `name`=`value` when it is wanted. */
static void
param_offer(struct param_slot *slots, size_t slot_count, const char *name,
            size_t name_length, struct param_value *value)
{
  const char *star = memchr(name, '*', name_length);
  size_t base = star ? (size_t) (star - name) : name_length;
  struct param_slot *slot = NULL;

  for (size_t i = 0; i < slot_count; i++)
    if (strlen(slots[i].name) == base && strncasecmp(name, slots[i].name, base) == 0)
      slot = &slots[i];
  if (!slot || slot->have_value)
    return;
  if (!star || base + 1 == name_length) {      /* name= or name*= */
    size_t used = 0;
    value->extended = star != NULL;
    slot->have_value = 1;
    if (param_value_append(value, value->extended, slot->out, slot->size, &used) < 0)
      slot->out[0] = '\0';       /* too long or broken: as if absent */
    return;
  }
  /* name*N or name*N*: a section. */
  const char *digit = star + 1, *name_end = name + name_length;
  unsigned long index = 0;
  if (digit == name_end || !isdigit((unsigned char) *digit))
    return;                       /* malformed: ignored */
  for (; digit < name_end && isdigit((unsigned char) *digit); digit++) {
    index = index * 10 + (unsigned long) (*digit - '0');
    if (index >= CAP_PARAMETER_SECTIONS) {
      slot->sections_overflow = 1;
      return;
    }
  }
  if (digit < name_end && !(*digit == '*' && digit + 1 == name_end))
    return;                       /* malformed: ignored */
  value->extended = digit < name_end;
  if (!slot->have_section[index]) {
    slot->have_section[index] = 1;
    slot->sections[index] = *value;
  }
}

/* The sections of a slot with no plain value, joined: 0..n-1 with none
 * missing, no index past the cap. */
static void
param_join_sections(struct param_slot *slot)
{
  size_t used = 0;
  if (slot->have_value || !slot->have_section[0] || slot->sections_overflow)
    return;
  for (size_t i = 0; i < CAP_PARAMETER_SECTIONS && slot->have_section[i]; i++)
    if (param_value_append(&slot->sections[i], i == 0 && slot->sections[i].extended,
                           slot->out, slot->size, &used) < 0) {
      slot->out[0] = '\0';
      return;
    }
}

/* The parameters from p on (p at a parameter's name, or at junk that is
 * skipped to the next ';'), into the first `slot_count` of boundary and
 * report-type. */
static void
parameters_parse(const char *p, const char *end, struct content_type *parsed,
                 size_t slot_count)
{
  struct param_slot slots[2] = {
    { .name = "boundary", .out = parsed->boundary, .size = sizeof parsed->boundary },
    { .name = "report-type", .out = parsed->report_type,
      .size = sizeof parsed->report_type },
  };

  while (p < end) {
    p = skip_cfws(p, end);
    const char *name = p;
    const char *name_end = token_end(p, end, AT_EQUALS | AT_SEMICOLON | AT_PAREN
                                             | AT_QUOTE);
    p = skip_cfws(name_end, end);
    if (name_end > name && p < end && *p == '=') {
      p = skip_cfws(p + 1, end);
      struct param_value param = { .start = p };
      if (p < end && *p == '"') {
        param.quoted = 1;
        param.start = p + 1;
        param.end = quoted_end(p, end);
        p = skip_quoted(p, end);
      } else {
        p = param.end = token_end(p, end, AT_SEMICOLON | AT_PAREN);
      }
      param_offer(slots, slot_count, name, (size_t) (name_end - name), &param);
    }                                         /* else not a parameter: skipped */
    p = skip_to_semicolon(p, end);
    if (p < end)
      p++;                                    /* past the ';' */
  }
  for (size_t i = 0; i < slot_count; i++)
    param_join_sections(&slots[i]);
}

void
content_type_parse(const char *value, size_t length, struct content_type *parsed)
{
  const char *p = value, *end = value + length;

  parsed->type[0] = parsed->boundary[0] = parsed->report_type[0] = '\0';
  p = skip_cfws(p, end);
  const char *type = p;
  const char *type_end = token_end(p, end, AT_SLASH | AT_SEMICOLON | AT_PAREN
                                           | AT_QUOTE);
  p = skip_cfws(type_end, end);
  if (type_end > type && p < end && *p == '/') {
    const char *subtype = skip_cfws(p + 1, end);
    const char *subtype_end = token_end(subtype, end,
                                        AT_SEMICOLON | AT_PAREN | AT_QUOTE);
    if (subtype_end > subtype)
      snprintf(parsed->type, sizeof parsed->type, "%.*s/%.*s", (int) (type_end - type),
               type, (int) (subtype_end - subtype), subtype);
    p = subtype_end;
  }
  lowercase(parsed->type);
  p = skip_to_semicolon(p, end);
  if (p < end)
    parameters_parse(p + 1, end, parsed, 2);
  lowercase(parsed->report_type);
}

/* A multipart Content-Type whose parameters went on the next line without
 * the blank that folds it ("multipart/alternative;" then
 * "boundary=\"...\"" at the start of a line: broken mailers, Apache
 * James's carrier bounces among them) loses its boundary and with it
 * every part. Read the way tolerant parsers do, bounded: only the one line
 * right after the field, only when it starts "name=" (a header field's
 * name is followed by ':', never by '='), and only its boundary.
 * field_end: where the field's last line ends in the block. */
static void
boundary_from_unfolded_line(const char *field_end, const char *block_end,
                            struct content_type *parsed)
{
  if (field_end >= block_end || *field_end != '\n')
    return;
  const char *line = field_end + 1;
  const char *line_end = memchr(line, '\n', (size_t) (block_end - line));
  if (!line_end)
    line_end = block_end;
  const char *name_end = token_end(line, line_end, AT_EQUALS | AT_SEMICOLON | AT_PAREN
                                                   | AT_QUOTE);
  if (name_end == line || name_end == line_end || *name_end != '='
      || memchr(line, ':', (size_t) (name_end - line)))
    return;                       /* an empty line, a field, or junk */
  parameters_parse(line, line_end, parsed, 1);
}

/* header_is_wellformed, but also taking the one line right after a
 * multipart Content-Type that holds its boundary unfolded (what
 * boundary_from_unfolded_line reads): such a header is the message's own
 * (copies of the ARF drafts' examples, carriers' bounces), and without
 * its walk the report's parts are never seen. Any other line that is no
 * field still makes the block malformed. */
static int
header_is_wellformed_or_unfolded_boundary(const char *block, size_t length)
{
  if (header_is_wellformed(block, length))
    return 1;
  struct raw_field field = { "Content-Type", strlen("Content-Type"), NULL, 0 };
  struct content_type parsed;
  header_each(block, length, raw_field_visit, &field);
  if (!field.value)
    return 0;
  content_type_parse(field.value, field.length, &parsed);
  if (parsed.boundary[0] || strncmp(parsed.type, "multipart/", 10) != 0)
    return 0;
  boundary_from_unfolded_line(field.value + field.length, block + length, &parsed);
  if (!parsed.boundary[0])
    return 0;
  /* The block is well formed once that line is left out. */
  const char *line = field.value + field.length + 1;
  const char *line_end = memchr(line, '\n', (size_t) (block + length - line));
  size_t before = (size_t) (line - block);
  size_t after = line_end ? (size_t) (block + length - (line_end + 1)) : 0;
  return header_is_wellformed(block, before)
         && (!line_end || header_is_wellformed(line_end + 1, after));
}

/* Content-Type (content_type_parse, on the field as written: no copy,
 * and a quoted boundary keeps its blanks) and transfer encoding of a header
 * block. A missing or unparsable Content-Type is text/plain (RFC 2045
 * 5.2); a multipart without a usable boundary gets the one of an unfolded
 * next line (boundary_from_unfolded_line), or none. */
static void
entity_from_header(const char *block, size_t length, struct entity *entity)
{
  struct raw_field field = { "Content-Type", strlen("Content-Type"), NULL, 0 };
  struct content_type parsed;

  snprintf(entity->type, sizeof entity->type, "text/plain");
  entity->report_type[0] = '\0';
  entity->boundary = NULL;
  header_field(block, length, "Content-Transfer-Encoding", entity->encoding,
               sizeof entity->encoding);
  header_each(block, length, raw_field_visit, &field);
  if (!field.value)
    return;
  content_type_parse(field.value, field.length, &parsed);
  if (!parsed.type[0])
    return;
  if (!parsed.boundary[0] && strncmp(parsed.type, "multipart/", 10) == 0)
    boundary_from_unfolded_line(field.value + field.length, block + length, &parsed);
  snprintf(entity->type, sizeof entity->type, "%s", parsed.type);
  snprintf(entity->report_type, sizeof entity->report_type, "%s", parsed.report_type);
  if (parsed.boundary[0] && strncmp(entity->type, "multipart/", 10) == 0)
    entity->boundary = strdup(parsed.boundary);
}

static enum part_role
role_of(const char *type, int *known)
{
  static const struct {
    const char *type;
    enum part_role role;
  } roles[] = {
    { "message/rfc822", PART_ORIGINAL_MESSAGE },
    { "message/global", PART_ORIGINAL_MESSAGE },
    { "text/rfc822-headers", PART_ORIGINAL_HEADERS },
    { "text/rfc822-header", PART_ORIGINAL_HEADERS },      /* seen in the wild */
    { "message/rfc822-headers", PART_ORIGINAL_HEADERS },  /* seen in the wild */
    { "message/global-headers", PART_ORIGINAL_HEADERS },
    { "message/delivery-status", PART_DELIVERY_STATUS },
    { "message/global-delivery-status", PART_DELIVERY_STATUS },
    { "message/disposition-notification", PART_DISPOSITION },
    { "message/global-disposition-notification", PART_DISPOSITION },
    { "message/feedback-report", PART_FEEDBACK },
  };
  *known = 1;
  for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
    if (strcmp(type, roles[i].type) == 0)
      return roles[i].role;
  if (strncmp(type, "text/", 5) == 0)
    return PART_TEXT;
  *known = 0;
  return PART_TEXT;
}

/* ----------------------------------------------------- the line reader */

/* Lines of a byte source (the spool, or a decoded original in memory):
 * read in place when its bytes lie in memory in one piece (a message
 * that never spilled), else READ_CHUNK bytes at a time (Mailutils' own
 * MIME code reads line by line through stacked streams, far dearer a
 * byte: bench/ANALYSIS.md). A CR before the LF is dropped, so CRLF input
 * needs no normalised copy; a source whose first READ_CHUNK bytes hold a
 * CR and no LF has classic-Mac line ends, and there every CR ends a line
 * (one "\r\r\n" in LF or CRLF mail must not split). A line longer than
 * CAP_LINE_BYTES comes in pieces, none of them "whole", so a piece is
 * never taken for a boundary or an empty line. `offset` counts the
 * LF-normalised bytes delivered. */
struct line_reader {
  struct byte_source *source;
  const char *buffer;         /* the bytes in place, or `owned` */
  char *owned;                /* READ_CHUNK bytes, when not in place */
  size_t start, end;          /* unread bytes: buffer[start, end) */
  int at_eof;
  int read_error;             /* errno that ended the input */
  int in_line;                /* the last piece did not end its line */
  int filled;                 /* the first read is done: cr_only is known */
  int cr_only;                /* classic-Mac line ends: CR ends a line */
  unsigned long long offset, line_offset;
  const char *line;           /* the current line, CR LF / LF removed */
  size_t length;
  int ends_line;              /* it ended with LF */
  int whole;                  /* it is a whole line, not a piece */
};

/* Classic-Mac line ends: a CR and no LF in the first READ_CHUNK bytes. */
static void
reader_sniff(struct line_reader *reader)
{
  size_t length = reader->end < READ_CHUNK ? reader->end : READ_CHUNK;
  reader->filled = 1;
  reader->cr_only = memchr(reader->buffer, '\r', length)
                    && !memchr(reader->buffer, '\n', length);
}

static int
reader_open(struct line_reader *reader, struct byte_source *source)
{
  size_t length;
  memset(reader, 0, sizeof *reader);
  reader->source = source;
  reader->buffer = byte_source_contiguous(source, &length);
  if (reader->buffer) {           /* all of it, in place: nothing to fill */
    reader->end = length;
    reader->at_eof = 1;
    if (length > 0)
      reader_sniff(reader);
    return 0;
  }
  reader->buffer = reader->owned = malloc(READ_CHUNK);
  return reader->owned ? 0 : -1;
}

static void
reader_close(struct line_reader *reader)
{
  free(reader->owned);
  reader->owned = NULL;
  reader->buffer = NULL;
}

/* Keep what is unread, append what the source has next. */
static void
reader_fill(struct line_reader *reader)
{
  size_t left = reader->end - reader->start, n = 0;
  memmove(reader->owned, reader->owned + reader->start, left);
  reader->start = 0;
  reader->end = left;
  int rc = byte_source_read(reader->source, reader->owned + left, READ_CHUNK - left, &n);
  if (rc)
    reader->read_error = rc;
  if (rc || n == 0)
    reader->at_eof = 1;
  reader->end += n;
  if (!reader->filled && reader->end > 0)
    reader_sniff(reader);
}

/* The next line (or piece of one) into reader->line; 0 at the end. Each
 * call looks at no more than CAP_LINE_BYTES + 2 bytes. */
static int
reader_next(struct line_reader *reader)
{
  const size_t window = CAP_LINE_BYTES + 2;     /* the line, CR, LF */

  for (;;) {
    size_t left = reader->end - reader->start, length, consumed;
    const char *data = reader->buffer + reader->start;
    const char *newline = memchr(data, reader->cr_only ? '\r' : '\n',
                                 left < window ? left : window);
    if (newline) {
      consumed = (size_t) (newline - data) + 1;
      length = consumed - 1;
      if (length > 0 && data[length - 1] == '\r' && !reader->cr_only)
        length--;
    } else if (left >= window || (reader->at_eof && left > 0)) {
      length = consumed = left < CAP_LINE_BYTES ? left : CAP_LINE_BYTES;
    } else if (reader->at_eof) {
      return 0;
    } else {
      reader_fill(reader);        /* adds bytes or reaches the end */
      continue;
    }
    reader->line = data;
    reader->length = length;
    reader->ends_line = newline != NULL;
    reader->whole = !reader->in_line && (newline || consumed == left);
    reader->in_line = !newline;
    reader->line_offset = reader->offset;
    reader->offset += length + (newline != NULL);
    reader->start += consumed;
    return 1;
  }
}

/* Skip one line whatever its length (an mbox "From " line). */
static void
reader_skip_line(struct line_reader *reader)
{
  while (reader_next(reader) && !reader->ends_line)
    continue;
}

/* ---------------------------------------------------------- the splitter */

/* A recursive-descent MIME splitter over a line reader. Every open
 * multipart has its boundary on the stack; a whole line "--boundary"
 * (optionally followed by blanks) or "--boundary--" matching ANY of them
 * ends the current part, so a missing close delimiter or an unterminated
 * last part ends where the enclosing one does, or at the end of input.
 * Bodies nobody reads are skipped without copying; the rest is collected
 * bounded and decoded with Mailutils' filters. Depth is bounded by
 * CAP_MIME_DEPTH (so is the stack), parts by CAP_MIME_PARTS, and every
 * loop by the input, itself at most CAP_MESSAGE_BYTES. */
enum stop_kind {
  STOP_END,                   /* end of input (or the walk was stopped) */
  STOP_LIMIT,                 /* an attached original's CAP_ORIGINAL_BYTES */
  STOP_BOUNDARY,              /* a delimiter line of level `level` */
};

struct stop {
  enum stop_kind kind;
  size_t level;
  int close;                  /* "--boundary--" */
};

struct splitter {
  struct walk *walk;
  struct line_reader *reader;
  const char *boundaries[CAP_MIME_DEPTH];
  size_t boundary_lengths[CAP_MIME_DEPTH];
  size_t boundary_count;
  unsigned long long limit;   /* reader offset where lines stop (STOP_LIMIT) */
};

/* Is the current line a delimiter of an open multipart (innermost first)? */
static int
line_is_boundary(const struct splitter *splitter, struct stop *stop)
{
  const struct line_reader *reader = splitter->reader;
  const char *line = reader->line;

  if (!reader->whole || reader->length < 2 || line[0] != '-' || line[1] != '-')
    return 0;
  for (size_t level = splitter->boundary_count; level-- > 0;) {
    size_t length = splitter->boundary_lengths[level];
    if (reader->length < 2 + length
        || memcmp(line + 2, splitter->boundaries[level], length) != 0)
      continue;
    const char *rest = line + 2 + length;
    size_t rest_length = reader->length - 2 - length;
    int close = rest_length >= 2 && rest[0] == '-' && rest[1] == '-';
    size_t i = close ? 2 : 0;
    while (i < rest_length && is_blank(rest[i]))
      i++;
    if (i == rest_length) {
      stop->kind = STOP_BOUNDARY;
      stop->level = level;
      stop->close = close;
      return 1;
    }
  }
  return 0;
}

/* The next line of the current part: 1, or 0 with what ended the part. */
static int
next_line(struct splitter *splitter, struct stop *stop)
{
  if (splitter->walk->stopped) {
    stop->kind = STOP_END;
    return 0;
  }
  if (splitter->reader->offset >= splitter->limit) {
    stop->kind = STOP_LIMIT;
    return 0;
  }
  if (!reader_next(splitter->reader)) {
    stop->kind = STOP_END;
    return 0;
  }
  return !line_is_boundary(splitter, stop);
}

static struct stop
skip_body(struct splitter *splitter)
{
  struct stop stop;
  while (next_line(splitter, &stop))
    continue;
  return stop;
}

/* Bytes collected up to a cap; past it only `truncated` is set. */
struct bounded_buffer {
  char *data;                 /* NUL terminated once anything is in it */
  size_t length, allocated, cap;
  int truncated, failed;
};

static void
buffer_append(struct bounded_buffer *buffer, const char *data, size_t length)
{
  if (length > buffer->cap - buffer->length) {
    buffer->truncated = 1;
    length = buffer->cap - buffer->length;
  }
  if (length == 0 || buffer->failed)
    return;
  if (buffer->length + length + 1 > buffer->allocated) {
    size_t grow = buffer->allocated ? buffer->allocated : 4096;
    while (grow < buffer->length + length + 1)
      grow *= 2;
    if (grow > buffer->cap + 1)
      grow = buffer->cap + 1;
    char *bigger = realloc(buffer->data, grow);
    if (!bigger) {
      buffer->failed = 1;
      return;
    }
    buffer->data = bigger;
    buffer->allocated = grow;
  }
  memcpy(buffer->data + buffer->length, data, length);
  buffer->length += length;
  buffer->data[buffer->length] = '\0';
}

/* The collected bytes as an allocated string ("" when none), or NULL. */
static char *
buffer_take(struct bounded_buffer *buffer)
{
  char *data = buffer->data;
  if (buffer->failed) {
    free(data);
    data = NULL;
  } else if (!data) {
    data = calloc(1, 1);
  }
  buffer->data = NULL;
  return data;
}

static void
append_current_line(struct splitter *splitter, struct bounded_buffer *buffer)
{
  const struct line_reader *reader = splitter->reader;
  buffer_append(buffer, reader->line, reader->length);
  if (reader->ends_line)
    buffer_append(buffer, "\n", 1);
}

/* A header block up to and including its empty line: 1, or 0 when the
 * part ended first (*stop says how). */
static int
read_header_block(struct splitter *splitter, struct bounded_buffer *buffer,
                  struct stop *stop)
{
  while (next_line(splitter, stop)) {
    append_current_line(splitter, buffer);
    if (splitter->reader->whole && splitter->reader->length == 0)
      return 1;
  }
  return 0;
}

static struct stop
collect_body(struct splitter *splitter, struct bounded_buffer *buffer)
{
  struct stop stop;
  while (next_line(splitter, &stop))
    append_current_line(splitter, buffer);
  return stop;
}

static int
is_identity_encoding(const char *encoding)
{
  return !*encoding || strcasecmp(encoding, "7bit") == 0
         || strcasecmp(encoding, "8bit") == 0 || strcasecmp(encoding, "binary") == 0;
}

/* Raw bytes to collect so that decoding can still yield `cap` bytes:
 * base64 grows 4/3 plus line ends, quoted-printable (and anything else)
 * at most 3 times. */
static size_t
raw_cap_for(const char *encoding, size_t cap)
{
  if (is_identity_encoding(encoding))
    return cap;
  if (strcasecmp(encoding, "base64") == 0) {
    size_t encoded = (cap / 3 + 1) * 4;
    return encoded + encoded / 38 + 1024;
  }
  return cap * 3 + cap / 25 + 1024;
}

/* Decode raw bytes with Mailutils' filter for the encoding (an encoding it
 * does not know leaves them as they are), in our plugin (muplugin.h),
 * loaded only now: at most cap bytes, LF ends. When the plugin cannot be
 * loaded, *failure says why and the part is judged without its text. */
static int
decode_bounded(const char *raw, size_t raw_length, const char *encoding,
               size_t cap, char **out, size_t *length, int *truncated,
               struct failure *failure)
{
  const struct muplugin *plugin = muplugin_load(MUPLUGIN_TEXT, failure);
  if (!plugin)
    return -1;
  int rc = plugin->decode(raw, raw_length, encoding, cap, out, length, truncated);
  if (rc == 0)
    *length = mime_text_normalise(*out, *length);
  return rc;
}

/* The rest of the current part, decoded, at most cap bytes (LF ends, NUL
 * as space). *content is NULL when memory ran out. */
static struct stop
collect_decoded(struct splitter *splitter, const char *encoding, size_t cap,
                char **content, size_t *length, int *truncated)
{
  struct bounded_buffer raw = { .cap = raw_cap_for(encoding, cap) };
  struct stop stop = collect_body(splitter, &raw);
  char *bytes = buffer_take(&raw);

  *content = NULL;
  *length = 0;
  *truncated = raw.truncated;
  if (!bytes)
    return stop;
  if (is_identity_encoding(encoding)) {
    *content = bytes;
    *length = mime_text_normalise(bytes, raw.length);
    return stop;
  }
  int decoded_truncated = 0;
  if (decode_bounded(bytes, raw.length, encoding, cap, content, length,
                     &decoded_truncated, &splitter->walk->plugin) == 0)
    *truncated |= decoded_truncated;
  free(bytes);
  return stop;
}

static struct stop walk_entity(struct splitter *splitter,
                               const struct entity *entity, unsigned depth);

/* Is the original with this header block a multipart or a message to
 * walk (a forwarded bounce), depth and parts caps permitting? */
static int
inner_is_walked(struct walk *walk, const char *header, size_t length, unsigned depth)
{
  char inner_type[80];

  header_field(header, length, "Content-Type", inner_type, sizeof inner_type);
  lowercase(inner_type);
  if (strncmp(inner_type, "multipart/", 10) != 0
      && strncmp(inner_type, "message/", 8) != 0)
    return 0;
  if (depth + 1 >= CAP_MIME_DEPTH) {
    walk->notice->caps_hit |= CAP_HIT_MIME_DEPTH;
    return 0;
  }
  if (!header_is_wellformed_or_unfolded_boundary(header, length))
    return 0;                     /* Mailutils rejected these: not walked */
  return count_part(walk);
}

/* An attached original that is not transfer-encoded, read where it is:
 * its header block becomes the part's content, and a multipart or message
 * inside is walked under the same boundaries, as far as
 * CAP_ORIGINAL_BYTES into the original (what a decoded copy would hold). */
static struct stop
walk_original_in_place(struct splitter *splitter, const char *type, unsigned depth)
{
  struct notice *notice = splitter->walk->notice;
  struct bounded_buffer header = { .cap = CAP_HEADER_BLOCK_BYTES };
  unsigned long long start = splitter->reader->offset, outer_limit = splitter->limit;
  struct stop stop;

  if (start + CAP_ORIGINAL_BYTES < outer_limit)
    splitter->limit = start + CAP_ORIGINAL_BYTES;
  int header_ended = read_header_block(splitter, &header, &stop);
  size_t header_length = header.length;
  char *content = buffer_take(&header);
  if (header.truncated)
    notice->caps_hit |= CAP_HIT_HEADER_BLOCK;
  struct notice_part *part = content
                             ? add_part(splitter->walk, PART_ORIGINAL_MESSAGE, depth, type)
                             : NULL;
  size_t index = part ? (size_t) (part - notice->parts) : 0;
  if (header_ended) {
    if (content && inner_is_walked(splitter->walk, content, header_length, depth)) {
      struct entity entity;
      entity_from_header(content, header_length, &entity);
      stop = walk_entity(splitter, &entity, depth + 1);
      free(entity.boundary);
    } else {
      stop = skip_body(splitter);
    }
  }
  if (part) {                     /* named by index: the walk moves parts */
    notice->parts[index].content = mime_keep_only(content, header_length);
    notice->parts[index].length = header_length;
  } else {
    free(content);
  }
  splitter->limit = outer_limit;
  if (stop.kind == STOP_LIMIT)
    stop = skip_body(splitter);
  unsigned long long end = stop.kind == STOP_BOUNDARY ? splitter->reader->line_offset
                                                      : splitter->reader->offset;
  if (end - start > CAP_ORIGINAL_BYTES)
    notice->caps_hit |= CAP_HIT_ORIGINAL_BYTES;
  return stop;
}

/* Walk a decoded original held in memory as the entity at `depth`, with
 * its own boundaries (its header block is content[0, header_length)). */
static void
walk_decoded(struct walk *walk, const char *content, size_t length,
             size_t header_length, unsigned depth)
{
  struct byte_source source;
  struct line_reader reader;

  byte_source_memory(&source, content, length);
  if (reader_open(&reader, &source) == 0) {
    struct splitter inner = { .walk = walk, .reader = &reader, .limit = ULLONG_MAX };
    struct bounded_buffer skip = { .cap = 0 };
    struct stop stop;
    if (read_header_block(&inner, &skip, &stop)) {
      struct entity entity;
      entity_from_header(content, header_length, &entity);
      walk_entity(&inner, &entity, depth);
      free(entity.boundary);
    }
  }
  reader_close(&reader);
}

/* A transfer-encoded original (base64 and quoted-printable are seen in the
 * wild): collected bounded, decoded, its header block kept, and what is
 * inside walked from the decoded copy. */
static struct stop
walk_original_encoded(struct splitter *splitter, const struct entity *entity,
                      unsigned depth)
{
  struct notice *notice = splitter->walk->notice;
  char *content;
  size_t length;
  int truncated;
  struct stop stop = collect_decoded(splitter, entity->encoding, CAP_ORIGINAL_BYTES,
                                     &content, &length, &truncated);
  if (!content)
    return stop;
  if (truncated)
    notice->caps_hit |= CAP_HIT_ORIGINAL_BYTES;
  struct notice_part *part = add_part(splitter->walk, PART_ORIGINAL_MESSAGE, depth,
                                      entity->type);
  if (!part) {
    free(content);
    return stop;
  }
  size_t header_length = header_block_length(content, length);
  if (header_length > CAP_HEADER_BLOCK_BYTES) {
    header_length = CAP_HEADER_BLOCK_BYTES;
    notice->caps_hit |= CAP_HIT_HEADER_BLOCK;
  }
  size_t index = (size_t) (part - notice->parts);
  part->content = content;
  part->length = header_length;
  if (inner_is_walked(splitter->walk, content, header_length, depth))
    walk_decoded(splitter->walk, content, length, header_length, depth + 1);
  /* Only the header block is kept (the walk may have moved the parts). */
  notice->parts[index].content = mime_keep_only(content, header_length);
  return stop;
}

/* One part of a multipart: its header block (bounded), then its body. */
static struct stop
walk_part(struct splitter *splitter, unsigned depth)
{
  struct bounded_buffer header = { .cap = CAP_HEADER_BLOCK_BYTES };
  struct stop stop;

  if (read_header_block(splitter, &header, &stop)) {
    struct entity entity;
    if (header.truncated)
      splitter->walk->notice->caps_hit |= CAP_HIT_HEADER_BLOCK;
    entity_from_header(header.data, header.length, &entity);
    free(header.data);
    stop = walk_entity(splitter, &entity, depth);
    free(entity.boundary);
    return stop;
  }
  free(header.data);              /* a part that ends inside its header */
  return stop;
}

/* The parts of a multipart at `depth`, up to the stop that ends it: its
 * close delimiter and epilogue, or an enclosing delimiter, or the end. */
static struct stop
walk_multipart(struct splitter *splitter, const char *boundary, unsigned depth)
{
  size_t level = splitter->boundary_count;
  struct stop stop;

  splitter->boundaries[level] = boundary;
  splitter->boundary_lengths[level] = strlen(boundary);
  splitter->boundary_count++;
  stop = skip_body(splitter);                     /* the preamble */
  while (stop.kind == STOP_BOUNDARY && stop.level == level && !stop.close
         && count_part(splitter->walk))
    stop = walk_part(splitter, depth + 1);
  splitter->boundary_count = level;
  if (stop.kind == STOP_BOUNDARY && stop.level == level)
    stop = skip_body(splitter);                   /* the epilogue */
  return stop;
}

/* The body of an entity whose header has been read, from the reader's
 * position to the stop that ends it. */
static struct stop
walk_entity(struct splitter *splitter, const struct entity *entity, unsigned depth)
{
  struct notice *notice = splitter->walk->notice;
  const char *type = entity->type;

  if (depth == 0)
    snprintf(notice->content_type, sizeof notice->content_type, "%s", type);
  if (strncmp(type, "multipart/", 10) == 0) {
    if (strcmp(type, "multipart/report") == 0) {
      struct notice_part *part = add_part(splitter->walk, PART_REPORT, depth, type);
      if (part)
        snprintf(part->report_type, sizeof part->report_type, "%s",
                 entity->report_type);
    }
    if (depth + 1 >= CAP_MIME_DEPTH || splitter->boundary_count >= CAP_MIME_DEPTH) {
      notice->caps_hit |= CAP_HIT_MIME_DEPTH;
      return skip_body(splitter);
    }
    if (!entity->boundary)
      return skip_body(splitter);   /* no boundary: no parts */
    return walk_multipart(splitter, entity->boundary, depth);
  }

  int known;
  enum part_role role = role_of(type, &known);
  if (!known)
    return skip_body(splitter);     /* images, applications: nothing to read */
  if (role == PART_ORIGINAL_MESSAGE)
    return is_identity_encoding(entity->encoding)
           ? walk_original_in_place(splitter, type, depth)
           : walk_original_encoded(splitter, entity, depth);
  size_t cap = role == PART_ORIGINAL_HEADERS ? CAP_HEADER_BLOCK_BYTES : CAP_TEXT_BYTES;
  char *content;
  size_t length;
  int truncated;
  struct stop stop = collect_decoded(splitter, entity->encoding, cap, &content,
                                     &length, &truncated);
  if (!content)
    return stop;
  if (truncated)
    notice->caps_hit |= role == PART_ORIGINAL_HEADERS ? CAP_HIT_HEADER_BLOCK
                      : CAP_HIT_TEXT_BYTES;
  struct notice_part *part = add_part(splitter->walk, role, depth, type);
  if (!part) {
    free(content);
    return stop;
  }
  part->content = mime_keep_only(content, length);
  part->length = length;
  return stop;
}

/* A reader over the spool (through `source`) placed after the top
 * header block (and the mbox "From " line). 0 or -1. */
static int
reader_open_body(struct line_reader *reader, struct byte_source *source,
                 struct input *input, struct walk *walk, struct failure *failure)
{
  byte_source_spool(source, &input->spool, 0);
  if (reader_open(reader, source) < 0)
    return failure_set(failure, FAILURE_MEMORY, "out of memory");
  if (input->has_from_line)
    reader_skip_line(reader);
  struct splitter top = { .walk = walk, .reader = reader, .limit = ULLONG_MAX };
  struct bounded_buffer skip = { .cap = 0 };
  struct stop stop;
  read_header_block(&top, &skip, &stop);    /* notice->header already has it */
  return 0;
}

static int
reader_finish(struct line_reader *reader, struct failure *failure)
{
  int rc = reader->read_error;
  reader_close(reader);
  if (rc)
    return failure_set(failure, FAILURE_INPUT, "cannot read the body: %s",
                       strerror(rc));
  return 0;
}

int
notice_parse_text(struct input *input, struct notice *notice,
                  struct failure *failure)
{
  char type[80], encoding[40];
  struct walk walk = { .notice = notice };
  struct byte_source source;
  struct line_reader reader;
  char *content = NULL;
  size_t length = 0;
  int truncated = 0;

  if (header_field(notice->header, notice->header_length, "Content-Type", type,
                   sizeof type) < 0 || !type[0])
    snprintf(type, sizeof type, "text/plain");
  type[strcspn(type, "; \t")] = '\0';
  lowercase(type);
  snprintf(notice->content_type, sizeof notice->content_type, "%s", type);
  if (strncmp(type, "text/", 5) != 0)
    return 0;
  if (input->size > CAP_MESSAGE_BYTES) {
    notice->caps_hit |= CAP_HIT_MESSAGE_BYTES;
    return 0;
  }
  header_field(notice->header, notice->header_length, "Content-Transfer-Encoding",
               encoding, sizeof encoding);
  if (strcasecmp(encoding, "base64") != 0
      && strcasecmp(encoding, "quoted-printable") != 0)
    encoding[0] = '\0';             /* anything else is read as it is */
  if (reader_open_body(&reader, &source, input, &walk, failure) < 0)
    return -1;
  struct splitter body = { .walk = &walk, .reader = &reader, .limit = ULLONG_MAX };
  collect_decoded(&body, encoding, CAP_TEXT_BYTES, &content, &length, &truncated);
  if (reader_finish(&reader, failure) < 0 || !content) {
    free(content);
    if (content)
      return -1;
    if (walk.plugin.class != FAILURE_NONE) {
      *failure = walk.plugin;     /* judged without the text */
      return -1;
    }
    return failure_set(failure, FAILURE_MEMORY, "out of memory");
  }
  if (truncated || input->partial)  /* partial: more text came than was kept */
    notice->caps_hit |= CAP_HIT_TEXT_BYTES;
  struct notice_part *part = add_part(&walk, PART_TEXT, 0, type);
  if (!part) {
    free(content);
    return failure_set(failure, FAILURE_MEMORY, "out of memory");
  }
  part->content = mime_keep_only(content, length);
  part->length = length;
  return 0;
}

int
notice_parse_mime(struct input *input, struct notice *notice, struct failure *failure)
{
  struct walk walk = { .notice = notice, .parts_visited = 1 };   /* the top */
  struct byte_source source;
  struct line_reader reader;
  struct entity entity;

  if (input->size > CAP_MESSAGE_BYTES || input->partial) {
    notice->caps_hit |= CAP_HIT_MESSAGE_BYTES;
    return 0;                    /* judged on its header alone */
  }
  if (!header_is_wellformed_or_unfolded_boundary(notice->header, notice->header_length)) {
    /* Mailutils rejects such a message whole; other readers guess. */
    notice->body_unparsed = 1;
    return 0;
  }
  if (reader_open_body(&reader, &source, input, &walk, failure) < 0)
    return -1;
  struct splitter top = { .walk = &walk, .reader = &reader, .limit = ULLONG_MAX };
  entity_from_header(notice->header, notice->header_length, &entity);
  walk_entity(&top, &entity, 0);
  free(entity.boundary);
  if (reader_finish(&reader, failure) < 0)
    return -1;
  if (walk.plugin.class != FAILURE_NONE) {
    *failure = walk.plugin;       /* the parts that could be read are kept */
    return -1;
  }
  return 0;
}

