/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mailid.h: Message-ID and address tokens, normalised the one way the store,
 * `record` and `check` all agree on.
 *
 * A Message-ID is kept as "left@right" without angle brackets, with white
 * space and comments removed and the right-hand side lower-cased (domains
 * are case-insensitive; local parts are compared exactly, RFC 5322 3.6.4).
 * An address is "local@domain" lower-cased whole (every real mail system
 * treats local parts case-insensitively; a store miss is the worse error).
 */
#ifndef BSF_MAILID_H
#define BSF_MAILID_H

#include <stddef.h>

/* Normalise one Message-ID token (with or without <>). Writes a NUL
 * terminated result into out (size at least CAP_ID_BYTES + 1) and returns
 * its length, or 0 when the token is not a plausible ID (no '@', empty,
 * longer than CAP_ID_BYTES, control characters). */
size_t msgid_normalise(const char *token, size_t length, char *out, size_t size);

/* Call `found` for each <...> token of a field value (Message-ID,
 * In-Reply-To, References, Original-Envelope-Id, ...), in order, at most
 * `max` times. A value with no <> but one bare "x@y" word counts as one
 * token (some servers write IDs that way). Returns the number of tokens
 * seen; *capped is set to 1 when more than `max` were present. */
typedef void (*msgid_found_fn)(void *cookie, const char *token, size_t length);
size_t msgid_scan(const char *value, size_t length, size_t max,
                  msgid_found_fn found, void *cookie, int *capped);

/* A message's own Message-ID field (a sent message's, an original's):
 * as msgid_normalise, and a bare token without '@' counts too (some
 * servers write "Message-ID: 20140913142357"): 8 to CAP_ID_BYTES
 * printable bytes with a digit, no blank, quote, '(' or ')', kept as
 * written. */
size_t msgid_normalise_own(const char *token, size_t length, char *out, size_t size);

/* msgid_scan for a Message-ID field: a value with no <> that is one bare
 * word counts as one token even without '@' (normalise it with
 * msgid_normalise_own). */
size_t msgid_scan_own(const char *value, size_t length, size_t max,
                      msgid_found_fn found, void *cookie, int *capped);

/* Does a normalised ID lack its '@' (msgid_normalise_own's bare form)? */
int msgid_is_bare(const char *msgid);

/* Normalise one address ("Name <a@b>", "<a@b>", "rfc822; a@b", "a@b").
 * Writes lower-case "local@domain" into out (size at least
 * CAP_ADDRESS_BYTES + 1) and returns its length, or 0 if none. */
size_t address_normalise(const char *text, size_t length, char *out, size_t size);

/* The domain part of a normalised address, or NULL. */
const char *address_domain(const char *address);

#endif
