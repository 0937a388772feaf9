#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# postfix.sh: backscatter-filter under a real Postfix (Debian 12 package
# postfix): local(8) runs procmail as mailbox_command with the user's
# ~/.procmailrc (examples/procmailrc-tag), and outgoing mail is recorded
# through sender_bcc_maps to you+record@, whose ~/.forward+record pipes it
# into `record` (examples/postfix-main.cf, examples/postfix-forward-record).
#
# A private Postfix instance: its own configuration directory (the
# example appended to a small main.cf), queue and data directories under
# the test directory, no inet listener (mail is injected with
# `sendmail -C`), local(8) and discard(8) (for the outgoing copy that
# would go to the Internet) only. local(8) needs a user in the password
# file whose home is the test directory: the instance runs in a private
# mount namespace (unshare -m) where /etc/passwd and /etc/group are bind
# mounts of copies adding bsftest; nothing outside changes. That, and
# starting Postfix, need root: otherwise the test is skipped, loudly.
# Delivery is awaited with a bounded poll; `postfix stop` ends the instance
# and the master is killed by its pid if it lingers.

. "$BSF_SRCDIR/tests/integration/harness.inc"

all_tests="postfix: outgoing copy recorded through ~/.forward+record
postfix mailbox_command procmail: forged bounce filed
postfix: failing filter delivers"
skip_all_lines() {
  reason=$1
  set --
  while IFS= read -r line; do set -- "$@" "$line"; done <<EOF
$all_tests
EOF
  skip_all "$reason" "$@"
}

POSTFIX=$(command -v postfix || echo /usr/sbin/postfix)
DAEMONS=/usr/lib/postfix/sbin
PROCMAIL=$(command -v procmail)
if [ ! -x "$POSTFIX" ] || [ ! -x "$DAEMONS/local" ] || ! command -v postdrop >/dev/null; then
  skip_all_lines "postfix not installed (Debian package postfix)"
fi
if [ -z "$PROCMAIL" ]; then
  skip_all_lines "procmail not installed (Debian package procmail)"
fi
if [ "$(id -u)" -ne 0 ] || ! unshare --mount --propagation private true 2>/dev/null; then
  skip_all_lines "needs root and unshare --mount (private /etc/passwd with the test user)"
fi
if ! getent passwd postfix >/dev/null || ! getent group postdrop >/dev/null; then
  skip_all_lines "the postfix user or postdrop group is missing (package not configured)"
fi
setup_world

TEST_UID=64123
mkdir -p "$WORK/etc"
{ echo "bsftest:x:$TEST_UID:$TEST_UID:backscatter-filter test:$WORK:/bin/sh"; cat /etc/passwd; } \
  >"$WORK/etc/passwd"
{ echo "bsftest:x:$TEST_UID:"; cat /etc/group; } >"$WORK/etc/group"

# in_world CMD...: CMD as root in the private world, bounded in time.
in_world() {
  timeout "$BSF_TIMEOUT" unshare --mount --propagation private sh -c '
    mount --bind "$0/etc/passwd" /etc/passwd &&
    mount --bind "$0/etc/group" /etc/group || exit 71
    exec "$@"' "$WORK" "$@"
}

PF=$WORK/postfix
CONF=$PF/conf
mkdir -p "$CONF" "$PF/queue" "$PF/data" "$WORK/bin"
copy_program "$WORK/bin"
chown postfix "$PF/data"

cat >"$CONF/main.cf" <<EOF
# Written by tests/integration/postfix.sh; examples/postfix-main.cf follows.
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
command_directory = /usr/sbin
daemon_directory = $DAEMONS
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-bsf-test
maillog_file = $PF/maillog
maillog_file_prefixes = $WORK
myhostname = mail.example.org
mydomain = example.org
myorigin = example.org
mydestination = example.org
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps = unix:passwd.byname
# Mail for other domains would go to the Internet: discard it here.
default_transport = discard
relay_transport = discard
biff = no
delay_warning_time = 0
EOF
sed -e "s|/usr/bin/procmail|$PROCMAIL|" -e 's/you@example.org/bsftest@example.org/g' \
  -e 's/you+record@example.org/bsftest+record@example.org/g' \
  "$BSF_SRCDIR/examples/postfix-main.cf" >>"$CONF/main.cf"

