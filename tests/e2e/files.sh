#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# files.sh: the program and the files around it (issue 10, "Files and
# users"): root with another user's HOME, relative or empty HOME and XDG
# variables, the [log] file's mode, the descriptors a --sendmail child
# inherits, and record --passthrough on a usage error. Each case asserts
# the exit code, what was (not) created, and the message or log line.
#
# Limits: the cases that give a directory away to uid 65534 need root and
# are skipped otherwise.
. "$BSF_SRCDIR/tests/e2e/lib.inc"

write_rules
fresh_bounce "forged.$$@example.org" "nobody@example.net" > "$WORK/fresh-forged.eml"
mkdir -m 755 "$WORK/fresh-home"

# --- root with a user's HOME (sudo -E, an MDA running as root; issue 10.8):
# nothing is read from or created in another user's home; import says why
# and stops, check delivers with one log line. And a relative or empty HOME
# is refused, not resolved against the working directory.
if [ "$(id -u)" -eq 0 ]; then
  mkdir -m 755 "$WORK/alice"; chown 65534:65534 "$WORK/alice"
  HOME=$WORK/alice XDG_STATE_HOME= XDG_CONFIG_HOME= \
    "$BSF_BIN" import "$MESSAGES/sent.eml" > /dev/null 2> "$WORK/alice.err"
  equal "another user's HOME: import refuses (exit 78, EX_CONFIG)" "$?" 78
  contains "another user's HOME: import says why" "$(cat "$WORK/alice.err")" \
    "is owned by uid 65534, not by us"
  equal "another user's HOME: nothing created in it" \
    "$(find "$WORK/alice" -mindepth 1 | wc -l)" 0
  HOME=$WORK/alice XDG_STATE_HOME= XDG_CONFIG_HOME= \
    "$BSF_BIN" check --explain < "$WORK/fresh-forged.eml" > "$WORK/alice.out" 2> "$WORK/alice.err"
  equal "another user's HOME: check delivers (exit 0)" "$?" 0
  equal "another user's HOME: check logs one error line" \
    "$(grep -c ' error=config.*owned by uid 65534' "$WORK/alice.err")" 1
  equal "another user's HOME: still nothing created in it" \
    "$(find "$WORK/alice" -mindepth 1 | wc -l)" 0
else
  skip "another user's HOME" "needs root to give a directory away"
fi
for bad in "relative-home" ""; do
  rm -rf "$WORK/cwd"; mkdir "$WORK/cwd"
  ( cd "$WORK/cwd" && HOME=$bad XDG_STATE_HOME= XDG_CONFIG_HOME= \
      "$BSF_BIN" import "$MESSAGES/sent.eml" > /dev/null 2> "$WORK/rel.err" )
  equal "HOME='$bad': import refuses (exit 78)" "$?" 78
  contains "HOME='$bad': import says why" "$(cat "$WORK/rel.err")" "HOME"
  ( cd "$WORK/cwd" && HOME=$bad XDG_STATE_HOME= XDG_CONFIG_HOME= \
      "$BSF_BIN" check --explain < "$WORK/fresh-forged.eml" > /dev/null 2> "$WORK/rel.err" )
  equal "HOME='$bad': check delivers (exit 0)" "$?" 0
  equal "HOME='$bad': check logs one error line" "$(grep -c 'error=config' "$WORK/rel.err")" 1
  equal "HOME='$bad': nothing created in the working directory" \
    "$(find "$WORK/cwd" -mindepth 1 | wc -l)" 0
done
rm -rf "$WORK/cwd"; mkdir "$WORK/cwd"
( cd "$WORK/cwd" && HOME=$WORK/fresh-home XDG_STATE_HOME=state XDG_CONFIG_HOME= \
    "$BSF_BIN" import "$MESSAGES/sent.eml" > /dev/null 2> "$WORK/rel.err" )
