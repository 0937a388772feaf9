#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# smoke.sh: a short libFuzzer run of every target, for CI; TAP on stdout.
#   sh tests/fuzz/smoke.sh SRCDIR BUILDDIR [SECONDS_PER_TARGET]
# Builds the targets (build.sh) into BUILDDIR/fuzz, replays every saved
# regression input (tests/fuzz/regressions/), then fuzzes each target from
# the seed corpus (seeds.sh) for SECONDS_PER_TARGET (default 30; env
# BSF_FUZZ_SECONDS). A crash, leak or timeout fails the run and its input
# is kept in BUILDDIR/fuzz/artifacts/ (add it to regressions/ when fixed).
# Without clang every test is skipped, loudly.
set -u
srcdir=${1:?SRCDIR}; builddir=${2:?BUILDDIR}
seconds=${3:-${BSF_FUZZ_SECONDS:-30}}
out=$builddir/fuzz
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
export LSAN_OPTIONS="suppressions=$srcdir/tests/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

if ! command -v "${FUZZ_CC:-clang}" > /dev/null; then
  n=$((n + 1)); echo "ok $n - fuzz targets # SKIP clang not installed"
  echo "1..$n"; exit 0
fi
if sh "$srcdir/tests/fuzz/build.sh" "$srcdir" "$builddir" "$out" > "$out.build.log" 2>&1; then
  ok "fuzz targets build (clang -fsanitize=fuzzer,address,undefined)"
else
  not_ok "fuzz targets build"; sed 's/^/#   /' "$out.build.log" | tail -20
  echo "1..$n"; exit 1
fi
rm -rf "$out/seeds"
sh "$srcdir/tests/fuzz/seeds.sh" "$srcdir" "$out/seeds"
mkdir -p "$out/artifacts" "$out/corpus-check" "$out/corpus-rules" "$out/corpus-datetime"

for target in check rules datetime; do
  regressions=$(ls "$srcdir"/tests/fuzz/regressions/$target-* 2>/dev/null)
  if [ -n "$regressions" ]; then
    if "$out/fuzz-$target" $regressions > "$out/replay-$target.log" 2>&1; then
      ok "fuzz-$target: $(echo "$regressions" | wc -l) saved regression inputs replay clean"
    else
      not_ok "fuzz-$target: saved regression inputs"; grep -E 'ERROR|SUMMARY' "$out/replay-$target.log" | sed 's/^/#   /'
    fi
  fi
  max_len=65536; [ $target = rules ] && max_len=8192; [ $target = datetime ] && max_len=512
  "$out/fuzz-$target" -max_total_time="$seconds" -max_len=$max_len -timeout=20 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/artifacts/$target-" \
    "$out/corpus-$target" "$out/seeds/$target" > "$out/smoke-$target.log" 2>&1
  status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/smoke-$target.log")
  cov=$(grep -o 'cov: [0-9]*' "$out/smoke-$target.log" | tail -1)
  echo "# fuzz-$target: ${execs:-?} executions in ${seconds}s, $cov"
  if [ $status -eq 0 ]; then
    ok "fuzz-$target: ${seconds}s without a crash, leak or timeout"
  else
    not_ok "fuzz-$target: ${seconds}s without a crash, leak or timeout (exit $status)"
    grep -E 'ERROR|SUMMARY|Test unit written' "$out/smoke-$target.log" | sed 's/^/#   /'
  fi
done
echo "1..$n"
[ $failed -eq 0 ]
