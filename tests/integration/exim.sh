#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# exim.sh: backscatter-filter under the real Exim (Debian 12 package
# exim4-daemon-light), configured by examples/exim4-backscatter.conf as
# shipped, with the user's ~/.forward from examples/exim-forward-filter.
#
# Exim and Postfix cannot both be installed as Debian packages (both are a
# mail-transport-agent), so scripts/install-deps installs Postfix and only
# unpacks exim4-daemon-light (tests/integration/EXTRACT) under
# /var/cache/backscatter-filter-tests/root; an installed /usr/sbin/exim4 or
# BSF_EXIM=PATH is used when present.
#
# The binary insists that its compiled-in user Debian-exim exists, and
# check_local_user needs a user whose home is the test directory. So every
# Exim process runs in a private mount namespace (unshare -m) in which
# /etc/passwd and /etc/group are bind mounts of copies that add the users
# bsftest (home = the test directory) and, if missing, Debian-exim; nothing
# outside changes. Exim runs as bsftest (made its exim_user), never as root
# (Exim will not deliver as root). That needs root: otherwise the whole test
# is skipped, loudly.
#
# Outgoing: the smtp transport (transport_filter = record --passthrough)
# sends to a second Exim, a daemon on 127.0.0.1 (a free port) that writes
# each message it receives to a file, unchanged (no Received: header on
# either side), so the test can compare bytes. Incoming: the four messages
# (forged and genuine bounce, ordinary mail, auto-reply) are submitted
# locally; the bsf_check pipe judges and re-injects them and the ~/.forward
# filter files on the header. Each Exim run is bounded by timeout; the
# daemon is stopped by its pid.

. "$BSF_SRCDIR/tests/integration/harness.inc"

all_tests="exim record: message reaches the sink byte for byte
exim record: broken store, nothing recordable: deferred (75), not sent unrecorded
exim record: broken store, after the store is fixed a queue run sends it unchanged
exim record: broken store, ... and records it
exim check --tag: forged bounce filed by ~/.forward filter
exim: failing filter defers, loses nothing"

skip_all_lines() {   # skip_all_lines REASON: skip every test in $all_tests
  reason=$1
  set --
  while IFS= read -r line; do set -- "$@" "$line"; done <<EOF
$all_tests
EOF
  skip_all "$reason" "$@"
}

EXTRACTED=${BSF_EXTRACT_ROOT:-/var/cache/backscatter-filter-tests/root}
EXIM_BIN=${BSF_EXIM:-}
if [ -z "$EXIM_BIN" ]; then
  for candidate in /usr/sbin/exim4 "$EXTRACTED/usr/sbin/exim4"; do
    if [ -x "$candidate" ]; then EXIM_BIN=$candidate; break; fi
  done
fi
if [ -z "$EXIM_BIN" ]; then
  skip_all_lines "exim4 not found (scripts/install-deps --tests unpacks exim4-daemon-light into $EXTRACTED)"
fi
if [ "$(id -u)" -ne 0 ] || ! unshare --mount --propagation private true 2>/dev/null; then
  skip_all_lines "needs root and unshare --mount (private /etc/passwd with the users Exim needs)"
fi
setup_world

# The private users. bsftest comes first, so that its uid maps back to it.
TEST_UID=64123
EXIM_UID=64124
mkdir -p "$WORK/etc"
{
  echo "bsftest:x:$TEST_UID:$TEST_UID:backscatter-filter test:$WORK:/bin/sh"
  grep -q '^Debian-exim:' /etc/passwd ||
    echo "Debian-exim:x:$EXIM_UID:$EXIM_UID::/nonexistent:/usr/sbin/nologin"
  cat /etc/passwd
} >"$WORK/etc/passwd"
{
  echo "bsftest:x:$TEST_UID:"
  grep -q '^Debian-exim:' /etc/group || echo "Debian-exim:x:$EXIM_UID:"
  cat /etc/group
} >"$WORK/etc/group"