equal "XDG_STATE_HOME relative: import refuses (exit 78)" "$?" 78
contains "XDG_STATE_HOME relative: import says why" "$(cat "$WORK/rel.err")" \
  "XDG_STATE_HOME 'state' is not an absolute path"
equal "XDG_STATE_HOME relative: nothing created in the working directory" \
  "$(find "$WORK/cwd" -mindepth 1 | wc -l)" 0

# --- [log] file: created 0600 whatever the umask (it holds correspondents'
# addresses), close-on-exec, never inside another user's directory.
rm -f "$LOG"
( umask 000; exec "$BSF_BIN" check -c "$RULES" < "$WORK/fresh-forged.eml" > /dev/null 2>&1 )
equal "[log] file under umask 000: exit 0" "$?" 0
equal "[log] file under umask 000: created 0600" "$(stat -c %a "$LOG" 2>&1)" 600
if [ "$(id -u)" -eq 0 ]; then
  mkdir -m 777 "$WORK/bob"; chown 65534:65534 "$WORK/bob"
  printf '[store]\npath = %s\n[log]\nsyslog = no\nfile = %s\n' "$STORE" "$WORK/bob/log" > "$RULES"
  "$BSF_BIN" check -c "$RULES" < "$WORK/fresh-forged.eml" > /dev/null 2>&1
  equal "[log] file in another user's directory: check delivers" "$?" 0
  check "[log] file in another user's directory: not created" test ! -e "$WORK/bob/log"
  write_rules
else
  skip "[log] file in another user's directory" "needs root to give a directory away"
fi

# --- record --sendmail: the child gets the message on stdin and nothing
# else of ours: not the log file, not the temporary copy of a message
# large enough to be spilled to a file, not the store.
cat > "$WORK/fd-sendmail" <<SH
#!/bin/sh
for fd in /proc/\$\$/fd/*; do
  printf '%s -> %s\n' "\${fd##*/}" "\$(readlink "\$fd")"
done > "$WORK/fds.txt"
cat > /dev/null
SH
chmod +x "$WORK/fd-sendmail"
{
  printf 'From: user@example.org\nTo: carol@example.com\nSubject: big\n'
  printf 'Message-ID: <big.%s@example.org>\n\n' "$$"
  head -c 3000000 /dev/zero | tr '\0' 'x' | fold -w 76
} > "$WORK/big.eml"
"$BSF_BIN" record -c "$RULES" --sendmail "$WORK/fd-sendmail" carol@example.com < "$WORK/big.eml"
equal "--sendmail child: exit 0" "$?" 0
check "--sendmail child: ran" test -s "$WORK/fds.txt"
equal "--sendmail child: no descriptor on the log file" "$(grep -c -F "$LOG" "$WORK/fds.txt")" 0
equal "--sendmail child: no descriptor on a temporary copy of the message" \
  "$(grep -c '(deleted)' "$WORK/fds.txt")" 0
equal "--sendmail child: no descriptor on the store" "$(grep -c -F "$STORE" "$WORK/fds.txt")" 0

# --- record --passthrough with a usage error: the message still goes
# through (the filter stands in its path); the exit status says why.
"$BSF_BIN" record --passthrough --no-such-option < "$MESSAGES/sent.eml" > "$WORK/pt.out" 2> "$WORK/pt.err"
equal "record --passthrough, bad option: exit 64 (EX_USAGE)" "$?" 64
check "record --passthrough, bad option: the message passed through intact" \
  cmp -s "$WORK/pt.out" "$MESSAGES/sent.eml"
contains "record --passthrough, bad option: says why" "$(cat "$WORK/pt.err")" "bad option"
"$BSF_BIN" record --passthrough --tag < "$MESSAGES/sent.eml" > "$WORK/pt.out" 2> /dev/null
equal "record --passthrough --tag: exit 64" "$?" 64
check "record --passthrough --tag: the message passed through intact" \
  cmp -s "$WORK/pt.out" "$MESSAGES/sent.eml"

finish
