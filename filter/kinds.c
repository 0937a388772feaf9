/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kinds.c: names of verdicts, actions and kinds, both ways. */
#include <strings.h>
#include "kinds.h"

static const char *const verdict_names[VERDICT_COUNT] = {
  "clean", "genuine", "backscatter", "unknown"
};
static const char *const action_names[ACTION_COUNT] = {
  "deliver", "file", "drop"
};
static const char *const kind_names[KIND_COUNT] = {
  "none", "dsn", "ndr", "autoreply", "challenge", "virus", "mdn", "arf"
};

const char *
verdict_name(enum verdict verdict)
{
  return (unsigned) verdict < VERDICT_COUNT ? verdict_names[verdict] : "?";
}

const char *
action_name(enum action action)
{
  return (unsigned) action < ACTION_COUNT ? action_names[action] : "?";
}

const char *
kind_name(enum notice_kind kind)
{
  return (unsigned) kind < KIND_COUNT ? kind_names[kind] : "?";
}

static int
find_name(const char *const *names, int count, const char *name)
{
  for (int i = 0; name && i < count; i++)
    if (strcasecmp(names[i], name) == 0)
      return i;
  return -1;
}

int
verdict_parse(const char *name, enum verdict *out)
{
  int index = find_name(verdict_names, VERDICT_COUNT, name);
  if (index < 0)
    return -1;
  *out = (enum verdict) index;
  return 0;
}

int
action_parse(const char *name, enum action *out)
{
  int index = find_name(action_names, ACTION_COUNT, name);
  if (index < 0)
    return -1;
  *out = (enum action) index;
  return 0;
}

int
kind_parse(const char *name, enum notice_kind *out)
{
  int index = find_name(kind_names, KIND_COUNT, name);
  if (index < 0)
    return -1;
  *out = (enum notice_kind) index;
  return 0;
}
