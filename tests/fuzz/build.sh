#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# build.sh: build the libFuzzer targets with clang.
#   sh tests/fuzz/build.sh SRCDIR BUILDDIR OUTDIR
# BUILDDIR is a configured build tree (for config.h). Every module but
# main.c is compiled again with -fsanitize=fuzzer-no-link,address,undefined
# (libbsf.a is built by gcc without coverage, useless to libFuzzer); each
# target links them with -fsanitize=fuzzer, and the plugin's sources
# (plugin/) with them. Libraries: $FUZZ_LIBS, else Mailutils' as configure
# found them, GDBM and iniparser. Prints nothing on success; exits non-zero on failure.
set -eu
srcdir=${1:?SRCDIR}; builddir=${2:?BUILDDIR}; outdir=${3:?OUTDIR}
cc=${FUZZ_CC:-clang}
# Mailutils' libraries as configure found them for the plugin mailboxes.so.
mulibs=$(sed -n 's/^MAILUTILS_MAILBOX_LIBS = //p' "$builddir/Makefile")
libs=${FUZZ_LIBS:-${mulibs:--lmu_mbox -lmu_maildir -lmu_mh -lmu_dotmail -lmu_imap -lmailutils} -lgdbm -liniparser}
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# The plugin's sources are linked in and its table used directly
# (muplugin_use): the loader's directories are never looked at.
flags="-g -O1 -std=gnu11 -DHAVE_CONFIG_H -I$builddir -I$srcdir/include $san"
flags="$flags -DBINDIR=\"/nonexistent\" -DPKGLIBDIR=\"/nonexistent\" -DMUPLUGIN_WITH_MAILBOXES"
# Optional backends configured into the build tree (Redis through hiredis):
# their flags and libraries as configure found them, their module only then.
have_redis=
if grep -q '^#define HAVE_REDIS 1' "$builddir/config.h" 2>/dev/null; then
  have_redis=1
  flags="$flags $(sed -n 's/^HIREDIS_CFLAGS = //p' "$builddir/Makefile")"
  libs="$libs $(sed -n 's/^HIREDIS_LIBS = //p' "$builddir/Makefile")"
fi
command -v "$cc" > /dev/null || { echo "fuzz: $cc not found" >&2; exit 77; }
mkdir -p "$outdir/obj"
objects=
# Every module but main.c, and the build tree's generated sources (such as
# a compiled-in table), so a new module needs no change here.
generated=
if [ -f "$srcdir/scripts/gen-signatures.awk" ] && [ -f "$srcdir/rules/signatures.txt" ]; then
  generated=$outdir/obj/signature-table.c
  if [ ! -f "$generated" ] || [ "$srcdir/rules/signatures.txt" -nt "$generated" ] \
     || [ "$srcdir/scripts/gen-signatures.awk" -nt "$generated" ]; then
    ${AWK:-awk} -f "$srcdir/scripts/gen-signatures.awk" "$srcdir/rules/signatures.txt" \
      > "$generated.tmp" && mv "$generated.tmp" "$generated"
  fi
fi
for source in "$srcdir"/filter/*.c "$srcdir"/plugin/*.c $generated; do
  module=$(basename "$source" .c)
  [ "$module" = main ] && continue
  [ "$module" = store-redis ] && [ -z "$have_redis" ] && continue
  # An in-tree build has the generated table in filter/ too: take it once.
  [ "$module" = signature-table ] && [ "$source" != "$generated" ] && continue
  object=$outdir/obj/$module.o
  stale=
  [ ! -f "$object" ] || [ "$source" -nt "$object" ] && stale=1
  for header in "$srcdir"/include/*.h "$srcdir"/plugin/*.h; do
    [ "$header" -nt "$object" ] && stale=1
  done
  if [ -n "$stale" ]; then
    $cc $flags -fsanitize=fuzzer-no-link -c "$source" -o "$object"
  fi
  objects="$objects $object"
done
for target in fuzz-check fuzz-rules fuzz-datetime; do
  $cc $flags -fsanitize=fuzzer "$srcdir/tests/fuzz/$target.c" $objects \
    -o "$outdir/$target" $libs
done
