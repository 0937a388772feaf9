/* SPDX-License-Identifier: GPL-3.0-or-later */
/* caps.c: naming the caps that were hit, for log lines and --explain. */
#include <stdio.h>
#include <string.h>
#include "caps.h"

static const char *const cap_names[] = {
  "message-bytes", "header-block", "header-fields", "mime-depth",
  "mime-parts", "original-bytes", "text-bytes", "ids", "id-bytes",
  "recipients", "received", "line-bytes",
};

const char *
cap_hit_names(unsigned hits, char *buffer, unsigned size)
{
  size_t used = 0;
  if (size == 0)
    return buffer;
  buffer[0] = '\0';
  for (unsigned bit = 0; bit < sizeof cap_names / sizeof cap_names[0]; bit++) {
    if (!(hits & (1u << bit)))
      continue;
    int n = snprintf(buffer + used, size - used, "%s%s", used ? "," : "",
                     cap_names[bit]);
    if (n < 0 || (size_t) n >= size - used)
      break;
    used += (size_t) n;
  }
  return buffer;
}
