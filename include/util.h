/* SPDX-License-Identifier: GPL-3.0-or-later */
/* util.h: small helpers every module may use: writing a whole buffer to a
 * descriptor, and the one time format we print (ISO 8601, UTC).
 *
 * Limits: write_all() retries on EINTR and on short writes, and on a
 * descriptor the caller left in O_NONBLOCK mode waits (poll, no timeout:
 * the MTA has its own) instead of failing with EAGAIN.
 */
#ifndef BSF_UTIL_H
#define BSF_UTIL_H

#include <stddef.h>
#include <time.h>

/* Write all `length` bytes of `data` to `fd`. 0, or -1 with errno set
 * (a write() that returns 0 counts as EIO, so this never spins). */
int write_all(int fd, const void *data, size_t length);

/* Wait until `fd` is ready for `events` (POLLIN, POLLOUT; POLLHUP and
 * POLLERR count as ready: the next read or write tells). 0, or -1 with
 * errno set. */
int wait_for_fd(int fd, short events);

/* "2026-11-23T11:27:09Z" and its NUL fit; so does the decimal fallback. */
#define ISO_TIME_BYTES 32

/* Format `when` as ISO 8601 UTC into `buffer` (ISO_TIME_BYTES long) and
 * return it; a time gmtime() cannot represent is written as decimal
 * seconds, so the result is always a printable string. */
const char *iso_time(time_t when, char buffer[ISO_TIME_BYTES]);

#endif
