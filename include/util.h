/* SPDX-License-Identifier: GPL-3.0-or-later */
/* util.h: small helpers every module may use: writing a whole buffer to a
 * descriptor, copying one descriptor to another, the one time format we
 * print (ISO 8601, UTC), and creating files only where we may.
 *
 * Limits: write_all() retries on EINTR and on short writes, and on a
 * descriptor the caller left in O_NONBLOCK mode waits (poll, no timeout:
 * the MTA has its own) instead of failing with EAGAIN; so does copy_all().
 */
#ifndef BSF_UTIL_H
#define BSF_UTIL_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* Write all `length` bytes of `data` to `fd`. 0, or -1 with errno set
 * (a write() that returns 0 counts as EIO, so this never spins). */
int write_all(int fd, const void *data, size_t length);

/* Wait until `fd` is ready for `events` (POLLIN, POLLOUT; POLLHUP and
 * POLLERR count as ready: the next read or write tells). 0, or -1 with
 * errno set. */
int wait_for_fd(int fd, short events);

/* Copy everything `in` holds to `out` until end of file, waiting (poll)
 * when either is a non-blocking descriptor that is not ready. 0, or -1
 * with errno set. */
int copy_all(int in, int out);

/* May we create something in `directory`: is it owned by us (the
 * effective uid) or by root? 1 yes, 0 no (*owner says whose it is), -1
 * with errno set when it cannot be looked at. Never create a file or a
 * directory inside another user's directory: as root with a user's HOME,
 * it would leave root-owned entries there that break the user's own
 * programs. */
int may_create_in(const char *directory, uid_t *owner);

/* Open `path` for appending, close-on-exec. A missing file is created mode
 * 0600 whatever the umask (it holds correspondents' addresses), and only
 * when may_create_in() its directory (else EPERM). The descriptor, or -1
 * with errno set. */
int open_private_append(const char *path);

/* Close every descriptor from `lowest` up, as a child does before exec
 * (close_range(), or one by one where the kernel lacks it). */
void close_descriptors_from(int lowest);

/* "2026-11-23T11:27:09Z" and its NUL fit; so does the decimal fallback. */
#define ISO_TIME_BYTES 32

/* Format `when` as ISO 8601 UTC into `buffer` (ISO_TIME_BYTES long) and
 * return it; a time gmtime() cannot represent is written as decimal
 * seconds, so the result is always a printable string. */
const char *iso_time(time_t when, char buffer[ISO_TIME_BYTES]);

#endif
