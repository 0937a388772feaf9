#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# timer.sh: the shipped import schedule (issue 12): the systemd user
# service and timer pass `systemd-analyze verify` (instantiated with the
# program under test), and the cron line, run as cron would, imports a
# Sent folder and expires.
. "$BSF_SRCDIR/tests/e2e/lib.inc"

# The program under test stands where the installed one would (as the
# integration harness's example() does): BSF_BIN may be a wrapper with
# another name (tests/valgrind-wrap.sh).
units=$WORK/units
mkdir -p "$units"
sed "s|@bindir@/backscatter-filter|$BSF_BIN|g" "$BSF_SRCDIR/examples/backscatter-filter-import.service.in" \
  > "$units/backscatter-filter-import.service"
cp "$BSF_SRCDIR/examples/backscatter-filter-import.timer" "$units/"
if command -v systemd-analyze > /dev/null 2>&1; then
  mkdir -m 700 "$WORK/runtime"
  ( cd "$units" && XDG_RUNTIME_DIR=$WORK/runtime systemd-analyze --user verify --man=no \
      ./backscatter-filter-import.service ./backscatter-filter-import.timer ) > "$WORK/verify.out" 2>&1
  equal "systemd-analyze --user verify: service and timer" "$?" 0
  [ -s "$WORK/verify.out" ] && sed 's/^/# /' "$WORK/verify.out"
  # The check can fail: a unit naming a program that is not there does.
  sed "s|@bindir@|$WORK/nowhere|g" "$BSF_SRCDIR/examples/backscatter-filter-import.service.in" \
    > "$units/broken.service"
  ( cd "$units" && XDG_RUNTIME_DIR=$WORK/runtime systemd-analyze --user verify --man=no \
      ./broken.service ) > /dev/null 2>&1
  check "systemd-analyze verify refuses a unit whose program is missing" test "$?" -ne 0
else
  skip "systemd-analyze --user verify: service and timer" "systemd-analyze missing (scripts/install-deps --tests installs systemd)"
  skip "systemd-analyze verify refuses a unit whose program is missing" "systemd-analyze missing"
fi
grep -q '^ExecStart=[^ ]* import %h/' "$units/backscatter-filter-import.service"
equal "the service imports a folder of the user's home" "$?" 0
grep -q '^ExecStart=[^ ]* expire$' "$units/backscatter-filter-import.service"
equal "the service then expires" "$?" 0

# The cron line, run by sh as cron runs it (HOME set, the default rule file
# and store), on a Maildir++ Sent folder.
line=$(grep -v '^#' "$BSF_SRCDIR/examples/crontab.in" | grep . | sed "s|@bindir@/backscatter-filter|$BSF_BIN|g")
command=$(printf '%s\n' "$line" | awk '{ for (i = 6; i <= NF; i++) printf "%s%s", $i, (i < NF ? " " : "") }')
schedule=$(printf '%s\n' "$line" | awk '{ print $1, $2, $3, $4, $5 }')
equal "crontab: hourly" "$schedule" "17 * * * *"
mkdir -p "$HOME/Maildir/.Sent/cur" "$HOME/Maildir/.Sent/new" "$HOME/Maildir/.Sent/tmp"
cp "$MESSAGES/sent.eml" "$HOME/Maildir/.Sent/cur/1.host:2,S"
# (A wrapper standing in for the program keeps what it needs.)
( cd / && env -i HOME="$HOME" PATH=/usr/bin:/bin \
    ${BSF_VALGRIND_BIN:+BSF_VALGRIND_BIN="$BSF_VALGRIND_BIN"} \
    ${BSF_VALGRIND_LOGS:+BSF_VALGRIND_LOGS="$BSF_VALGRIND_LOGS"} sh -c "$command" ) > "$WORK/cron.out" 2> "$WORK/cron.err"
equal "crontab: the command exits 0" "$?" 0
equal "crontab: nothing for cron to mail" "$(cat "$WORK/cron.out" "$WORK/cron.err")" ""
contains "crontab: the Sent folder is in the default store" \
  "$(env HOME="$HOME" XDG_STATE_HOME= XDG_CONFIG_HOME= "$BSF_BIN" dump)" "msgid 20261120093000.sent-1@mail.example.org"
finish
