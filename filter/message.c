/* message.c: reading one message and walking it into a bounded notice.
 *
 * The caller's bytes are kept exactly (struct input) for --tag output; a
 * normalised copy (LF line ends, no mbox "From " line) is parsed with
 * libmailutils, because mu_stream_to_message rejects CRLF input and needs a
 * seekable stream of known size (see ../shared/notes/libraries.md). Only what
 * the decision needs is kept, every size bounded by caps.h. Transfer
 * encodings are undone with Mailutils filters, never by hand.
 */
#include <config.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <mailutils/mailutils.h>
#include "caps.h"
#include "message.h"

enum { READ_CHUNK = 65536 };

/* ---------------------------------------------------------------- input */

static int
write_all(int fd, const char *data, size_t length)
{
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    data += n;
    length -= (size_t) n;
  }
  return 0;
}

static int
input_create(struct input *input, struct failure *failure)
{
  memset(input, 0, sizeof *input);
  int rc = mu_temp_stream_create(&input->raw, CAP_MEMORY_BYTES);
  if (rc)
    return failure_set(failure, FAILURE_IO, "cannot create temporary stream: %s",
                       mu_strerror(rc));
  return 0;
}

/* Note the line-end style and an mbox "From " line from the first bytes. */
static void
input_sniff(struct input *input, const char *data, size_t length)
{
  const char *newline = memchr(data, '\n', length);
  input->crlf = newline && newline > data && newline[-1] == '\r';
  input->has_from_line = length >= 5 && memcmp(data, "From ", 5) == 0;
}

static int
input_finish(struct input *input, struct failure *failure)
{
  int rc = mu_stream_seek(input->raw, 0, MU_SEEK_SET, NULL);
  if (rc)
    return failure_set(failure, FAILURE_IO, "cannot rewind input: %s",
                       mu_strerror(rc));
  return 0;
}

int
input_read(int fd, int echo_fd, struct input *input, int *echo_failed,
           struct failure *failure)
{
  char *buffer = malloc(READ_CHUNK);
  char head[1024];
  size_t head_length = 0;

  if (echo_failed)
    *echo_failed = 0;
  if (!buffer)
    return failure_set(failure, FAILURE_MEMORY, "out of memory reading input");
  if (input_create(input, failure) < 0) {
    free(buffer);
    return -1;
  }
  for (;;) {
    ssize_t n = read(fd, buffer, READ_CHUNK);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      failure_set(failure, FAILURE_INPUT, "cannot read the message: %s",
                  strerror(errno));
      goto fail;
    }
    if (n == 0)
      break;
    if (echo_fd >= 0 && !(echo_failed && *echo_failed)
        && write_all(echo_fd, buffer, (size_t) n) < 0 && echo_failed)
      *echo_failed = errno ? errno : EIO;
    if (head_length < sizeof head) {
      size_t take = sizeof head - head_length < (size_t) n
                    ? sizeof head - head_length : (size_t) n;
      memcpy(head + head_length, buffer, take);
      head_length += take;
    }
    int rc = mu_stream_write(input->raw, buffer, (size_t) n, NULL);
    if (rc) {
      failure_set(failure, FAILURE_IO, "cannot store the message: %s",
                  mu_strerror(rc));
      goto fail;
    }
    input->size += (unsigned long long) n;
  }
  free(buffer);
  input_sniff(input, head, head_length);
  return input_finish(input, failure);
fail:
  free(buffer);
  input_free(input);
  return -1;
}

int
input_from_buffer(const char *data, size_t length, struct input *input,
                  struct failure *failure)
{
  if (input_create(input, failure) < 0)
    return -1;
  int rc = mu_stream_write(input->raw, data, length, NULL);
  if (rc) {
    input_free(input);
    return failure_set(failure, FAILURE_IO, "cannot store the message: %s",
                       mu_strerror(rc));
  }
  input->size = length;
  input_sniff(input, data, length < 1024 ? length : 1024);
  return input_finish(input, failure);
}

