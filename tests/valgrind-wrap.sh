#!/bin/sh
# valgrind-wrap.sh: stands in for the program (BSF_BIN) and runs it under
# valgrind memcheck. The program's own exit status and output are kept (the
# tests assert them); valgrind reports to one file per process in
# $BSF_VALGRIND_LOGS, which tests/valgrind.sh reads afterwards. The real
# program is $BSF_VALGRIND_BIN.
: "${BSF_VALGRIND_BIN:?BSF_VALGRIND_BIN must name the real program}"
: "${BSF_VALGRIND_LOGS:?BSF_VALGRIND_LOGS must name a directory}"
here=$(dirname "$0")
exec valgrind --tool=memcheck --quiet --leak-check=full \
  --show-leak-kinds=definite,indirect,possible \
  --errors-for-leak-kinds=definite,indirect,possible \
  --suppressions="$here/valgrind.supp" --num-callers=30 \
  --log-file="$BSF_VALGRIND_LOGS/vg.%p.log" "$BSF_VALGRIND_BIN" "$@"
