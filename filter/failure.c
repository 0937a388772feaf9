/* SPDX-License-Identifier: GPL-3.0-or-later */
/* failure.c: filling a struct failure; formatting only, no logging. */
#include <stdarg.h>
#include <stdio.h>
#include "failure.h"

int
failure_set(struct failure *failure, enum failure_class class,
            const char *format, ...)
{
  if (failure) {
    va_list args;
    failure->class = class;
    va_start(args, format);
    vsnprintf(failure->message, sizeof failure->message, format, args);
    va_end(args);
  }
  return -1;
}

const char *
failure_class_name(enum failure_class class)
{
  switch (class) {
  case FAILURE_NONE: return "none";
  case FAILURE_INPUT: return "input";
  case FAILURE_STORE: return "store";
  case FAILURE_MISSING: return "missing";
  case FAILURE_LOCKED: return "locked";
  case FAILURE_CONFIG: return "config";
  case FAILURE_MEMORY: return "memory";
  case FAILURE_LIMIT: return "limit";
  case FAILURE_IO: return "io";
  case FAILURE_PLUGIN: return "plugin";
  }
  return "unknown";
}