void
input_free(struct input *input)
{
  if (input->raw)
    mu_stream_destroy(&input->raw);
  memset(input, 0, sizeof *input);
}

/* ------------------------------------------------------- header blocks */

static int
is_blank(char c)
{
  return c == ' ' || c == '\t';
}

/* Length of the header block at the start of data: up to and including
 * the empty line, or all of it when there is none. */
static size_t
header_block_length(const char *data, size_t length)
{
  if (length > 0 && data[0] == '\n')
    return 1;
  for (size_t i = 0; i + 1 < length; i++) {
    if (data[i] == '\n' && data[i + 1] == '\n')
      return i + 2;
    if (data[i] == '\n' && data[i + 1] == '\r' && i + 2 < length
        && data[i + 2] == '\n')
      return i + 3;
  }
  return length;
}

long
header_each(const char *block, size_t length, header_visit_fn visit, void *cookie)
{
  size_t i = 0;
  long fields = 0;

  while (i < length) {
    size_t line_end = i;
    while (line_end < length && block[line_end] != '\n')
      line_end++;
    if (line_end == i || (line_end == i + 1 && block[i] == '\r'))
      break;                               /* the empty line ends the block */
    const char *colon = memchr(block + i, ':', line_end - i);
    if (!colon || is_blank(block[i])) {
      i = line_end + 1;                    /* not a field: skip the line */
      continue;
    }
    size_t name_end = (size_t) (colon - block);
    while (name_end > i && is_blank(block[name_end - 1]))
      name_end--;
    /* The value runs over continuation lines. */
    size_t value_start = (size_t) (colon - block) + 1, value_end = line_end;
    while (value_end + 1 < length && is_blank(block[value_end + 1])) {
      value_end++;
      while (value_end < length && block[value_end] != '\n')
        value_end++;
    }
    if (fields == CAP_HEADER_FIELDS)
      return -fields;
    fields++;
    if (name_end > i && visit)
      visit(cookie, block + i, name_end - i, block + value_start,
            value_end - value_start);
    i = value_end + 1;
  }
  return fields;
}

/* Does every line start a field ("name:") or continue one? */
static int
header_is_wellformed(const char *block, size_t length)
{
  size_t i = 0;
  while (i < length) {
    const char *newline = memchr(block + i, '\n', length - i);
    size_t end = newline ? (size_t) (newline - block) : length;
    if (end == i)
      break;
    if (!is_blank(block[i]) && !memchr(block + i, ':', end - i))
      return 0;
    i = end + 1;
  }
  return 1;
}

struct field_search {
  const char *name;
  size_t name_length;
  char *out;
  size_t size;
  long found_length;
};

/* Copy value unfolded: runs of CR, LF and blanks become one space; trim. */
static size_t
unfold_copy(const char *value, size_t length, char *out, size_t size)
{
  size_t used = 0, total = 0;
  int pending_space = 0;

  for (size_t i = 0; i < length; i++) {
    char c = value[i];
    if (c == '\r' || c == '\n' || is_blank(c)) {
      pending_space = total > 0;
      continue;
    }
    if (pending_space) {
      if (used + 1 < size)
        out[used++] = ' ';
      total++;
      pending_space = 0;
    }
    if (used + 1 < size)
      out[used++] = c;
    total++;
  }
  if (size > 0)
    out[used] = '\0';
  return total;
}

static void
field_search_visit(void *cookie, const char *name, size_t name_length,
                   const char *value, size_t value_length)
{
  struct field_search *search = cookie;
  if (search->found_length >= 0 || name_length != search->name_length
      || strncasecmp(name, search->name, name_length) != 0)
    return;
  search->found_length = (long) unfold_copy(value, value_length, search->out,
                                            search->size);
}

long
header_field(const char *block, size_t length, const char *name,
             char *out, size_t size)
{
  struct field_search search = { name, strlen(name), out, size, -1 };
  if (size > 0)
    out[0] = '\0';
  if (block)
    header_each(block, length, field_search_visit, &search);
  return search.found_length;
}

