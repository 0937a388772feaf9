#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# input.sh: reading the message from the caller. A descriptor left in
# O_NONBLOCK mode (stdin fed slowly, stdout drained slowly) is no error:
# the whole message is read, passed through and judged. A read that fails
# is a failed copy: where the message was to come out on stdout (record
# --passthrough, check --tag) or be delivered by us (--deliver), tempfail
# (75) so that the MTA defers; where the caller keeps the message (check's
# exit code), deliver (0) with one log line; plain record tempfails (75).
# The O_NONBLOCK pipes need tests/e2e/probe (BSF_PROBE, set by make check);
# without it those cases are skipped.
. "$BSF_SRCDIR/tests/e2e/lib.inc"

write_rules
PROBE=${BSF_PROBE:-}
mark_log() { : > "$LOG.mark"; [ -f "$LOG" ] && cp "$LOG" "$LOG.mark"; }
new_log() { [ -f "$LOG" ] && tail -n +$(( $(wc -l < "$LOG.mark") + 1 )) "$LOG"; }

# The user's sent message padded to 300 KB: more than a pipe holds.
big=$WORK/big-sent.eml
{ cat "$MESSAGES/sent.eml"
  awk 'BEGIN { for (i = 0; i < 4300; i++)
                 printf "line %d of a long letter, padded to seventy bytes or so ......\n", i }'
} > "$big"

if [ ! -x "$PROBE" ]; then
  for case in "O_NONBLOCK stdin: record --passthrough" "O_NONBLOCK stdin: check --tag" \
              "O_NONBLOCK stdin: check" "O_NONBLOCK stdout: record --passthrough" \
              "O_NONBLOCK stdout: check --tag"; do
    skip "$case" "BSF_PROBE (tests/e2e/probe) not built"
  done
else
  # --- stdin in O_NONBLOCK mode, fed half, then slowly (reads meet EAGAIN)
  mark_log
  "$PROBE" nonblocking "$big" "$BSF_BIN" record -c "$RULES" --passthrough \
    > "$WORK/nb1.out" 2> "$WORK/nb1.err"
  equal "O_NONBLOCK stdin: record --passthrough exits 0" "$?" 0
  check "O_NONBLOCK stdin: record --passthrough copies all of it" cmp -s "$WORK/nb1.out" "$big"
  equal "O_NONBLOCK stdin: record --passthrough stderr silent" "$(cat "$WORK/nb1.err")" ""
  contains "O_NONBLOCK stdin: record --passthrough records" "$(new_log)" \
    "recorded 1 Message-ID(s) and 2 recipient(s)"

  mark_log
  "$PROBE" nonblocking "$big" "$BSF_BIN" check -c "$RULES" --tag > "$WORK/nb2.out" 2> "$WORK/nb2.err"
  equal "O_NONBLOCK stdin: check --tag exits 0" "$?" 0
  tail -n +2 "$WORK/nb2.out" | cmp -s - "$big"
  equal "O_NONBLOCK stdin: check --tag gives all of it back" "$?" 0
  contains "O_NONBLOCK stdin: check --tag judged it" "$(new_log)" "verdict=clean"

  # A bounce about the recorded message: its original comes last, so only
  # a whole read finds it.
  fresh_bounce "20261120093000.sent-1@mail.example.org" "old.friend@example.net" \
    > "$WORK/bounce.eml"
  mark_log
  "$PROBE" nonblocking "$WORK/bounce.eml" "$BSF_BIN" check -c "$RULES" \
    > "$WORK/nb3.out" 2> "$WORK/nb3.err"
  equal "O_NONBLOCK stdin: check exits deliver (0)" "$?" 0
  contains "O_NONBLOCK stdin: check read the whole bounce" "$(new_log)" "verdict=genuine"

  # --- stdout in O_NONBLOCK mode, drained slowly (writes meet EAGAIN)
  "$PROBE" nonblocking-out "$big" "$BSF_BIN" record -c "$RULES" --passthrough \
    > "$WORK/nb4.out" 2> "$WORK/nb4.err"
  equal "O_NONBLOCK stdout: record --passthrough exits 0" "$?" 0
  check "O_NONBLOCK stdout: record --passthrough copies all of it" cmp -s "$WORK/nb4.out" "$big"
  "$PROBE" nonblocking-out "$big" "$BSF_BIN" check -c "$RULES" --tag \
    > "$WORK/nb5.out" 2> "$WORK/nb5.err"
  equal "O_NONBLOCK stdout: check --tag exits 0" "$?" 0
  tail -n +2 "$WORK/nb5.out" | cmp -s - "$big"
  equal "O_NONBLOCK stdout: check --tag gives all of it back" "$?" 0
fi

