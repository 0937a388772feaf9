/* SPDX-License-Identifier: GPL-3.0-or-later */
/* message.h: reading one message and turning it into a bounded "notice",
 * the flat view every later stage works on.
 *
 * input_read() copies the caller's bytes exactly (for --tag and
 * --passthrough) into a Mailutils temp stream that holds CAP_MEMORY_BYTES in
 * memory and spills the rest to an unlinked temp file. notice_parse_header()
 * reads only up to the end of the top header block; notice_parse_mime()
 * then walks the MIME tree with our own streaming splitter over that copy
 * (CRLF and a leading mbox "From " line handled as it reads, 64 KB reads,
 * never the whole message in memory), bounded by CAP_MIME_DEPTH and
 * CAP_MIME_PARTS, keeping only what the decision needs: the top header,
 * the decoded start of each text part (CAP_TEXT_BYTES), delivery-status and
 * similar report parts, and the header block of each attached original
 * (message/rfc822, message/global, text/rfc822-headers,
 * message/global-headers) whatever its transfer encoding. Content-Type
 * values are parsed here in one bounded pass (content_type_parse: Mailutils'
 * parser is quadratic in the number of parameters); transfer encodings are
 * undone with Mailutils' filters.
 */
#ifndef BSF_MESSAGE_H
#define BSF_MESSAGE_H

#include <stddef.h>
#include <mailutils/types.h>
#include "caps.h"
#include "failure.h"

/* The caller's bytes, exactly as received. */
struct input {
  mu_stream_t raw;        /* seekable copy of stdin */
  unsigned long long size;
  int crlf;               /* first line ended in CRLF: answer in kind */
  int has_from_line;      /* starts with an mbox "From " line */
  int partial;            /* input_read_kept dropped bytes: raw holds the start */
};

/* Read fd to EOF into *input. If `echo_fd` >= 0, every byte read is also
 * written there as it arrives (record --passthrough); an echo failure is
 * reported in *echo_failed, reading goes on. Either descriptor may be in
 * O_NONBLOCK mode: EAGAIN waits (poll) for it. Returns 0, or -1 when a
 * read fails (FAILURE_INPUT): what was read, and echoed, is then not the
 * whole message. */
int input_read(int fd, int echo_fd, struct input *input, int *echo_failed,
               struct failure *failure);

/* input_read_kept's question, asked once, as soon as the whole top header
 * block has been read and stored (never if the input ends first): how many
 * bytes of body past it are worth keeping? input->raw then holds exactly
 * the bytes so far, rewound (notice_parse_header may read it); return
 * SIZE_MAX for all of them. */
typedef size_t (*input_keep_fn)(void *cookie, struct input *input);

/* input_read, but keeping only what `keep_body` asks for of the body: the
 * rest is still read to EOF (counted in size, echoed) and dropped, and
 * input->partial is set. Reading the header costs a byte scan of it; the
 * body past the kept part costs no memory (a 1 MB attachment no one reads
 * is not stored: each page of memory touched costs a fault). A NULL
 * keep_body keeps everything. Returns 0 or -1. */
int input_read_kept(int fd, int echo_fd, struct input *input, int *echo_failed,
                    input_keep_fn keep_body, void *cookie, struct failure *failure);

/* Where a raw header block ends, found as its bytes arrive in pieces of
 * any size (LF or CRLF line ends, nothing copied): input_read_kept, the
 * top header read and import's message files use it. The fields are the
 * scanner's own. */
struct header_scan {
  enum { HEADER_SCAN_LINE_START, HEADER_SCAN_CR_AT_LINE_START,
         HEADER_SCAN_IN_LINE } state;
  unsigned long long scanned, limit;
};

/* Begin a scan that takes the block as ended after `limit` bytes. */
void header_scan_start(struct header_scan *scan, unsigned long long limit);

/* The next `length` bytes: how many of them still belong to the header
 * block (its empty line included) once it has ended in them, or -1 when
 * all of them do and it goes on. Not to be fed after it has ended. */
long header_scan_feed(struct header_scan *scan, const char *data, size_t length);

/* Make an input from a buffer (tests, fuzzing). Returns 0 or -1. */
int input_from_buffer(const char *data, size_t length, struct input *input,
                      struct failure *failure);

void input_free(struct input *input);

/* A seekable stream of the message with LF line ends and no mbox "From "
 * line (the raw stream itself, referenced, when it already is). The
 * caller unrefs it. 0 or -1. */
int input_normalised_stream(struct input *input, mu_stream_t *out,
                            struct failure *failure);

/* What is read of a Content-Type value (content_type_parse). */
struct content_type {
  char type[80];            /* "type/subtype", lower case; "" when malformed */
  /* "" when absent, or too long to match a delimiter line (CAP_LINE_BYTES) */
  char boundary[CAP_LINE_BYTES + 1];
  char report_type[40];     /* lower case; "" when absent or longer */
};

