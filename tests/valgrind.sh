#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# valgrind.sh: the end-to-end suites once with the program under valgrind
# memcheck; TAP on stdout, one test per suite plus one for the valgrind
# verdict: zero errors and no leak (definite, indirect or possible) in any
# process, after tests/valgrind.supp (library-internal leaks only).
#   sh tests/valgrind.sh PROGRAM SRCDIR [SUITE...]   (default: check faults hostile redis)
# BSF_SANITIZED is set for the suites: the out-of-memory case is skipped
# (RLIMIT_AS and valgrind do not mix) and big hostile shapes are scaled
# down; BSF_VALGRIND makes hostile.sh skip its CPU-time ratios.
set -u
program=${1:?PROGRAM}; srcdir=${2:?SRCDIR}; shift 2
[ $# -eq 0 ] && set -- check faults hostile redis
n=0 failed=0
if ! command -v valgrind > /dev/null; then
  echo "ok 1 - valgrind memcheck # SKIP valgrind not installed"; echo "1..1"; exit 0
fi
logs=$(mktemp -d "${TMPDIR:-/tmp}/bsf-valgrind.XXXXXX") || exit 1
trap 'rm -rf "$logs"' EXIT
chmod 1777 "$logs"     # faults.sh runs some cases as nobody
export BSF_VALGRIND_BIN=$program BSF_VALGRIND_LOGS=$logs BSF_SANITIZED=1 BSF_VALGRIND=1
export BSF_BIN=$srcdir/tests/valgrind-wrap.sh BSF_SRCDIR=$srcdir
for suite in "$@"; do
  n=$((n + 1))
  if sh "$srcdir/tests/e2e/$suite.sh" > "$logs/suite-$suite.tap" 2>&1; then
    echo "ok $n - e2e/$suite under valgrind ($(grep -c '^ok' "$logs/suite-$suite.tap") tests)"
  else
    failed=$((failed + 1))
    echo "not ok $n - e2e/$suite under valgrind"
    grep -A3 '^not ok' "$logs/suite-$suite.tap" | sed 's/^/#   /' | head -40
  fi
done
runs=$(ls "$logs"/vg.*.log 2>/dev/null | wc -l)
# With --quiet a clean process writes nothing; anything else is a finding.
dirty=$(for f in "$logs"/vg.*.log; do [ -s "$f" ] && echo "$f"; done)
n=$((n + 1))
if [ "$runs" -eq 0 ]; then
  failed=$((failed + 1))
  echo "not ok $n - valgrind: no process ran under valgrind"
elif [ -z "$dirty" ]; then
  echo "ok $n - valgrind: $runs processes, zero errors, no leaks"
else
  failed=$((failed + 1))
  echo "not ok $n - valgrind: $(echo "$dirty" | wc -l) of $runs processes reported errors or leaks"
  for f in $(echo "$dirty" | head -5); do sed 's/^/#   /' "$f" | head -60; done
fi
echo "1..$n"
[ $failed -eq 0 ]
