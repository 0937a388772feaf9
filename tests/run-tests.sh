#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# run-tests.sh: run every test suite and end with "N passed, N failed".
#
# Suites: each unit test program in $BSF_UNIT_DIR (TAP), then each
# tests/e2e/*.sh and tests/integration/*.sh (TAP). A suite that exits non-zero
# without reporting a failure counts as one failure; "ok ... # SKIP" lines
# count as skipped and are listed loudly. Set BSF_TESTS to a space-separated
# list of suite names to run a subset.
set -u
: "${BSF_BIN:?BSF_BIN must name the built program}"
: "${BSF_SRCDIR:?}"
: "${BSF_UNIT_DIR:?}"
export BSF_BIN BSF_SRCDIR
results=${BSF_RESULTS:-$(pwd)/tests/results}
mkdir -p "$results"
passed=0 failed=0 skipped=0

run_suite() {
  name=$1; shift
  if [ -n "${BSF_TESTS:-}" ]; then
    case " $BSF_TESTS " in *" $name "*) ;; *) return 0 ;; esac
  fi
  log="$results/$name.log"
  mkdir -p "$(dirname "$log")" || exit 1
  "$@" >"$log" 2>&1 </dev/null
  status=$?
  p=$(grep -c '^ok ' "$log")
  s=$(grep -c '^ok .*# *SKIP' "$log")
  f=$(grep -c '^not ok ' "$log")
  p=$((p - s))
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
    echo "not ok - suite $name exited with status $status" >>"$log"
  elif [ "$p" -eq 0 ] && [ "$s" -eq 0 ] && [ "$f" -eq 0 ]; then
    f=1
    echo "not ok - suite $name ran no test" >>"$log"
  fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  if [ "$f" -ne 0 ]; then
    echo "FAIL: $name ($p passed, $f failed, $s skipped)"
    grep -A3 '^not ok' "$log" | sed 's/^/    /'
  else
    echo "PASS: $name ($p passed, $s skipped)"
  fi
  if [ "$s" -ne 0 ]; then
    grep '^ok .*# *SKIP' "$log" | sed 's/^/    SKIPPED: /'
  fi
}

# --extra: the long checks CI runs once (valgrind memcheck, fuzz smoke).
if [ "${1:-}" = "--extra" ]; then
  run_suite valgrind sh "$BSF_SRCDIR/tests/valgrind.sh" "$BSF_BIN" "$BSF_SRCDIR"
  run_suite fuzz-smoke sh "$BSF_SRCDIR/tests/fuzz/smoke.sh" "$BSF_SRCDIR" "$(dirname "$BSF_BIN")" 20
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
  exit
fi

for t in "$BSF_UNIT_DIR"/test-*; do
  [ -x "$t" ] || continue
  case "$t" in *.c|*.o) continue ;; esac
  run_suite "$(basename "$t")" "$t"
done
for dir in e2e integration; do
  for t in "$BSF_SRCDIR"/tests/$dir/*.sh; do
    [ -f "$t" ] || continue
    run_suite "$dir/$(basename "$t" .sh)" sh "$t"
  done
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