/* Parse a Content-Type value of `length` bytes (folded or not: a line
 * break is removed from a quoted string, the blank after it kept) in one pass
 * over it, whatever its number of parameters: the type and subtype, and of
 * the parameters only boundary and report-type. RFC 2045 syntax with
 * comments and quoted strings, leniently (junk is skipped to the next
 * ';'); a parameter given twice keeps its first value; RFC 2231 sections
 * (name*0, name*1*, ...: at most CAP_PARAMETER_SECTIONS) and extended
 * values (name*=charset'lang'%XX) are joined and decoded when no plain
 * value is given. No allocation. */
void content_type_parse(const char *value, size_t length, struct content_type *parsed);

enum part_role {
  PART_TEXT,              /* text/plain, text/html: decoded start kept */
  PART_DELIVERY_STATUS,   /* message/delivery-status, message/global-delivery-status */
  PART_DISPOSITION,       /* message/disposition-notification (MDN) */
  PART_FEEDBACK,          /* message/feedback-report (ARF) */
  PART_ORIGINAL_MESSAGE,  /* message/rfc822, message/global: its header block */
  PART_ORIGINAL_HEADERS,  /* text/rfc822-headers, message/global-headers */
  PART_REPORT,            /* a multipart/report container; report_type set */
};

struct notice_part {
  enum part_role role;
  unsigned depth;           /* 0: the top-level body */
  char content_type[80];    /* "type/subtype", lower case */
  char report_type[40];     /* for PART_REPORT, lower case */
  char *content;            /* decoded bytes, LF line ends, NUL terminated */
  size_t length;
};

struct notice {
  char *header;             /* top-level header block, LF, NUL terminated */
  size_t header_length;
  char content_type[80];    /* top-level "type/subtype", lower case */
  struct notice_part *parts;
  size_t part_count;
  unsigned caps_hit;        /* CAP_HIT_* bits */
  int body_unparsed;        /* Mailutils rejected the message: header only */
  char *raw_body;           /* notice_load_raw_body: the body as text, or NULL */
  size_t raw_body_length;
};

/* Parse input into *notice. Returns 0 (body_unparsed set when only the
 * header could be read), or -1 when not even the header could be read
 * (*notice is then empty but valid for notice_free). */
int notice_parse(struct input *input, struct notice *notice,
                 struct failure *failure);

/* Read only the top header block into *notice (no MIME walk): what
 * `record` needs, and the first step of notice_parse. Same contract. */
int notice_parse_header(struct input *input, struct notice *notice,
                        struct failure *failure);

/* After notice_parse_header: the MIME walk (notice_parse is both). */
int notice_parse_mime(struct input *input, struct notice *notice,
                      struct failure *failure);

/* After notice_parse_header, instead of the MIME walk, for mail whose header
 * shows nothing automatic: a single text body (text/ any subtype)'s start
 * (CAP_TEXT_BYTES, decoded) becomes the one text part; other types keep no
 * part, and nothing past CAP_TEXT_BYTES of the body is read. */
int notice_parse_text(struct input *input, struct notice *notice,
                      struct failure *failure);

/* Body bytes notice_parse_text can use for this header: CAP_TEXT_RAW_BYTES
 * for a text/ body (or no Content-Type), 0 for anything else. */
size_t notice_text_body_bytes(const struct notice *notice);

/* Load the start of the body (CAP_ORIGINAL_BYTES, LF line ends) as plain
 * text into notice->raw_body, for the last-resort search for quoted
 * headers when the MIME walk found no original: some servers write broken
 * MIME headers, or quote the original in a part of an unexpected type.
 * 0 or -1. */
int notice_load_raw_body(struct input *input, struct notice *notice,
                         struct failure *failure);

void notice_free(struct notice *notice);

/* Value of the first header field `name` (case-insensitive) in a header
 * block, unfolded (CRLF/LF + WSP -> one space) and trimmed, copied into
 * out (truncated to size - 1). Returns the full unfolded length, or -1
 * when absent. No allocation; bounded by the block's length. */
long header_field(const char *block, size_t length, const char *name,
                  char *out, size_t size);

/* Iterate over every field of a header block: calls `visit` with the name
 * and the raw (still folded) value. At most CAP_HEADER_FIELDS fields;
 * returns the number visited, or -(number) when the cap was hit.
 * `visit` may be NULL to count only. */
typedef void (*header_visit_fn)(void *cookie, const char *name, size_t name_length,
                                const char *value, size_t value_length);
long header_each(const char *block, size_t length, header_visit_fn visit,
                 void *cookie);

#endif
