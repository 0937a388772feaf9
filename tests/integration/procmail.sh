#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# procmail.sh: backscatter-filter under the real procmail (Debian package
# procmail), with the shipped examples/procmailrc (exit codes) and
# examples/procmailrc-tag (`:0 fw` with --tag).
#
# procmail runs in -m mode with HOME=... given as an argument: as root (CI)
# procmail resets HOME from the password file even with -p, and the
# examples deliver under $HOME. SENDER is set as an MTA sets it (empty for
# the null sender). Four messages go through each rc file: a forged bounce,
# a genuine bounce (its original recorded first), an ordinary message and an
# auto-reply; the test asserts the folder each one ends in. Then the
# filter is made to fail (program `false`, an unusable store) and every
# message must still reach the inbox.

. "$BSF_SRCDIR/tests/integration/harness.inc"

PROCMAIL=$(command -v procmail)
if [ -z "$PROCMAIL" ]; then
  skip_all "procmail not installed (Debian package procmail)" \
    "procmailrc: forged bounce filed" "procmailrc-tag: forged bounce filed" \
    "failing filter delivers"
fi
setup_world

# deliver RCFILE CASE [BSF]: one message through procmail; its exit status
# is returned. The null sender travels as an empty SENDER.
deliver() {
  case $2 in forged|genuine|autoreply) sender= ;; *) sender=friend@example.net ;; esac
  SENDER=$sender timeout "$BSF_TIMEOUT" "$PROCMAIL" -m HOME="$WORK" \
    BSF="${3:-$BSF_BIN}" "$1" <"$WORK/msg/$2"
}

# run_four RCFILE [BSF]: deliver the four cases, checking procmail's status.
run_four() {
  for c in forged genuine ordinary autoreply; do
    deliver "$1" "$c" "${2:-}" || { echo "# procmail exited $? on $c"; return 1; }
  done
}

inbox=$WORK/Maildir/new
folder=$WORK/Maildir/.Backscatter
# A user's maildir exists before mail arrives (procmail chdirs into it).
fresh_maildir() {
  rm -rf "$WORK/Maildir"
  mkdir -p "$WORK/Maildir/cur" "$WORK/Maildir/new" "$WORK/Maildir/tmp"
}

if record_outgoing; then tap_ok "record the outgoing original"
else tap_not_ok "record the outgoing original" "exit $?"; fi

# 1. examples/procmailrc: exit codes, backscatter filed.
rc=$WORK/procmailrc
example procmailrc >"$rc"
fresh_maildir
tap_check "procmailrc: procmail exits 0 for every message" run_four "$rc"
tap_check "procmailrc: forged bounce filed in .Backscatter" \
  only_in forged "$folder" "$WORK/Maildir"
for c in genuine ordinary autoreply; do
  tap_check "procmailrc: $c delivered to the inbox" only_in "$c" "$inbox" "$WORK/Maildir"
done

# 2. The drop variant, as the comments in the example describe it.
rc=$WORK/procmailrc-drop
sed -e 's/^\( *\)#:0$/\1:0/' -e 's/^\( *\)#\* BSF_STATUS/\1* BSF_STATUS/' \
  -e 's|^\( *\)#/dev/null|\1/dev/null|' \
  "$WORK/procmailrc" >"$rc"
cat >>"$RULES" <<EOF

[exit]
drop = 10
EOF
sed -i 's/^backscatter = .*/backscatter = drop/' "$RULES"
fresh_maildir
tap_check "procmailrc drop variant: procmail exits 0 for every message" run_four "$rc"
tap_check "procmailrc drop variant: forged bounce is nowhere" \
  test -z "$(files_with_case "$WORK/Maildir" forged)"
for c in genuine ordinary autoreply; do
  tap_check "procmailrc drop variant: $c delivered to the inbox" \
    only_in "$c" "$inbox" "$WORK/Maildir"
done
write_rules file

# 3. examples/procmailrc-tag: --tag as a `:0 fw` filter.
rc=$WORK/procmailrc-tag
example procmailrc-tag >"$rc"
fresh_maildir
tap_check "procmailrc-tag: procmail exits 0 for every message" run_four "$rc"
tap_check "procmailrc-tag: forged bounce filed in .Backscatter" \
  only_in forged "$folder" "$WORK/Maildir"
for c in genuine ordinary autoreply; do
  tap_check "procmailrc-tag: $c delivered to the inbox" only_in "$c" "$inbox" "$WORK/Maildir"
