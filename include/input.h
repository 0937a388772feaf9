/* SPDX-License-Identifier: GPL-3.0-or-later */
/* input.h: the caller's bytes, spooled exactly as received (for --tag,
 * --passthrough, --deliver and --sendmail) into a Mailutils temp stream
 * that holds CAP_MEMORY_BYTES in memory and spills the rest to an
 * unlinked temp file. Other modules get the bytes back with
 * input_copy_out(); only the parsers (notice.c, mime.c) and import read
 * the stream itself.
 */
#ifndef BSF_INPUT_H
#define BSF_INPUT_H

#include <stddef.h>
#include <mailutils/types.h>
#include "caps.h"
#include "failure.h"

/* The caller's bytes, exactly as received. */
struct input {
  mu_stream_t raw;        /* seekable copy of stdin */
  unsigned long long size;
  int crlf;               /* first line ended in CRLF: answer in kind */
  int cr_only;            /* classic-Mac line ends (CRs, no LF in the first
                           * KB): answer in kind */
  int has_from_line;      /* starts with an mbox "From " line */
  int partial;            /* input_read_kept dropped bytes: raw holds the start */
};

/* input_read_kept's question, asked once, as soon as the whole top header
 * block has been read and stored (never if the input ends first): how many
 * bytes of body past it are worth keeping? input->raw then holds exactly
 * the bytes so far, rewound (notice_parse_header may read it); return
 * SIZE_MAX for all of them. */
typedef size_t (*input_keep_fn)(void *cookie, struct input *input);

/* Read fd to EOF into *input. If `echo_fd` >= 0, every byte read is also
 * written there as it arrives (record --passthrough); an echo failure is
 * reported in *echo_failed, reading goes on. Either descriptor may be in
 * O_NONBLOCK mode: EAGAIN waits (poll) for it. Returns 0, or -1 when a
 * read fails (FAILURE_INPUT): what was read, and echoed, is then not the
 * whole message.
 *
 * Only what `keep_body` asks for of the body is kept: the rest is still
 * read to EOF (counted in size, echoed) and dropped, and input->partial is
 * set. Reading the header costs a byte scan of it; the
 * body past the kept part costs no memory (a 1 MB attachment no one reads
 * is not stored: each page of memory touched costs a fault). A NULL
 * keep_body keeps everything. Returns 0 or -1. */
int input_read_kept(int fd, int echo_fd, struct input *input, int *echo_failed,
                    input_keep_fn keep_body, void *cookie, struct failure *failure);

/* Make an input from a buffer (the unit tests). Returns 0 or -1. */
int input_from_buffer(const char *data, size_t length, struct input *input,
                      struct failure *failure);

void input_free(struct input *input);

/* A seekable stream of the message with LF line ends and no mbox "From "
 * line (the raw stream itself, referenced, when it already is). The
 * caller unrefs it. 0 or -1. */
int input_normalised_stream(struct input *input, mu_stream_t *out,
                            struct failure *failure);

/* Receives the spooled message in order, a piece at a time: 0 to go on,
 * -1 to stop (the receiver records why). */
typedef int (*input_chunk_fn)(void *cookie, const char *data, size_t length);

/* Hand the whole spooled message, from its first byte, to `chunk` (pieces
 * of at most 64 KB). 0; -1 when `chunk` stopped (failure untouched) or the
 * spool could not be read back (failure set, FAILURE_IO). */
int input_copy_out(struct input *input, input_chunk_fn chunk, void *cookie,
                   struct failure *failure);

#endif
