#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# dates.sh: the original's Date is read by our own parser (datetime.h), so
# judging a bounce against a store that is recording does not load the
# Mailutils plugin (issue 11: it cost a million instructions a DSN). A copy
# of the program with no plugin beside it judges such a bounce as the
# program does (no plugin trouble); a Date only Mailutils reads (no zone)
# still takes the plugin: without it, one log line and delivered, with it
# (strace) mailutils.so opened and the verdict the date gives.
. "$BSF_SRCDIR/tests/e2e/lib.inc"

write_rules
case $BSF_BIN in
  *valgrind-wrap.sh) real=$BSF_VALGRIND_BIN ;;
  *) real=$BSF_BIN ;;
esac
build=$(dirname "$real")

"$BSF_BIN" record -c "$RULES" < "$MESSAGES/sent.eml" > /dev/null 2>&1
equal "record: exit 0" "$?" 0

# A bounce about an ID never sent, its original dated now: after recording
# began, so the missing ID counts.
fresh_bounce never.sent.1@example.org nobody@example.net > "$WORK/rfc.eml"
# The same with the original's Date in local time and no zone.
no_zone=$(date '+%a, %d %b %Y %H:%M:%S')
awk -v date="$no_zone" 'n == 0 && /^Date: / && seen { print "Date: " date; n = 1; next }
                        /^Date: / { seen = 1 } { print }' "$WORK/rfc.eml" > "$WORK/nozone.eml"
equal "the no-zone bounce differs only in its original's Date" \
  "$(diff "$WORK/rfc.eml" "$WORK/nozone.eml" | grep -c '^[<>]')" 2

run_check "$WORK/c1" "$WORK/rfc.eml" --verdict
equal "an RFC 5322 Date after recording began: backscatter" "$(cat "$WORK/c1.out")" \
  "backscatter file"

# A copy of the program alone in a directory: no plugin beside it.
lone=$WORK/lone
mkdir -p "$lone"
cp "$real" "$lone/backscatter-filter"
lone_check() {
  : > "$LOG.before"; [ -f "$LOG" ] && cp "$LOG" "$LOG.before"
  "$lone/backscatter-filter" check -c "$RULES" --verdict < "$2" > "$WORK/$1.out" 2> "$WORK/$1.err"
  status=$?
  log_line=$( [ -f "$LOG" ] && tail -n +$(( $(wc -l < "$LOG.before") + 1 )) "$LOG")
}
lone_check l1 "$WORK/rfc.eml"
equal "no plugin: the RFC 5322 Date read, backscatter as with it" "$(cat "$WORK/l1.out")" \
  "backscatter file"
case $log_line in
  *error=*) not_ok "no plugin: no trouble logged" "$log_line" ;;
  *) ok "no plugin: no trouble logged" ;;
esac
lone_check l2 "$WORK/nozone.eml"
equal "no plugin, a Date with no zone: exit 0" "$status" 0
equal "no plugin, a Date with no zone: unknown, delivered" "$(cat "$WORK/l2.out")" \
  "unknown deliver"
contains "no plugin, a Date with no zone: the log says plugin trouble" "$log_line" "error=plugin"

if ! command -v strace > /dev/null; then
  skip "which files a run opens" "strace not installed"
elif case $BSF_BIN in *valgrind-wrap.sh) true ;; *) false ;; esac; then
  skip "which files a run opens" "under valgrind (it opens files of its own)"
else
  # opened PREFIX MESSAGE: the files a check run opens, in PREFIX.opened
  opened() {
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
      strace -f -o "$1.strace" -e trace=openat "$BSF_BIN" check -c "$RULES" --verdict \
      < "$2" > "$1.out" 2> "$1.err"
    sed -n 's/.*openat([^"]*"\([^"]*\)".*= [0-9].*/\1/p' "$1.strace" > "$1.opened"
  }
  opened "$WORK/s1" "$WORK/rfc.eml"
  equal "a bounce judged by its original's RFC 5322 Date: the plugin is not opened" \
    "$(grep -c 'mailutils\.so$\|mailboxes\.so$\|libmailutils' "$WORK/s1.opened")" 0
  equal "... backscatter" "$(cat "$WORK/s1.out")" "backscatter file"
  opened "$WORK/s2" "$WORK/nozone.eml"
  check "a Date with no zone: the plugin opened to read it" \
    [ "$(grep -c "^$build/mailutils\.so\$" "$WORK/s2.opened")" -ge 1 ]
  equal "... read as local time: backscatter" "$(cat "$WORK/s2.out")" "backscatter file"
fi

finish