# as_bsftest CMD...: CMD in the private world, as bsftest, bounded in time.
as_bsftest() {
  timeout "$BSF_TIMEOUT" unshare --mount --propagation private sh -c '
    mount --bind "$1/etc/passwd" /etc/passwd &&
    mount --bind "$1/etc/group" /etc/group || exit 71
    shift
    exec setpriv --reuid="$0" --regid="$0" --clear-groups --no-new-privs "$@"' \
    "$TEST_UID" "$WORK" "$@"
}

if ! as_bsftest "$EXIM_BIN" -C /dev/null -bV >"$WORK/exim-version" 2>&1 &&
   ! grep -q '^Exim version' "$WORK/exim-version"; then
  sed 's/^/# /' "$WORK/exim-version" | head -5
  skip_all_lines "$EXIM_BIN does not run here"
fi
echo "# $(grep -m1 "^Exim version" "$WORK/exim-version") ($EXIM_BIN)"

mkdir -p "$WORK/bin" "$WORK/exim/spool" "$WORK/exim/log" \
  "$WORK/sink/spool" "$WORK/sink/log" "$WORK/sink/in"
copy_program "$WORK/bin"

# The sink: a second Exim listening on loopback, storing what it receives.
pick_port() { echo $((20000 + ($$ + $1 * 7919) % 30000)); }
write_sink_conf() {
  cat >"$WORK/sink.conf" <<EOF
exim_user = bsftest
exim_group = bsftest
spool_directory = $WORK/sink/spool
log_file_path = $WORK/sink/log/%slog
pid_file_path = $WORK/sink/exim.pid
primary_hostname = mx.example.net
local_interfaces = 127.0.0.1
daemon_smtp_ports = $1
exim_path = $EXIM_BIN
received_header_text =
tls_advertise_hosts =
acl_smtp_rcpt = accept
begin routers
all:
  driver = accept
  transport = store
begin transports
store:
  driver = appendfile
  file = $WORK/sink/in/\$message_exim_id
  user = bsftest
  message_prefix =
  message_suffix =
  check_string =
  escape_string =
EOF
}
sink_pid=
stop_sink() {
  [ -n "$sink_pid" ] || return 0
  kill "$sink_pid" 2>/dev/null
  i=0
  while kill -0 "$sink_pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  kill -9 "$sink_pid" 2>/dev/null
  wait "$sink_pid" 2>/dev/null
  sink_pid=
}
cleanup() { stop_sink; [ -n "${BSF_KEEP_TMP:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM HUP

chown -R "$TEST_UID:$TEST_UID" "$WORK"
port=
for attempt in 1 2 3; do
  try=$(pick_port $attempt)
  write_sink_conf "$try"
  chown "$TEST_UID:$TEST_UID" "$WORK/sink.conf"
  rm -f "$WORK/sink/exim.pid"
  # Started directly (not from a function, which would fork a subshell), so
  # that $! is the daemon itself: unshare, sh and setpriv all exec.
  unshare --mount --propagation private sh -c '
    mount --bind "$1/etc/passwd" /etc/passwd &&
    mount --bind "$1/etc/group" /etc/group || exit 71
    shift
    exec setpriv --reuid="$0" --regid="$0" --clear-groups --no-new-privs "$@"' \
    "$TEST_UID" "$WORK" "$EXIM_BIN" -C "$WORK/sink.conf" -bdf \
    >"$WORK/sink/daemon.out" 2>&1 &
  sink_pid=$!
  i=0
  while [ ! -s "$WORK/sink/exim.pid" ] && kill -0 "$sink_pid" 2>/dev/null && [ $i -lt 50 ]; do
    sleep 0.1; i=$((i + 1))
  done
  if [ -s "$WORK/sink/exim.pid" ] && kill -0 "$sink_pid" 2>/dev/null; then port=$try; break; fi
  stop_sink
done
if [ -z "$port" ]; then
  sed 's/^/# /' "$WORK/sink/daemon.out" "$WORK/sink/log/paniclog" 2>/dev/null | head -5
  skip_all_lines "could not start the sink Exim on 127.0.0.1"
fi
echo "# sink on 127.0.0.1 port $port"

# The configuration under test: the example as shipped, after the paths and
# macros of this world. received_header_text is empty so that the bytes the
# sink gets can be compared with the message submitted.
{
  cat <<EOF
exim_user = bsftest
exim_group = bsftest
spool_directory = $WORK/exim/spool
log_file_path = $WORK/exim/log/%slog
primary_hostname = mail.example.org
qualify_domain = example.org
received_header_text =
exim_path = $EXIM_BIN
BACKSCATTER_RULES = $RULES
BACKSCATTER_FILTER = $WORK/bin/backscatter-filter
EXIM_COMMAND = $EXIM_BIN -C $WORK/exim.conf
LOCAL_DOMAINS = example.org
RELAY_HOST = 127.0.0.1
RELAY_PORT = $port
RELAY_IS_THIS_HOST = yes
EOF
  example exim4-backscatter.conf "$WORK/bin/backscatter-filter"
} >"$WORK/exim.conf"
cp "$BSF_SRCDIR/examples/exim-forward-filter" "$WORK/.forward"
chown -R "$TEST_UID:$TEST_UID" "$WORK"

if as_bsftest "$EXIM_BIN" -C "$WORK/exim.conf" -bV >"$WORK/exim.check" 2>&1; then
  tap_ok "examples/exim4-backscatter.conf: Exim accepts it"
else
  tap_not_ok "examples/exim4-backscatter.conf: Exim accepts it" \
    "$(grep -v '^ ' "$WORK/exim.check" | tail -3)"
fi

exim_log() { grep -v "environment\|keep_environment\|lost privilege" "$WORK/exim.stderr" 2>/dev/null | sed "s/^/# /" | tail -${1:-8}; }
queue_size() { as_bsftest "$EXIM_BIN" -C "$WORK/exim.conf" -bpc 2>/dev/null; }

# wait_for COMMAND...: poll (at most 15 s) until COMMAND succeeds.
wait_for() {
  i=0
  until "$@"; do
    [ $i -ge 150 ] && return 1
    sleep 0.1; i=$((i + 1))
  done
}

# --- outgoing --------------------------------------------------------------
# send_out FILE: submit FILE as from user@example.org to friend@example.net,
# delivered at once (-odi) through remote_smtp to the sink.
send_out() {
  as_bsftest "$EXIM_BIN" -C "$WORK/exim.conf" -odi -f user@example.org \
    friend@example.net <"$1" 2>>"$WORK/exim.stderr"
}
# The file the sink wrote for the message whose Message-ID is that of FILE
# (each message has its own ID, so no reliance on timestamps).
sink_file_for() {
  id=$(sed -n '/^$/q; s/^Message-ID: //p' "$1")
  grep -lxF "Message-ID: $id" "$WORK/sink"/in/* 2>/dev/null | head -1
}
# Has the sink got FILE byte for byte? (Polled: the sink may still write.)
sink_got() { got=$(sink_file_for "$1"); [ -n "$got" ] && cmp -s "$got" "$1"; }
# expect_at_sink DESC FILE: FILE arrived unchanged.
expect_at_sink() {
  if wait_for sink_got "$2"; then
    tap_ok "$1"
  else
    got=$(sink_file_for "$2")
    if [ -n "$got" ]; then tap_not_ok "$1" "$(diff "$2" "$got" | head -8)"
    else tap_not_ok "$1" "nothing arrived"; exim_log; fi
  fi
}

send_out "$WORK/msg/outgoing"
expect_at_sink "exim record: message reaches the sink byte for byte" "$WORK/msg/outgoing"
tap_check "exim record: nothing left in the queue" test "$(queue_size)" = 0
# The store belongs to bsftest (the program refuses another user's store).
dump_store() { as_bsftest "$WORK/bin/backscatter-filter" dump -c "$RULES"; }
if dump_store 2>/dev/null | grep -qF "sent.$tag@example.org"; then
  tap_ok "exim record: the store knows the Message-ID"
else
  tap_not_ok "exim record: the store knows the Message-ID" "$(dump_store 2>&1 | head -5)"
fi
if dump_store 2>/dev/null | grep -qF "friend@example.net"; then
  tap_ok "exim record: the store knows the envelope recipient (\$pipe_addresses)"
else
  tap_not_ok "exim record: the store knows the envelope recipient (\$pipe_addresses)"
fi

# The store broken (its directory is a file: no journal can be written
# either), then locked (the entry goes to the journal). Broken: record
# exits 75 and Exim keeps the message (issue 12: a failure to record is a
# temporary failure, retried), and a queue run once the store is fixed
# sends it unchanged and records it. Locked: the message goes out at once,
# unchanged, its entry in the journal. A copy with a new Message-ID each time.
: >"$WORK/not-a-dir"
chown "$TEST_UID:$TEST_UID" "$WORK/not-a-dir"
for trouble in broken locked; do
  sed "s/^Message-ID: <sent\./Message-ID: <$trouble./" "$WORK/msg/outgoing" >"$WORK/msg/out-$trouble"
  locker=
  if [ "$trouble" = broken ]; then
    sed -i "s|^path = .*|path = $WORK/not-a-dir/sent.db|" "$RULES"
  else
    write_rules file
    sed -i 's/^\[store\]$/[store]\nlock_wait = 200ms/' "$RULES"
    if ! command -v flock >/dev/null; then
      tap_skip "exim record: locked store, message still goes out unchanged" "flock(1) missing"
      continue
    fi
    flock "$STORE.lock" sleep 5 &
    locker=$!
    sleep 0.2
  fi
  chown -R "$TEST_UID:$TEST_UID" "$WORK/.config" "$WORK/state"
  send_out "$WORK/msg/out-$trouble"
  if [ "$trouble" = broken ]; then
    if [ "$(queue_size)" = 1 ] && [ -z "$(sink_file_for "$WORK/msg/out-$trouble")" ]; then
      tap_ok "exim record: broken store, nothing recordable: deferred (75), not sent unrecorded"
    else
      tap_not_ok "exim record: broken store, nothing recordable: deferred (75), not sent unrecorded" \
        "queue: $(queue_size)"; exim_log
    fi
    write_rules file
    chown -R "$TEST_UID:$TEST_UID" "$WORK/.config" "$WORK/state"
    as_bsftest "$EXIM_BIN" -C "$WORK/exim.conf" -qff >/dev/null 2>&1
    expect_at_sink "exim record: broken store, after the store is fixed a queue run sends it unchanged" \
      "$WORK/msg/out-$trouble"
    if dump_store 2>/dev/null | grep -qF "broken.$tag@"; then
      tap_ok "exim record: broken store, ... and records it"
    else
      tap_not_ok "exim record: broken store, ... and records it"
    fi
    continue
  fi
  desc="exim record: $trouble store, message still goes out unchanged"
  expect_at_sink "$desc" "$WORK/msg/out-$trouble"
  tap_check "exim record: $trouble store, nothing deferred" test "$(queue_size)" = 0
  if [ -n "$locker" ]; then
    if dump_store 2>/dev/null | grep -qF "msgid locked.$tag@"; then
      tap_not_ok "exim record: locked store was not written behind the lock"
    else
      tap_ok "exim record: locked store was not written behind the lock"
    fi
    if grep -qF " m locked.$tag@" "$STORE.journal" 2>/dev/null; then
      tap_ok "exim record: locked store, the entry waits in the journal"
    else
      tap_not_ok "exim record: locked store, the entry waits in the journal" "$(ls -la "$STORE"* 2>&1)"
    fi
    kill "$locker" 2>/dev/null; wait "$locker" 2>/dev/null
  fi
done
write_rules file
stop_sink

# --- incoming --------------------------------------------------------------
# The forged bounce's original must be dated after recording began (the
# sink setup took a moment since the harness dated it): date it anew.
now=$(date -R)
make_bounce forged "$FORGED_ID" "nobody@example.com" "Cheap watches"
inbox=$WORK/Maildir/new
folder=$WORK/Maildir/.Backscatter
fresh_maildir() {
  rm -rf "$WORK/Maildir"
  mkdir -p "$WORK/Maildir/cur" "$WORK/Maildir/new" "$WORK/Maildir/tmp"
  chown -R "$TEST_UID:$TEST_UID" "$WORK/Maildir" "$WORK/.config" "$WORK/state"
}
# receive CASE: submit one message for bsftest@example.org, the envelope
# sender empty for bounces.
receive() {
  case $1 in forged|genuine|autoreply) sender='<>' ;; *) sender=friend@example.net ;; esac
  as_bsftest "$EXIM_BIN" -C "$WORK/exim.conf" -odi -f "$sender" \
    bsftest@example.org <"$WORK/msg/$1" 2>>"$WORK/exim.stderr"
}
receive_four() {
  for c in forged genuine ordinary autoreply; do
    receive "$c" || { echo "# exim exited $? on $c"; return 1; }
  done
}
delivered_count() {
  find "$WORK/Maildir" -type f -path '*/new/*' | wc -l
}
delivered_all() { [ "$(delivered_count)" -ge "$1" ]; }

fresh_maildir
tap_check "exim check --tag: exim accepts every message" receive_four
wait_for delivered_all 4 || exim_log 12
tap_check "exim check --tag: forged bounce filed by ~/.forward filter" \
  only_in forged "$folder" "$WORK/Maildir"
for c in genuine ordinary autoreply; do
  tap_check "exim check --tag: $c delivered to the inbox" only_in "$c" "$inbox" "$WORK/Maildir"
done
header_of() {
  f=$(files_with_case "$WORK/Maildir" "$1" | head -1)
  [ -n "$f" ] && sed -n '/^$/q; /^X-Backscatter:/Ip' "$f"
}
expect_header() {  # expect_header CASE VERDICT ACTION
  h=$(header_of "$1")
  case $h in
    *"
"*) tap_not_ok "exim check --tag: $1 has one X-Backscatter header" "got: $h" ;;
    "X-Backscatter: $2;"*"action=$3"*) tap_ok "exim check --tag: $1 tagged $2, action=$3" ;;
    *) tap_not_ok "exim check --tag: $1 tagged $2, action=$3" "got: $h" ;;
  esac
}
expect_header forged backscatter file
expect_header genuine genuine deliver
expect_header ordinary clean deliver
tap_check "exim check --tag: nothing left in the queue" test "$(queue_size)" = 0

# A header forged by the sender must not steer filing.
sed -e 's/^X-Test-Case: ordinary$/X-Backscatter: backscatter; kind=dsn; action=file\nX-Test-Case: spoofed/' \
  "$WORK/msg/ordinary" >"$WORK/msg/spoofed"
fresh_maildir
receive spoofed
wait_for delivered_all 1
tap_check "exim check --tag: an incoming X-Backscatter header is removed, mail delivered" \
  only_in spoofed "$inbox" "$WORK/Maildir"
expect_header spoofed clean deliver

# A failing program (false, then missing): Exim defers, nothing is lost or
# filed; once the program works again, a queue run delivers everything.
for broken in false missing; do
  rm -f "$WORK/bin/backscatter-filter"
  [ "$broken" = false ] && cp /bin/false "$WORK/bin/backscatter-filter"
  fresh_maildir
  receive_four >/dev/null 2>&1
  sleep 0.5
  tap_check "exim: program $broken: nothing delivered, all 4 deferred in the queue" \
    test "$(delivered_count)" -eq 0 -a "$(queue_size)" = 4
  copy_program "$WORK/bin"
  as_bsftest "$EXIM_BIN" -C "$WORK/exim.conf" -qff >/dev/null 2>&1
  wait_for delivered_all 4
  tap_check "exim: program $broken: after a queue run with the program back, forged filed" \
    only_in forged "$folder" "$WORK/Maildir"
  n=0
  for c in genuine ordinary autoreply; do only_in "$c" "$inbox" "$WORK/Maildir" && n=$((n + 1)); done
  tap_check "exim: program $broken: ... and the other 3 in the inbox" test "$n" -eq 3
done

tap_finish
