#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# seeds.sh: build the seed corpora for the fuzz targets.
#   sh tests/fuzz/seeds.sh SRCDIR OUTDIR [MORE_MESSAGE_DIRS...]
# check: every message of tests/fixtures, examples/messages and any further
# directory named (e.g. a corpus of your own) up to 256 KB each (larger ones only slow the fuzzer;
# the hostile e2e suite covers size), plus tests/fuzz/regressions/check-*.
# rules: the shipped rule file, every rule-file regression, and one seed
# per section so the mutator starts from valid keys.
# datetime: the Date fields of tests/fixtures and examples/messages, a few
# obsolete and deviant forms, and tests/fuzz/regressions/datetime-*.
set -eu
srcdir=${1:?SRCDIR}; out=${2:?OUTDIR}; shift 2
mkdir -p "$out/check" "$out/rules" "$out/datetime"
n=0
for dir in "$srcdir/tests/fixtures" "$srcdir/examples/messages" "$@"; do
  [ -d "$dir" ] || continue
  n=$((n + 1))
  # Flatten the paths into names: corpus/bounces/x.eml -> 1-bounces-x.eml
  find "$dir" -type f ! -name '*.md' ! -name SOURCES -size -257k | while read -r file; do
    name=$(printf '%s' "${file#"$dir"/}" | tr '/' '-')
    cp "$file" "$out/check/$n-$name"
  done
done
for file in "$srcdir"/tests/fuzz/regressions/check-*; do
  [ -f "$file" ] && cp "$file" "$out/check/"
done
cp "$srcdir/rules/backscatter-filter.ini" "$out/rules/shipped.ini"
for file in "$srcdir"/tests/fuzz/regressions/rules-*; do
  [ -f "$file" ] && cp "$file" "$out/rules/"
done
printf '[store]\npath = ~/x/sent.db\nttl = 30d\nlock_wait = 500ms\n' > "$out/rules/store"
printf '[identity]\naddresses = a@x.example b@y.example\ndomains = x.example\nrelays = smtp.x.example [192.0.2.1]\n' > "$out/rules/identity"
printf '[actions]\nclean = deliver\nbackscatter = drop\ndsn = file\n[exit]\ndeliver = 0\nfile = 5\non_error = tempfail\n' > "$out/rules/actions"
printf '[log]\nsyslog = no\nfacility = local3\nident = "bsf"\nfile = ~/log\n' > "$out/rules/log"
printf '[rule lists]\nheader = List-Id\nglob = *lists.example*\nverdict = clean\n[rule re]\nheader = From\nregex = "^.*@(a|b)\\\\.example$"\naction = file\n' > "$out/rules/site"
# Repeats, groups and brackets near the regex caps (rules(5) Limits of a regex).
printf '[rule shapes]\nheader = From\nregex = "^(([a-z0-9-]{1,63}\\\\.){1,4}|x{25}|(a+)*[]b])*@(a|b){2,}$"\naction = file\n' > "$out/rules/regex-shapes"
d=0
for dir in "$srcdir/tests/fixtures" "$srcdir/examples/messages"; do
  [ -d "$dir" ] || continue
  d=$((d + 1))
  find "$dir" -type f ! -name '*.md' ! -name SOURCES -size -257k -exec grep -a -h -i '^Date:' {} + \
    | sed 's/^[Dd][Aa][Tt][Ee]: *//' | tr -d '\r' | sort -u | {
    n=0
    while IFS= read -r value; do
      n=$((n + 1))
      printf '%s' "$value" > "$out/datetime/field-$d-$n"
    done
  }
done
printf 'Mon,  2 Apr 101 04:20:10 CST' > "$out/datetime/obsolete-year"
printf '(a) Fri (b) , 20 Nov 26 9 : 30 : 60 z (c (d \\) e))' > "$out/datetime/obsolete-cfws"
printf 'Tue 01 Dec 2020 19:25:26 +0800 (CST)' > "$out/datetime/deviant"
for file in "$srcdir"/tests/fuzz/regressions/datetime-*; do
  if [ -f "$file" ]; then cp "$file" "$out/datetime/"; fi
done