/* ------------------------------------------------------------ the walk */

struct walk {
  struct notice *notice;
  size_t parts_allocated;
  size_t parts_visited;
};

/* Replace CRLF by LF and NUL by space in place; returns the new length. */
static size_t
normalise_text(char *data, size_t length)
{
  size_t out = 0;
  for (size_t i = 0; i < length; i++) {
    if (data[i] == '\r' && i + 1 < length && data[i + 1] == '\n')
      continue;
    data[out++] = data[i] == '\0' ? ' ' : data[i];
  }
  data[out] = '\0';
  return out;
}

/* Read at most `cap` bytes of stream into a new NUL-terminated buffer.
 * *truncated is set when more was there. */
static int
read_bounded(mu_stream_t stream, size_t cap, char **out, size_t *length,
             int *truncated)
{
  size_t allocated = cap < 8192 ? cap + 1 : 8192, used = 0;
  char *buffer = malloc(allocated);

  *truncated = 0;
  if (!buffer)
    return ENOMEM;
  for (;;) {
    if (used + 1 == allocated) {
      if (used >= cap) {
        char probe;
        size_t n = 0;
        if (mu_stream_read(stream, &probe, 1, &n) == 0 && n > 0)
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
    int rc = mu_stream_read(stream, buffer + used, allocated - 1 - used, &n);
    if (rc || n == 0)
      break;                      /* a decoding error ends what we can use */
    used += n;
  }
  buffer[used] = '\0';
  *out = buffer;
  *length = used;
  return 0;
}

/* The decoded body of an entity, at most `cap` bytes, LF line ends. */
static int
entity_body(mu_message_t entity, const char *encoding, size_t cap,
            char **out, size_t *length, int *truncated)
{
  mu_body_t body;
  mu_stream_t stream, decoded = NULL;
  int rc = mu_message_get_body(entity, &body);
  if (rc == 0)
    rc = mu_body_get_streamref(body, &stream);
  if (rc)
    return rc;
  if (encoding && *encoding && strcasecmp(encoding, "7bit") != 0
      && strcasecmp(encoding, "8bit") != 0 && strcasecmp(encoding, "binary") != 0
      && mu_filter_create(&decoded, stream, encoding, MU_FILTER_DECODE,
                          MU_STREAM_READ) == 0) {
    mu_stream_unref(stream);
    stream = decoded;
  }
  rc = read_bounded(stream, cap, out, length, truncated);
  mu_stream_destroy(&stream);
  if (rc == 0)
    *length = normalise_text(*out, *length);
  return rc;
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

static void
lowercase(char *text)
{
  for (; *text; text++)
    if (*text >= 'A' && *text <= 'Z')
      *text = (char) (*text - 'A' + 'a');
}

/* "type/subtype" (lower case) and the report-type parameter of an entity.
 * A missing or unparsable Content-Type is text/plain (RFC 2045 5.2). */
static void
entity_content_type(mu_header_t header, char *type, size_t type_size,
                    char *report_type, size_t report_size)
{
  const char *value = NULL;
  mu_content_type_t parsed = NULL;

  snprintf(type, type_size, "text/plain");
  report_type[0] = '\0';
  if (mu_header_sget_value(header, MU_HEADER_CONTENT_TYPE, &value) != 0 || !value)
    return;
  if (mu_content_type_parse_ext(value, NULL,
                                MU_CONTENT_TYPE_RELAXED | MU_CONTENT_TYPE_PARAM,
                                &parsed) != 0 || !parsed) {
    return;
  }
  if (parsed->type && parsed->subtype)
    snprintf(type, type_size, "%s/%s", parsed->type, parsed->subtype);
  if (parsed->param) {
    struct mu_mime_param *param = mu_assoc_get(parsed->param, "report-type");
    if (param && param->value)
      snprintf(report_type, report_size, "%s", param->value);
  }
  mu_content_type_destroy(&parsed);
  lowercase(type);
  lowercase(report_type);
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

static void walk_entity(struct walk *walk, mu_message_t entity, unsigned depth);


/* An attached original: keep its header block; if it is itself a
 * multipart or a message (a forwarded bounce), walk it too. The part is
 * named by index because the walk may move the parts array. */
static void
walk_original(struct walk *walk, size_t index, char *content, size_t length,
              unsigned depth)
{
  size_t header_length = header_block_length(content, length);
  char inner_type[80];

  if (header_length > CAP_HEADER_BLOCK_BYTES) {
    header_length = CAP_HEADER_BLOCK_BYTES;
    walk->notice->caps_hit |= CAP_HIT_HEADER_BLOCK;
  }
  walk->notice->parts[index].content = content;
  walk->notice->parts[index].length = header_length;
  header_field(content, header_length, "Content-Type", inner_type,
               sizeof inner_type);
  lowercase(inner_type);
  if (strncmp(inner_type, "multipart/", 10) == 0
      || strncmp(inner_type, "message/", 8) == 0) {
    mu_stream_t stream;
    mu_message_t inner;
    if (depth + 1 >= CAP_MIME_DEPTH)
      walk->notice->caps_hit |= CAP_HIT_MIME_DEPTH;
    else if (mu_static_memory_stream_create(&stream, content, length) == 0) {
      if (mu_stream_to_message(stream, &inner) == 0) {
        walk_entity(walk, inner, depth + 1);
        mu_message_unref(inner);
      }
      mu_stream_unref(stream);
    }
  }
  content[header_length] = '\0';     /* only the header block is kept */
}

static void
walk_entity(struct walk *walk, mu_message_t entity, unsigned depth)
{
  struct notice *notice = walk->notice;
  mu_header_t header;
  char type[80], report_type[40];
  const char *encoding = NULL;

  if (walk->parts_visited++ >= CAP_MIME_PARTS) {
    notice->caps_hit |= CAP_HIT_MIME_PARTS;
    return;
  }
  if (mu_message_get_header(entity, &header) != 0)
    return;
  entity_content_type(header, type, sizeof type, report_type, sizeof report_type);
  if (depth == 0)
    snprintf(notice->content_type, sizeof notice->content_type, "%s", type);
  mu_header_sget_value(header, MU_HEADER_CONTENT_TRANSFER_ENCODING, &encoding);

  if (strncmp(type, "multipart/", 10) == 0) {
    size_t count = 0;
    if (strcmp(type, "multipart/report") == 0) {
      struct notice_part *part = add_part(walk, PART_REPORT, depth, type);
      if (part)
        snprintf(part->report_type, sizeof part->report_type, "%s", report_type);
    }
    if (depth + 1 >= CAP_MIME_DEPTH) {
      notice->caps_hit |= CAP_HIT_MIME_DEPTH;
      return;
    }
    if (mu_message_get_num_parts(entity, &count) != 0)
      return;
    for (size_t i = 1; i <= count; i++) {
      mu_message_t part;
      if (walk->parts_visited >= CAP_MIME_PARTS) {
        notice->caps_hit |= CAP_HIT_MIME_PARTS;
        return;
      }
      if (mu_message_get_part(entity, i, &part) == 0)
        walk_entity(walk, part, depth + 1);
    }
    return;
  }

  int known;
  enum part_role role = role_of(type, &known);
  if (!known)
    return;                      /* images, applications: nothing to read */
  size_t cap = role == PART_ORIGINAL_MESSAGE ? CAP_ORIGINAL_BYTES
             : role == PART_ORIGINAL_HEADERS ? CAP_HEADER_BLOCK_BYTES
             : CAP_TEXT_BYTES;
  char *content = NULL;
  size_t length = 0;
  int truncated = 0;
  if (entity_body(entity, encoding, cap, &content, &length, &truncated) != 0)
    return;
  if (truncated)
    notice->caps_hit |= role == PART_ORIGINAL_MESSAGE ? CAP_HIT_ORIGINAL_BYTES
                      : role == PART_ORIGINAL_HEADERS ? CAP_HIT_HEADER_BLOCK
                      : CAP_HIT_TEXT_BYTES;
  struct notice_part *part = add_part(walk, role, depth, type);
  if (!part) {
    free(content);
    return;
  }
  if (role == PART_ORIGINAL_MESSAGE) {
    walk_original(walk, (size_t) (part - notice->parts), content, length, depth);
    return;
  }
  part->content = content;
  part->length = length;
}

/* ------------------------------------------------------------- parsing */

/* The normalised stream to parse: the raw copy itself when it is already
 * LF-only without a "From " line, else a copy through the CRLF decoder. */
int
input_normalised_stream(struct input *input, mu_stream_t *out,
                        struct failure *failure)
{
  int rc;
  mu_stream_t source = input->raw, copy;

  if (!input->crlf && !input->has_from_line) {
    mu_stream_ref(input->raw);
    *out = input->raw;
    return 0;
  }
  if ((rc = mu_stream_seek(input->raw, 0, MU_SEEK_SET, NULL)) != 0)
    return failure_set(failure, FAILURE_IO, "cannot rewind input: %s",
                       mu_strerror(rc));
  if (input->has_from_line) {
    char skip[CAP_LINE_BYTES];
    size_t n = 0;
    /* The "From " line is bounded like any line; a longer one is junk. */
    rc = mu_stream_readline(input->raw, skip, sizeof skip, &n);
    if (rc)
      return failure_set(failure, FAILURE_INPUT, "cannot read the first line");
  }
  if (input->crlf) {
    rc = mu_filter_create(&source, input->raw, "CRLF", MU_FILTER_DECODE,
                          MU_STREAM_READ);
    if (rc)
      return failure_set(failure, FAILURE_IO, "cannot create CRLF filter: %s",
                         mu_strerror(rc));
  } else {
    mu_stream_ref(source);
  }
  rc = mu_temp_stream_create(&copy, CAP_MEMORY_BYTES);
  if (rc == 0)
    rc = mu_stream_copy(copy, source, 0, NULL);
  mu_stream_unref(source);
  if (rc == 0)
    rc = mu_stream_seek(copy, 0, MU_SEEK_SET, NULL);
  if (rc) {
    if (copy)
      mu_stream_destroy(&copy);
    return failure_set(failure, FAILURE_IO, "cannot normalise the message: %s",
                       mu_strerror(rc));
  }
  *out = copy;
  return 0;
}

int
notice_parse_header(struct input *input, struct notice *notice,
                    struct failure *failure)
{
  int truncated = 0, rc;

  memset(notice, 0, sizeof *notice);
  snprintf(notice->content_type, sizeof notice->content_type, "text/plain");
  rc = mu_stream_seek(input->raw, 0, MU_SEEK_SET, NULL);
  if (rc == 0 && input->has_from_line) {
    char skip[CAP_LINE_BYTES];
    size_t n = 0;
    rc = mu_stream_readline(input->raw, skip, sizeof skip, &n);
  }
  if (rc == 0)
    rc = read_bounded(input->raw, CAP_HEADER_BLOCK_BYTES, &notice->header,
                      &notice->header_length, &truncated);
  if (rc)
    return failure_set(failure, FAILURE_INPUT, "cannot read the header: %s",
                       mu_strerror(rc));
  notice->header_length = normalise_text(notice->header, notice->header_length);
  size_t header_length = header_block_length(notice->header, notice->header_length);
  if (truncated && header_length == notice->header_length)
    notice->caps_hit |= CAP_HIT_HEADER_BLOCK;
  notice->header_length = header_length;
  notice->header[header_length] = '\0';
  if (header_each(notice->header, notice->header_length, NULL, NULL) < 0)
    notice->caps_hit |= CAP_HIT_HEADER_FIELDS;
  return 0;
}

int
notice_parse(struct input *input, struct notice *notice, struct failure *failure)
{
  if (notice_parse_header(input, notice, failure) < 0)
    return -1;
  return notice_parse_mime(input, notice, failure);
}

int
notice_parse_text(struct input *input, struct notice *notice,
                  struct failure *failure)
{
  char type[80], encoding[40];
  mu_stream_t stream = NULL, decoded = NULL;
  struct walk walk = { notice, 0, 0 };
  char *content = NULL;
  size_t length = 0;
  int truncated = 0, rc;

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
  if (input_normalised_stream(input, &stream, failure) < 0)
    return -1;
  rc = mu_stream_seek(stream, (mu_off_t) notice->header_length, MU_SEEK_SET, NULL);
  if (rc == 0
      && header_field(notice->header, notice->header_length,
                      "Content-Transfer-Encoding", encoding, sizeof encoding) >= 0
      && (strcasecmp(encoding, "base64") == 0
          || strcasecmp(encoding, "quoted-printable") == 0)
      && mu_filter_create(&decoded, stream, encoding, MU_FILTER_DECODE,
                          MU_STREAM_READ) == 0) {
    mu_stream_unref(stream);
    stream = decoded;
  }
  if (rc == 0)
    rc = read_bounded(stream, CAP_TEXT_BYTES, &content, &length, &truncated);
  mu_stream_unref(stream);
  if (rc)
    return failure_set(failure, FAILURE_INPUT, "cannot read the body: %s",
                       mu_strerror(rc));
  if (truncated)
    notice->caps_hit |= CAP_HIT_TEXT_BYTES;
  struct notice_part *part = add_part(&walk, PART_TEXT, 0, type);
  if (!part) {
    free(content);
    return failure_set(failure, FAILURE_MEMORY, "out of memory");
  }
  part->content = content;
  part->length = normalise_text(content, length);
  return 0;
}

int
notice_parse_mime(struct input *input, struct notice *notice, struct failure *failure)
{
  mu_stream_t stream = NULL;
  mu_message_t message = NULL;
  struct walk walk = { notice, 0, 0 };
  int rc;

  if (input->size > CAP_MESSAGE_BYTES) {
    notice->caps_hit |= CAP_HIT_MESSAGE_BYTES;
    return 0;                    /* judged on its header alone */
  }
  if (!header_is_wellformed(notice->header, notice->header_length)) {
    /* Mailutils rejects such a message whole (and leaks on the way). */
    notice->body_unparsed = 1;
    return 0;
  }
  if (input_normalised_stream(input, &stream, failure) < 0)
    return -1;
  rc = mu_stream_seek(stream, 0, MU_SEEK_SET, NULL);
  if (rc == 0)
    rc = mu_stream_to_message(stream, &message);
  mu_stream_unref(stream);
  if (rc) {
    notice->body_unparsed = 1;   /* e.g. a header line without a colon */
    return 0;
  }
  walk_entity(&walk, message, 0);
  mu_message_unref(message);
  return 0;
}

int
notice_load_raw_body(struct input *input, struct notice *notice,
                     struct failure *failure)
{
  char *text = NULL;
  size_t length = 0;
  int truncated = 0, rc;

  if (notice->raw_body)
    return 0;
  rc = mu_stream_seek(input->raw, 0, MU_SEEK_SET, NULL);
  if (rc == 0)
    rc = read_bounded(input->raw, CAP_ORIGINAL_BYTES, &text, &length, &truncated);
  if (rc)
    return failure_set(failure, FAILURE_INPUT, "cannot read the body: %s",
                       mu_strerror(rc));
  length = normalise_text(text, length);
  size_t start = 0;
  if (input->has_from_line) {
    const char *newline = memchr(text, '\n', length);
    start = newline ? (size_t) (newline - text) + 1 : length;
  }
  start += header_block_length(text + start, length - start);
  memmove(text, text + start, length - start);
  text[length - start] = '\0';
  notice->raw_body = text;
  notice->raw_body_length = length - start;
  return 0;
}

void
notice_free(struct notice *notice)
{
  free(notice->raw_body);
  free(notice->header);
  for (size_t i = 0; i < notice->part_count; i++)
    free(notice->parts[i].content);
  free(notice->parts);
  memset(notice, 0, sizeof *notice);
}