# --- a message past the spool's first megabyte goes to a file in $TMPDIR:
# with a TMPDIR where no file can be made it stays in memory (peak RSS
# grows by the message), and a file that cannot be written (RLIMIT_FSIZE,
# SIGXFSZ ignored: EFBIG) is a failed copy: --tag tempfails (75).
huge=$WORK/huge.eml
{ cat "$MESSAGES/ordinary.eml"
  awk 'BEGIN { for (i = 0; i < 180000; i++)
                 printf "line %d of a very long letter, padded to seventy bytes ...\n", i }'
} > "$huge"
mkdir "$WORK/spooltmp"
TMPDIR=$WORK/spooltmp run_check "$WORK/sp1" "$huge" --tag
equal "12 MB message, TMPDIR a directory: check --tag exits 0" "$status" 0
tail -n +2 "$WORK/sp1.out" | cmp -s - "$huge"
equal "12 MB message, TMPDIR a directory: given back byte for byte" "$?" 0
equal "12 MB message, TMPDIR a directory: nothing left in it" "$(ls -A "$WORK/spooltmp")" ""
TMPDIR=$WORK/no-such-dir run_check "$WORK/sp2" "$huge" --tag
equal "12 MB message, TMPDIR missing: check --tag exits 0 (kept in memory)" "$status" 0
tail -n +2 "$WORK/sp2.out" | cmp -s - "$huge"
equal "12 MB message, TMPDIR missing: given back byte for byte" "$?" 0
if [ -n "${BSF_SANITIZED:-}" ]; then
  skip "12 MB message: TMPDIR is where it is spooled (peak RSS)" "under sanitizers"
elif [ ! -x "$PROBE" ]; then
  skip "12 MB message: TMPDIR is where it is spooled (peak RSS)" "BSF_PROBE (tests/e2e/probe) not built"
else
  TMPDIR=$WORK/spooltmp "$PROBE" maxrss "$WORK/sp.rss" "$BSF_BIN" check -c "$RULES" --tag \
    < "$huge" > /dev/null 2>&1
  on_file=$(cat "$WORK/sp.rss")
  TMPDIR=$WORK/no-such-dir "$PROBE" maxrss "$WORK/sp.rss" "$BSF_BIN" check -c "$RULES" --tag \
    < "$huge" > /dev/null 2>&1
  in_memory=$(cat "$WORK/sp.rss")
  echo "# peak RSS: $on_file KB spooled to TMPDIR, $in_memory KB without a TMPDIR"
  if [ "$in_memory" -gt $((on_file + 8192)) ]; then
    ok "12 MB message: TMPDIR is where it is spooled (peak RSS $on_file KB, $in_memory KB in memory)"
  else
    not_ok "12 MB message: TMPDIR is where it is spooled" "$on_file KB vs $in_memory KB"
  fi
fi
mark_log
# (stdout a pipe, which the file size limit does not touch)
(trap '' XFSZ; ulimit -f 2048
 TMPDIR=$WORK/spooltmp "$BSF_BIN" check -c "$RULES" --tag; echo $? > "$WORK/sp3.status") \
  < "$huge" 2> "$WORK/sp3.err" | cat > "$WORK/sp3.out"
equal "spool file write fails: check --tag exits tempfail (75)" "$(cat "$WORK/sp3.status")" 75
contains "spool file write fails: check --tag logs it" "$(new_log)" "cannot store the message"
equal "spool file write fails: one log line" "$(new_log | grep -c .)" 1
equal "spool file write fails: nothing half given back" "$(wc -c < "$WORK/sp3.out" | tr -d ' ')" 0

# --- a read that fails (stdin a directory: EISDIR; closed: EBADF)
mark_log
"$BSF_BIN" record -c "$RULES" --passthrough < "$WORK" > "$WORK/re1.out" 2> "$WORK/re1.err"
equal "read error: record --passthrough exits tempfail (75)" "$?" 75
equal "read error: record --passthrough stderr silent" "$(cat "$WORK/re1.err")" ""
contains "read error: record --passthrough logs it" "$(new_log)" "cannot read the message"

"$BSF_BIN" record -c "$RULES" --passthrough <&- > "$WORK/re2.out" 2> "$WORK/re2.err"
equal "stdin closed: record --passthrough exits tempfail (75)" "$?" 75

"$BSF_BIN" record -c "$RULES" < "$WORK" > "$WORK/re3.out" 2> "$WORK/re3.err"
equal "read error: record exits tempfail (75): any failure to record is temporary (issue 12)" "$?" 75

run_check "$WORK/re4" "$WORK" --tag
equal "read error: check --tag exits tempfail (75)" "$status" 75
equal "read error: check --tag, one log line" "$log_lines" 1

run_check "$WORK/re5" "$WORK"
equal "read error: check exits deliver (0): the caller has the message" "$status" 0
contains "read error: check logs it" "$log_line" "cannot read the message"

run_check "$WORK/re6" "$WORK" --deliver "$WORK/inbox"
equal "read error: check --deliver exits tempfail (75)" "$status" 75

finish