cat >"$CONF/master.cf" <<'EOF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF

example postfix-forward-record "$WORK/bin/backscatter-filter" >"$WORK/.forward+record"
example procmailrc-tag "$WORK/bin/backscatter-filter" >"$WORK/.procmailrc"
chmod 644 "$WORK/.procmailrc" "$WORK/.forward+record"

master_pid() { head -1 "$PF/queue/pid/master.pid" 2>/dev/null | tr -d ' '; }
stop_postfix() {
  pid=$(master_pid)
  [ -n "$pid" ] || return 0
  in_world "$POSTFIX" -c "$CONF" stop >/dev/null 2>&1
  i=0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  # A master that does not go: it and its children (same process group).
  if kill -0 "$pid" 2>/dev/null; then kill -9 -- "-$pid" "$pid" 2>/dev/null; fi
  rm -f "$PF/queue/pid/master.pid"
}
cleanup() { stop_postfix; [ -n "${BSF_KEEP_TMP:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM HUP

chown -R "$TEST_UID:$TEST_UID" "$WORK/.config" "$WORK/state" "$WORK/.local" \
  "$WORK/.procmailrc" "$WORK/.forward+record" "$WORK/bin"
chown "$TEST_UID:$TEST_UID" "$WORK"
# The postfix user must reach its queue and data directories below it.
chmod 755 "$WORK" "$PF"
# The queue is root's; Postfix makes its subdirectories on first start.
chown root:root "$PF/queue"

if in_world "$POSTFIX" -c "$CONF" check >"$PF/check.out" 2>&1; then
  tap_ok "postfix check accepts the configuration (examples/postfix-main.cf appended)"
else
  tap_not_ok "postfix check accepts the configuration (examples/postfix-main.cf appended)" \
    "$(head -3 "$PF/check.out")"
fi
if ! in_world "$POSTFIX" -c "$CONF" start >"$PF/start.out" 2>&1 || [ -z "$(master_pid)" ]; then
  sed 's/^/# /' "$PF/start.out" | head -5
  tap_not_ok "postfix: private instance starts"
  tap_finish; exit 1
fi
tap_ok "postfix: private instance starts"

maillog() { sed 's/^/# /' "$PF/maillog" 2>/dev/null | grep -v 'daemon started\|statistics' | tail -${1:-8}; }
wait_for() {  # wait_for COMMAND...: poll (at most 20 s) until it succeeds
  i=0
  until "$@"; do
    [ $i -ge 200 ] && return 1
    sleep 0.1; i=$((i + 1))
  done
}
queue_empty() {
  [ -z "$(find "$PF/queue/incoming" "$PF/queue/active" "$PF/queue/deferred" \
    "$PF/queue/maildrop" -type f 2>/dev/null)" ]
}
# inject SENDER RCPT FILE: sendmail (postdrop) into the private queue.
inject() {
  in_world /usr/sbin/sendmail -C "$CONF" -f "$1" -- "$2" <"$3"
}
dump_store() {
  timeout "$BSF_TIMEOUT" setpriv --reuid="$TEST_UID" --regid="$TEST_UID" --clear-groups \
    "$WORK/bin/backscatter-filter" dump -c "$RULES"
}
store_knows() { dump_store 2>/dev/null | grep -qF "$1"; }

# --- outgoing: the sender_bcc copy reaches record through ~/.forward+record
inject bsftest@example.org friend@example.net "$WORK/msg/outgoing"
if wait_for store_knows "sent.$tag@example.org"; then
  tap_ok "postfix: outgoing copy recorded through ~/.forward+record"
else
  tap_not_ok "postfix: outgoing copy recorded through ~/.forward+record"; maillog
fi
wait_for queue_empty
tap_check "postfix: the original went out (discard), the copy was delivered, queue empty" \
  sh -c "grep -q 'to=<friend@example.net>.*status=sent' '$PF/maillog' &&
    grep -q 'to=<bsftest+record@example.org>.*status=sent' '$PF/maillog' &&
    test -z \"\$(find '$PF/queue/deferred' -type f)\""
tap_check "postfix: the Bcc copy did not land in the mailbox" \
  test -z "$(files_with_case "$WORK/Maildir" '[a-z]*')"

# --- incoming: mailbox_command = procmail with ~/.procmailrc (tag) -------
now=$(date -R)
make_bounce forged "$FORGED_ID" "nobody@example.com" "Cheap watches"
chown -R "$TEST_UID:$TEST_UID" "$WORK/msg"
inbox=$WORK/Maildir/new
folder=$WORK/Maildir/.Backscatter
fresh_maildir() {
  rm -rf "$WORK/Maildir"
  mkdir -p "$WORK/Maildir/cur" "$WORK/Maildir/new" "$WORK/Maildir/tmp"
  chown -R "$TEST_UID:$TEST_UID" "$WORK/Maildir" "$WORK/.config" "$WORK/state"
}
receive_four() {
  for c in forged genuine ordinary autoreply; do
    case $c in forged|genuine|autoreply) sender= ;; *) sender=friend@example.net ;; esac
    inject "$sender" bsftest@example.org "$WORK/msg/$c" || { echo "# sendmail exited $? on $c"; return 1; }
  done
}
delivered() { [ "$(find "$WORK/Maildir" -type f -path '*/new/*' | wc -l)" -ge "$1" ]; }

