/* SPDX-License-Identifier: GPL-3.0-or-later */
/* input.h: the caller's bytes, spooled exactly as received (for --tag,
 * --passthrough, --deliver and --sendmail) into our own spool: the first
 * CAP_MEMORY_BYTES in a heap buffer grown as the message needs it, the
 * rest in an unlinked temporary file. Other modules get the bytes back
 * with input_copy_out(); only the parsers (notice.c, mime.c) read the
 * spool itself, through a byte source (struct byte_source), which also
 * reads a buffer in memory (a decoded original).
 */
#ifndef BSF_INPUT_H
#define BSF_INPUT_H

#include <stddef.h>
#include "caps.h"
#include "failure.h"

/* ------------------------------------------------------------ the spool */

/* Bytes appended in order and read back at any offset. The first
 * `memory_cap` of them are in `memory`, which starts small and doubles as
 * bytes arrive (a 5 KB message touches a few pages, not 1 MB); the rest
 * go to an unlinked temporary file (mode 0600, close-on-exec) in `tmpdir`,
 * created when the first byte past the cap comes. When that file cannot
 * be created the spool stays in memory, growing as needed (what
 * Mailutils' temp stream did before it). */
struct spool {
  char *memory;                     /* bytes [0, memory_length) */
  size_t memory_length, memory_allocated, memory_cap;
  int fd;                           /* bytes [memory_cap, length): -1 until spilled */
  int spill_failed;                 /* no file could be made: memory only */
  unsigned long long length;        /* bytes stored in all */
  unsigned long long furthest_read; /* how far any reader has read (the
                                     * tests check that readers stop early) */
  const char *tmpdir;               /* NULL: /tmp */
};

/* An empty spool holding `memory_cap` bytes in memory before it spills
 * to a file in `tmpdir` (NULL or "": /tmp). Allocates nothing. */
void spool_init(struct spool *spool, size_t memory_cap, const char *tmpdir);

/* Append `length` bytes. 0, or -1 (FAILURE_MEMORY, or FAILURE_IO when the
 * temporary file cannot be written: the spool then holds a start of the
 * bytes, and is still readable and freeable). */
int spool_write(struct spool *spool, const char *data, size_t length,
                struct failure *failure);

/* Free room at the spool's end in memory, for a read() to fill without a
 * copy: a pointer and *room (> 0), or NULL when the spool has reached
 * its memory cap or cannot grow (spool_write then says why). Bytes put
 * there count only once spool_commit()ed. */
char *spool_tail(struct spool *spool, size_t *room);
void spool_commit(struct spool *spool, size_t length);

/* Copy up to `size` bytes from `offset` into `buffer`: *got is
 * min(size, what is stored past offset), fewer only on an error. 0 or an
 * errno. */
int spool_read_at(struct spool *spool, unsigned long long offset, char *buffer,
                  size_t size, size_t *got);

/* The bytes held in memory (the spool's start): a pointer and *length. */
const char *spool_memory(const struct spool *spool, size_t *length);

void spool_free(struct spool *spool);

/* ---------------------------------------------------------- a byte source */

/* A cursor over a spool or over a buffer in memory, for the readers that
 * parse either (mime.c's line reader, the bounded reads). */
struct byte_source {
  struct spool *spool;              /* NULL: `data` */
  const char *data;
  unsigned long long length;        /* bytes in all */
  unsigned long long offset;        /* the next byte read */
};

void byte_source_spool(struct byte_source *source, struct spool *spool,
                       unsigned long long offset);
void byte_source_memory(struct byte_source *source, const char *data, size_t length);

/* Copy the next bytes into buffer: *got is min(size, what is left), fewer
 * only on an error; 0 at the end. 0 or an errno. */
int byte_source_read(struct byte_source *source, char *buffer, size_t size,
                     size_t *got);

/* All the bytes left, when they lie in memory in one piece (a buffer, or
 * a spool that never spilled), for reading in place: a pointer and
 * *length; NULL otherwise. Does not move the cursor. */
const char *byte_source_contiguous(const struct byte_source *source, size_t *length);

/* ------------------------------------------------------------ the input */

/* The caller's bytes, exactly as received. */
struct input {
  struct spool spool;     /* the kept bytes: the whole message unless partial */
  unsigned long long size;
  /* The line-end style, from the first LF in the top header block (at
   * most CAP_HEADER_BLOCK_BYTES + CAP_LINE_BYTES): */
  int crlf;               /* it ends in CRLF: answer in kind */
  int cr_only;            /* there is none, and a CR (classic-Mac line
                           * ends): answer in kind */
  int has_from_line;      /* starts with an mbox "From " line */
  int partial;            /* input_read_kept dropped bytes: the spool holds the start */
};

/* input_read_kept's question, asked once, as soon as the whole top header
 * block has been read and stored (never if the input ends first): how many
 * bytes of body past it are worth keeping? The spool then holds exactly
 * the bytes so far (notice_parse_header may read it); return SIZE_MAX for
 * all of them. */
typedef size_t (*input_keep_fn)(void *cookie, struct input *input);

/* Read fd to EOF into *input, spilling past CAP_MEMORY_BYTES to a
 * temporary file in `tmpdir` (NULL: /tmp). If `echo_fd` >= 0, every byte
 * read is also written there as it arrives (record --passthrough); an
 * echo failure is reported in *echo_failed, reading goes on. Either
 * descriptor may be in O_NONBLOCK mode: EAGAIN waits (poll) for it.
 * Returns 0, or -1 when a read fails (FAILURE_INPUT) or the spool cannot
 * store (FAILURE_IO, FAILURE_MEMORY): what was read, and echoed, is then
 * not the whole message.
 *
 * Only what `keep_body` asks for of the body is kept: the rest is still
 * read to EOF (counted in size, echoed) and dropped, and input->partial is
 * set. Reading the header costs a byte scan of it; the
 * body past the kept part costs no memory (a 1 MB attachment no one reads
 * is not stored: each page of memory touched costs a fault). A NULL
 * keep_body keeps everything. Returns 0 or -1. */
int input_read_kept(int fd, int echo_fd, struct input *input, const char *tmpdir,
                    int *echo_failed, input_keep_fn keep_body, void *cookie,
                    struct failure *failure);

/* Make an input from a buffer: check's judged copy of a message that came
 * with blank lines before its header (check.c), and the unit tests.
 * Returns 0 or -1. */
int input_from_buffer(const char *data, size_t length, struct input *input,
                      struct failure *failure);

void input_free(struct input *input);

/* Receives the spooled message in order, a piece at a time: 0 to go on,
 * -1 to stop (the receiver records why). */
typedef int (*input_chunk_fn)(void *cookie, const char *data, size_t length);

/* Hand the whole spooled message, from its first byte, to `chunk` (pieces
 * of at most 64 KB). 0; -1 when `chunk` stopped (failure untouched) or the
 * spool could not be read back (failure set, FAILURE_IO). */
int input_copy_out(struct input *input, input_chunk_fn chunk, void *cookie,
                   struct failure *failure);

#endif
