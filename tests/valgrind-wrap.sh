#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# valgrind-wrap.sh: stands in for the program (BSF_BIN) and runs it under
# valgrind memcheck. The program's own exit status and output are kept (the
# tests assert them); valgrind reports to one file per process in
# $BSF_VALGRIND_LOGS, which tests/valgrind.sh reads afterwards. The real
# program is $BSF_VALGRIND_BIN.
: "${BSF_VALGRIND_BIN:?BSF_VALGRIND_BIN must name the real program}"
: "${BSF_VALGRIND_LOGS:?BSF_VALGRIND_LOGS must name a directory}"
here=$(dirname "$0")
# The report goes to a descriptor opened here (9), not --log-file: with
# stdout closed (a test case) valgrind's log file would take descriptor 1
# and catch the program's output.
exec 9> "$BSF_VALGRIND_LOGS/vg.$$.log"
exec valgrind --tool=memcheck --quiet --leak-check=full --log-fd=9 \
  --show-leak-kinds=definite,indirect,possible \
  --errors-for-leak-kinds=definite,indirect,possible \
  --suppressions="$here/valgrind.supp" --num-callers=30 \
  "$BSF_VALGRIND_BIN" "$@"