fresh_maildir
tap_check "postfix: sendmail accepts every message" receive_four
wait_for delivered 4 || maillog 12
wait_for queue_empty
tap_check "postfix mailbox_command procmail: forged bounce filed" \
  only_in forged "$folder" "$WORK/Maildir"
for c in genuine ordinary autoreply; do
  tap_check "postfix mailbox_command procmail: $c delivered to the inbox" \
    only_in "$c" "$inbox" "$WORK/Maildir"
done
header_of() {
  f=$(files_with_case "$WORK/Maildir" "$1" | head -1)
  [ -n "$f" ] && sed -n '/^$/q; /^X-Backscatter:/Ip' "$f"
}
expect_header() {  # expect_header CASE VERDICT ACTION
  h=$(header_of "$1")
  case $h in
    "X-Backscatter: $2;"*"action=$3"*) tap_ok "postfix: $1 tagged $2, action=$3" ;;
    *) tap_not_ok "postfix: $1 tagged $2, action=$3" "got: $h" ;;
  esac
}
expect_header forged backscatter file
expect_header genuine genuine deliver
expect_header ordinary clean deliver
f=$(files_with_case "$WORK/Maildir" forged | head -1)
if [ -n "$f" ] && grep -q '^Return-Path: <>' "$f" && grep -q '^Delivered-To: bsftest@example.org' "$f"; then
  tap_ok "postfix: local(8) added Return-Path: <> and Delivered-To:"
else
  tap_not_ok "postfix: local(8) added Return-Path: <> and Delivered-To:" \
    "$( [ -n "$f" ] && sed -n '/^$/q; /^Return-Path\|^Delivered-To/Ip' "$f")"
fi
tap_check "postfix: nothing bounced or deferred" \
  sh -c "! grep -Eq 'status=(bounced|deferred)' '$PF/maillog'"

# --- a failing filter: delivered, nothing bounced --------------------------
for broken in false missing; do
  rm -f "$WORK/bin/backscatter-filter"
  [ "$broken" = false ] && cp /bin/false "$WORK/bin/backscatter-filter"
  fresh_maildir
  receive_four >/dev/null 2>&1
  wait_for delivered 4
  wait_for queue_empty
  n=0
  for c in forged genuine ordinary autoreply; do only_in "$c" "$inbox" "$WORK/Maildir" && n=$((n + 1)); done
  tap_check "postfix: program $broken: all 4 messages in the inbox" test "$n" -eq 4
done
copy_program "$WORK/bin"
chown "$TEST_UID:$TEST_UID" "$WORK/bin/backscatter-filter"
tap_check "postfix: failing filter: nothing bounced or deferred" \
  sh -c "! grep -Eq 'status=(bounced|deferred)' '$PF/maillog'"

stop_postfix
tap_check "postfix: instance stopped, no master left" test -z "$(master_pid)"

tap_finish