done
header_of() {  # header_of CASE: the X-Backscatter field(s) of the delivered copy
  f=$(files_with_case "$WORK/Maildir" "$1" | head -1)
  [ -n "$f" ] && sed -n '/^$/q; /^X-Backscatter:/Ip' "$f"
}
expect_header() {  # expect_header CASE VERDICT ACTION
  h=$(header_of "$1")
  case $h in
    *"
"*) tap_not_ok "procmailrc-tag: $1 has one X-Backscatter header" "got: $h" ;;
    "X-Backscatter: $2;"*"action=$3"*) tap_ok "procmailrc-tag: $1 tagged $2, action=$3" ;;
    *) tap_not_ok "procmailrc-tag: $1 tagged $2, action=$3" "got: $h" ;;
  esac
}
expect_header forged backscatter file
expect_header genuine genuine deliver
expect_header ordinary clean deliver
case $(header_of autoreply) in
  "X-Backscatter: "*"kind=autoreply"*"action=deliver"*)
    tap_ok "procmailrc-tag: autoreply tagged kind=autoreply, delivered" ;;
  *) tap_not_ok "procmailrc-tag: autoreply tagged kind=autoreply, delivered" \
       "got: $(header_of autoreply)" ;;
esac

# A header forged by the sender must not steer filing.
fresh_maildir
sed 's/^X-Test-Case: ordinary$/X-Backscatter: backscatter; kind=dsn; action=file\nX-Test-Case: ordinary/' \
  "$WORK/msg/ordinary" >"$WORK/msg/spoofed"
sed -i 's/^X-Test-Case: ordinary$/X-Test-Case: spoofed/' "$WORK/msg/spoofed"
deliver "$rc" spoofed >/dev/null 2>&1
tap_check "procmailrc-tag: an incoming X-Backscatter header is removed, mail delivered" \
  only_in spoofed "$inbox" "$WORK/Maildir"
expect_header spoofed clean deliver

# Regression (issue 15): the example names the program by the path it was
# installed at; another backscatter-filter first on procmail's PATH (as an
# old copy in /usr/local/bin would be) is never run.
mkdir -p "$WORK/decoy"
printf '#!/bin/sh\ntouch "%s/decoy-ran"\ncat\n' "$WORK" >"$WORK/decoy/backscatter-filter"
chmod 755 "$WORK/decoy/backscatter-filter"
fresh_maildir
SENDER= timeout "$BSF_TIMEOUT" "$PROCMAIL" -m HOME="$WORK" PATH="$WORK/decoy:/usr/bin:/bin" \
  "$rc" <"$WORK/msg/forged"
tap_check "procmailrc-tag: runs the installed program, not the one first on PATH" \
  test ! -e "$WORK/decoy-ran"
tap_check "procmailrc-tag: without BSF set, the forged bounce is filed" \
  only_in forged "$folder" "$WORK/Maildir"

# 4. A failing filter never loses mail.
for name in procmailrc procmailrc-tag; do
  rc=$WORK/$name
  example "$name" >"$rc"
  fresh_maildir
  run_four "$rc" /bin/false >/dev/null 2>&1
  n=0
  for c in forged genuine ordinary autoreply; do
    only_in "$c" "$inbox" "$WORK/Maildir" && n=$((n + 1))
  done
  tap_check "$name: program 'false' as filter: all 4 messages in the inbox" test "$n" -eq 4

  fresh_maildir
  run_four "$rc" "$WORK/no-such-program" >/dev/null 2>&1
  n=0
  for c in forged genuine ordinary autoreply; do
    only_in "$c" "$inbox" "$WORK/Maildir" && n=$((n + 1))
  done
  tap_check "$name: missing program: all 4 messages in the inbox" test "$n" -eq 4

  # An unusable store (its directory is a file): the filter must deliver.
  : >"$WORK/not-a-dir"
  sed -i "s|^path = .*|path = $WORK/not-a-dir/sent.db|" "$RULES"
  fresh_maildir
  run_four "$rc" >/dev/null 2>&1
  n=0
  for c in forged genuine ordinary autoreply; do
    only_in "$c" "$inbox" "$WORK/Maildir" && n=$((n + 1))
  done
  tap_check "$name: unusable store: all 4 messages in the inbox" test "$n" -eq 4
  write_rules file
done

tap_finish
