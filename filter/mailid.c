/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mailid.c: Message-ID and address tokens (see mailid.h for the rules).
 * Pure string functions over bounded input: no allocation, no locale. */
#include <stddef.h>
#include <string.h>
#include "caps.h"
#include "mailid.h"

static int
is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char
lower(char c)
{
  return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

size_t
msgid_normalise(const char *token, size_t length, char *out, size_t size)
{
  size_t used = 0, at = (size_t) -1;
  int depth = 0;                      /* inside a (comment) */

  if (size == 0)
    return 0;
  for (size_t i = 0; i < length; i++) {
    unsigned char c = (unsigned char) token[i];
    if (depth > 0) {
      if (c == '(')
        depth++;
      else if (c == ')')
        depth--;
      continue;
    }
    if (c == '(') {
      depth = 1;
      continue;
    }
    if (c == '<' || c == '>' || is_space((char) c))
      continue;
    if (c < 0x20 || c == 0x7f)
      goto invalid;
    if (used + 1 >= size || used >= CAP_ID_BYTES)
      goto invalid;
    if (c == '@')
      at = used;
    out[used++] = (char) c;
  }
  if (at == (size_t) -1 || at == 0 || at + 1 >= used)
    goto invalid;
  for (size_t i = at + 1; i < used; i++)
    out[i] = lower(out[i]);
  out[used] = '\0';
  return used;
invalid:
  out[0] = '\0';
  return 0;
}

size_t
msgid_scan(const char *value, size_t length, size_t max,
           msgid_found_fn found, void *cookie, int *capped)
{
  size_t seen = 0, i = 0;
  int any_bracket = 0;

  if (capped)
    *capped = 0;
  while (i < length) {
    const char *open = memchr(value + i, '<', length - i);
    if (!open)
      break;
    any_bracket = 1;
    size_t start = (size_t) (open - value) + 1;
    const char *close = memchr(value + start, '>', length - start);
    if (!close)
      break;
    size_t end = (size_t) (close - value);
    if (seen == max) {
      if (capped)
        *capped = 1;
      return seen;
    }
    found(cookie, value + start, end - start);
    seen++;
    i = end + 1;
  }
  if (!any_bracket) {
    /* A bare "x@y" word: some servers (and Original-Envelope-Id) omit <>. */
    size_t start = 0;
    while (start < length && is_space(value[start]))
      start++;
    size_t end = start;
    while (end < length && !is_space(value[end]))
      end++;
    if (end > start && memchr(value + start, '@', end - start) && max > 0) {
      found(cookie, value + start, end - start);
      seen++;
    }
  }
  return seen;
}

size_t
msgid_normalise_own(const char *token, size_t length, char *out, size_t size)
{
  if (memchr(token, '@', length))
    return msgid_normalise(token, length, out, size);
  size_t used = 0;
  int digit = 0;
  if (size == 0)
    return 0;
  for (size_t i = 0; i < length; i++) {
    unsigned char c = (unsigned char) token[i];
    if (c == '<' || c == '>' || (is_space((char) c) && (used == 0 || i + 1 == length
                                                        || token[i + 1] == '>'
                                                        || is_space(token[i + 1]))))
      continue;                       /* brackets and the blanks around them */
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '(' || c == ')' || c == ','
        || c == ';' || used + 1 >= size || used >= CAP_ID_BYTES)
      goto invalid;
    digit |= c >= '0' && c <= '9';
    out[used++] = (char) c;
  }
  if (used < 8 || !digit)
    goto invalid;
  out[used] = '\0';
  return used;
invalid:
  out[0] = '\0';
  return 0;
}

size_t
msgid_scan_own(const char *value, size_t length, size_t max,
               msgid_found_fn found, void *cookie, int *capped)
{
  size_t seen = msgid_scan(value, length, max, found, cookie, capped);
  if (seen > 0 || memchr(value, '<', length) || max == 0)
    return seen;
  size_t start = 0, end = length;
  while (start < end && is_space(value[start]))
    start++;
  while (end > start && is_space(value[end - 1]))
    end--;
  for (size_t i = start; i < end; i++)
    if (is_space(value[i]))
      return 0;                       /* prose, not an ID */
  if (end > start) {
    found(cookie, value + start, end - start);
    seen++;
  }
  return seen;
}

int
msgid_is_bare(const char *msgid)
{
  return msgid && msgid[0] && !strchr(msgid, '@');
}

/* The token that looks like an address in free text: what is inside <>, or
 * after a "type;" prefix, or the whole word that contains '@'. */
size_t
address_normalise(const char *text, size_t length, char *out, size_t size)
{
  const char *start = text, *end = text + length;
  const char *open = memchr(text, '<', length);

  if (size == 0)
    return 0;
  out[0] = '\0';
  if (open) {
    const char *close = memchr(open, '>', (size_t) (end - open));
    if (close) {
      start = open + 1;
      end = close;
    }
  } else {
    const char *semi = memchr(text, ';', length);
    if (semi)
      start = semi + 1;               /* "rfc822; user@example.org" */
  }
  const char *at = memchr(start, '@', (size_t) (end - start));
  if (!at)
    return 0;
  /* Widen from the '@' to the word around it. */
  const char *word_start = at, *word_end = at;
  while (word_start > start && !is_space(word_start[-1]) && word_start[-1] != '"'
         && word_start[-1] != '(' && word_start[-1] != ':' && word_start[-1] != ',')
    word_start--;
  while (word_end < end && !is_space(*word_end) && *word_end != ')'
         && *word_end != ',' && *word_end != '"' && *word_end != '>')
    word_end++;
  while (word_end > at + 1 && (word_end[-1] == '.' || word_end[-1] == ';'))
    word_end--;
  if (word_start[0] == '\'' && word_end > word_start + 1 && word_end[-1] == '\'') {
    word_start++;
    word_end--;
  }
  size_t n = (size_t) (word_end - word_start);
  if (n < 3 || n > CAP_ADDRESS_BYTES || n + 1 > size || word_start == at
      || word_end == at + 1)
    return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char) word_start[i];
    if (c < 0x21 || c == 0x7f || c == '<')
      return out[0] = '\0', 0;
    out[i] = lower((char) c);
  }
  out[n] = '\0';
  return n;
}

const char *
address_domain(const char *address)
{
  const char *at = address ? strrchr(address, '@') : NULL;
  return at && at[1] ? at + 1 : NULL;
}
