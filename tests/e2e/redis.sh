#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# redis.sh: the Redis store end to end, against a real redis-server started
# for this test alone (unix socket in the test directory, or a loopback
# port), never a shared one: record/check/stats/dump/expire, keys' TTL,
# namespaces, two homes (hosts) sharing one store, AUTH, Redis down or
# hung (check delivers at once, record journals locally and the next
# record replays), Redis killed and restarted during 64 concurrent records
# and checks with nothing lost, and a replica serving check.
# Skipped (loudly) when the program was built without Redis or
# redis-server (Debian redis-server) is not installed.
. "$BSF_SRCDIR/tests/e2e/lib.inc"

REDIS_SERVER=$(command -v redis-server 2>/dev/null || true)
[ -n "$REDIS_SERVER" ] || { [ -x /usr/bin/redis-server ] && REDIS_SERVER=/usr/bin/redis-server; }
REDIS_CLI=$(dirname "${REDIS_SERVER:-/usr/bin/x}")/redis-cli
reason=""
case $("$BSF_BIN" --version) in *redis*) ;; *) reason="built without Redis (configure --with-redis, libhiredis-dev)" ;; esac
[ -z "$reason" ] && [ ! -x "$REDIS_SERVER" ] && reason="redis-server not installed (Debian redis-server)"
[ -z "$reason" ] && [ ! -x "$REDIS_CLI" ] && reason="redis-cli not installed (Debian redis-tools)"
if [ -n "$reason" ]; then
  for t in "record and check against Redis" "keys' TTL" "two homes share one store" \
           "namespaces keep stores apart" "AUTH" "Redis down" "Redis hung" \
           "Redis killed during 64 concurrent records and checks" \
           "a replica serves check"; do
    skip "$t" "$reason"
  done
  finish; exit $?
fi

SERVERS=""
cleanup() {
  for pidfile in $SERVERS; do
    [ -f "$pidfile" ] && kill -CONT "$(cat "$pidfile")" 2>/dev/null
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  [ -z "${BSF_KEEP_TMP:-}" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM HUP

# start_redis NAME [SERVER ARGS...]: a private server on $WORK/NAME/sock
# (no TCP unless ARGS give a port), data in $WORK/NAME. Waits until it
# answers PING (at most 10 s).
start_redis() {
  name=$1; shift
  mkdir -p "$WORK/$name"
  "$REDIS_SERVER" --port 0 --unixsocket "$WORK/$name/sock" --unixsocketperm 700 \
    --save '' --appendonly no --dir "$WORK/$name" --daemonize no "$@" \
    >> "$WORK/$name/log" 2>&1 &
  echo $! > "$WORK/$name/pid"
  case " $SERVERS " in *" $WORK/$name/pid "*) ;; *) SERVERS="$SERVERS $WORK/$name/pid" ;; esac
  tries=0
  while [ $tries -lt 200 ]; do
    if [ -S "$WORK/$name/sock" ] && redis_cli "$name" PING 2>/dev/null | grep -q PONG; then
      return 0
    fi
    kill -0 "$(cat "$WORK/$name/pid")" 2>/dev/null || return 1
    sleep 0.05; tries=$((tries + 1))
  done
  return 1
}
stop_redis() {   # stop_redis NAME [SIGNAL]
  pid=$(cat "$WORK/$1/pid")
  kill -"${2:-TERM}" "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rm -f "$WORK/$1/sock"
}
redis_cli() {    # redis_cli NAME ARGS... (with $REDIS_AUTH when set)
  name=$1; shift
  if [ -n "${REDIS_AUTH:-}" ]; then
    REDISCLI_AUTH=$REDIS_AUTH "$REDIS_CLI" -s "$WORK/$name/sock" "$@"
  else
    "$REDIS_CLI" -s "$WORK/$name/sock" "$@"
  fi
}

# rules_for HOME_DIR STORE_URL [MORE STORE KEYS]: a rule file in that home.
rules_for() {
  mkdir -p "$1/.config/backscatter-filter"
  {
    printf '[log]\nsyslog = no\nfile = %s/log\n' "$1"
    printf '[store]\npath = %s\n' "$2"
    [ $# -gt 2 ] && printf '%s\n' "$3"
  } > "$1/.config/backscatter-filter/rules.ini"
  chmod 600 "$1/.config/backscatter-filter/rules.ini"
}
# as_home HOME_DIR COMMAND ARGS...: run the program with that home's rules.
as_home() {
  h=$1; shift
  HOME=$h XDG_CONFIG_HOME=$h/.config XDG_STATE_HOME=$h/.local/state "$BSF_BIN" "$@"
}
# sent_message ID TO: a message the user sends now.
sent_message() {
  printf 'From: A User <user@example.org>\nTo: %s\nDate: %s\nMessage-ID: <%s>\nSubject: hi\n\nhello\n' \
    "$2" "$(date -R)" "$1"
}

start_redis main || { not_ok "redis-server starts" "$(cat "$WORK/main/log")"; finish; exit 1; }
SOCK=$WORK/main/sock

# --- record and check through the rule file's [store] path
A=$WORK/relay
rules_for "$A" "redis+unix://$SOCK" "namespace = site"
as_home "$A" record < "$MESSAGES/sent.eml" > "$WORK/rec.out" 2>&1
equal "record into Redis exits 0" "$?" 0
contains "record logs what it stored" "$(cat "$A/log")" "recorded 1 Message-ID(s) and 2 recipient(s)"
keys=$(redis_cli main --raw KEYS '*' | sort | tr '\n' ' ')
equal "keys carry the namespace" "$keys" \
  "site:!last site:!since site:m:20261120093000.sent-1@mail.example.org site:r:colleague@example.com site:r:old.friend@example.net "
dump=$(as_home "$A" dump)
contains "dump lists the ID (SCAN MATCH site:*)" "$dump" "msgid 20261120093000.sent-1@mail.example.org"
contains "dump lists a recipient" "$dump" "recipient old.friend@example.net"
contains "dump lists since" "$dump" " since"
stats=$(as_home "$A" stats)
contains "stats counts the ID" "$stats" "message-ids: 1"
contains "stats counts the recipients" "$stats" "recipients: 2"
contains "stats names the backend" "$stats" "backend: redis"
expire=$(as_home "$A" expire 2>&1)
equal "expire exits 0" "$?" 0
contains "expire says Redis expires entries itself" "$expire" "nothing to do"

# --- keys' TTL: the default 30 days from the entry's time; !since none
ttl=$(redis_cli main TTL "site:m:20261120093000.sent-1@mail.example.org")
check "a recorded ID expires within 30 days ($ttl s)" \
  test "$ttl" -gt $((30 * 86400 - 3600)) -a "$ttl" -le $((30 * 86400))
equal "!since never expires" "$(redis_cli main TTL 'site:!since')" "-1"
rules_for "$A" "redis+unix://$SOCK" "namespace = site
ttl = 2d"
sent_message "short-ttl.$$@example.org" "x@example.net" | as_home "$A" record
ttl=$(redis_cli main TTL "site:m:short-ttl.$$@example.org")
check "ttl = 2d gives keys 2 days ($ttl s)" test "$ttl" -gt $((2 * 86400 - 60)) -a "$ttl" -le $((2 * 86400))
rules_for "$A" "redis+unix://$SOCK" "namespace = site"

# --- two homes (hosts) share one store: the relay records, the mailbox host checks
B=$WORK/mailbox-host
rules_for "$B" "redis+unix://$SOCK" "namespace = site"
: > "$B/log"
as_home "$B" check < "$MESSAGES/exim-genuine.eml"
equal "mailbox host: the relay's record makes the bounce genuine (exit 0)" "$?" 0
contains "mailbox host: genuine, by the Message-ID" "$(cat "$B/log")" "verdict=genuine kind=ndr"
fresh_bounce "forged.$$@example.org" "nobody@example.net" > "$WORK/forged.eml"
: > "$B/log"
as_home "$B" check < "$WORK/forged.eml"
equal "mailbox host: a forged bounce is filed (exit 2)" "$?" 2
contains "mailbox host: backscatter" "$(cat "$B/log")" "verdict=backscatter"
sent_message "from-b.$$@example.org" "z@example.net" | as_home "$B" record
fresh_bounce "from-b.$$@example.org" "z@example.net" > "$WORK/bounce-b.eml"
: > "$A/log"
as_home "$A" check < "$WORK/bounce-b.eml"
equal "and the other way round: B's record is seen by A (exit 0)" "$?" 0
contains "A judges B's bounce genuine" "$(cat "$A/log")" "verdict=genuine"

# --- namespaces keep stores apart on one server
C=$WORK/other-site
rules_for "$C" "redis+unix://$SOCK" "namespace = other"
: > "$C/log"
as_home "$C" check < "$MESSAGES/exim-genuine.eml"
equal "another namespace: exit 0 (delivered)" "$?" 0
contains "another namespace knows nothing" "$(cat "$C/log")" "verdict=unknown"
equal "another namespace: dump is empty" "$(as_home "$C" dump)" ""

# --- AUTH over a loopback TCP port, the password from the rule file
PASSWORD="pw-$$-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
port=""
REDIS_AUTH=$PASSWORD     # for redis_cli's PING while starting
for try in 1 2 3 4 5; do
  candidate=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
  if start_redis auth --port "$candidate" --bind 127.0.0.1 --requirepass "$PASSWORD"; then
    port=$candidate; break
  fi
  stop_redis auth 2>/dev/null
done
REDIS_AUTH=""
if [ -z "$port" ]; then
  not_ok "AUTH: a server on a free loopback port" "$(tail -5 "$WORK/auth/log")"
else
  D=$WORK/auth-home
  rules_for "$D" "redis://127.0.0.1:$port/2" "password = $PASSWORD"
  as_home "$D" record < "$MESSAGES/sent.eml"
  equal "AUTH: record with the rule file's password exits 0" "$?" 0
  REDIS_AUTH=$PASSWORD
  equal "AUTH: the entry is in database 2" \
    "$(redis_cli auth -n 2 EXISTS 'bsf:m:20261120093000.sent-1@mail.example.org')" 1
  REDIS_AUTH=""
  : > "$D/log"
  as_home "$D" check < "$MESSAGES/exim-genuine.eml"
  equal "AUTH: check exits 0" "$?" 0
  contains "AUTH: genuine" "$(cat "$D/log")" "verdict=genuine"
  rules_for "$D" "redis://127.0.0.1:$port/2" "password = wrong-$PASSWORD"
  : > "$D/log"
  as_home "$D" check < "$WORK/forged.eml"
  equal "AUTH: a wrong password delivers (exit 0)" "$?" 0
  contains "AUTH: ... delivered on store trouble" "$(cat "$D/log")" "outcome=deliver"
  contains "AUTH: ... saying why" "$(cat "$D/log")" "WRONGPASS"
  equal "AUTH: ... in one log line" "$(grep -c . "$D/log")" 1
  log_text=$(cat "$D/log")
  case $log_text in *"$PASSWORD"*) not_ok "AUTH: the log never shows the password" "$log_text" ;;
                    *) ok "AUTH: the log never shows the password" ;; esac
  rules_for "$D" "redis://127.0.0.1:$port/2"
  : > "$D/log"
  as_home "$D" record < "$MESSAGES/sent.eml" > "$WORK/noauth.out" 2>&1
  equal "AUTH: record without the password exits 0 (journaled, nothing lost)" "$?" 0
  contains "AUTH: ... journaled, saying NOAUTH" "$(cat "$D/log")" "outcome=journaled"
  contains "AUTH: ... saying NOAUTH" "$(cat "$D/log")" "NOAUTH"
  as_home "$D" stats --store "redis://:$PASSWORD@127.0.0.1:$port/2" > "$WORK/cmdline.out" 2>&1
  check "a password on the command line is refused" test "$?" -ne 0
  contains "... pointing to the rule file" "$(cat "$WORK/cmdline.out")" "[store] password"
  stop_redis auth
fi

# --- Redis hung (SIGSTOP): check gives up after the timeout and delivers
E=$WORK/hung-home
rules_for "$E" "redis+unix://$SOCK" "namespace = site
timeout = 200ms"
kill -STOP "$(cat "$WORK/main/pid")"
: > "$E/log"
as_home "$E" check < "$WORK/forged.eml" > "$WORK/hung.out" 2>&1
equal "Redis hung: check exits 0 (deliver)" "$?" 0
contains "Redis hung: delivered on store trouble" "$(cat "$E/log")" "outcome=deliver"
contains "Redis hung: the log says it timed out" "$(cat "$E/log")" "timed out"
equal "Redis hung: one log line" "$(grep -c . "$E/log")" 1
sent_message "while-hung.$$@example.org" "h@example.net" | as_home "$E" record > "$WORK/hung-rec.out" 2>&1
equal "Redis hung: record exits 0 (journaled)" "$?" 0
contains "Redis hung: record says it journaled" "$(tail -1 "$E/log")" "outcome=journaled"
check "Redis hung: the journal is local, named after the namespace" \
  grep -q "while-hung.$$@example.org" "$E/.local/state/backscatter-filter/redis-site.journal"
# dump cannot list what it cannot reach: it fails, loudly (exit 1 and why),
# rather than print a partial or empty list that reads as "nothing stored".
as_home "$E" dump > "$WORK/hung-dump.out" 2> "$WORK/hung-dump.err"
equal "Redis hung: dump exits 1" "$?" 1
contains "Redis hung: dump says it timed out" "$(cat "$WORK/hung-dump.err")" "timed out"
kill -CONT "$(cat "$WORK/main/pid")"

# --- Redis down: check delivers at once, record answers 75
stop_redis main
: > "$E/log"
as_home "$E" check < "$WORK/forged.eml"
equal "Redis down: check exits 0 (deliver)" "$?" 0
contains "Redis down: delivered on store trouble" "$(cat "$E/log")" "outcome=deliver"
contains "Redis down: the log says Redis is unreachable" "$(cat "$E/log")" "Redis unreachable"
equal "Redis down: one log line" "$(grep -c . "$E/log")" 1
sent_message "while-down.$$@example.org" "d@example.net" | as_home "$E" record > "$WORK/down-rec.out" 2>&1
equal "Redis down: record exits 0 (journaled)" "$?" 0
contains "Redis down: record says it journaled" "$(tail -1 "$E/log")" "outcome=journaled"

# --- Redis back: the next record replays the journal into it
start_redis main || not_ok "redis-server restarts" "$(tail -5 "$WORK/main/log")"
# One replayer at a time (a Redis store has no lock of its own): while
# another holds the replay lock, a record stores its own entry and leaves
# the journal whole for it.
JOURNAL=$E/.local/state/backscatter-filter/redis-site.journal
if command -v flock > /dev/null; then
  exec 9> "$JOURNAL.replay"      # this shell holds the replay lock, on fd 9
  flock -x 9
  sent_message "beside-replay.$$@example.org" "b@example.net" | as_home "$E" record
  equal "replay lock held: record exits 0" "$?" 0
  check "replay lock held: the journal is left whole" grep -q "while-down.$$@example.org" "$JOURNAL"
  check "replay lock held: the record's own entry is in Redis" \
    test "$(redis_cli main EXISTS "site:m:beside-replay.$$@example.org")" = 1
  exec 9>&-
else
  skip "replay lock held" "flock(1) not installed (Debian util-linux)"
fi
sent_message "after.$$@example.org" "a@example.net" | as_home "$E" record
equal "Redis back: record exits 0" "$?" 0
dump=$(as_home "$E" dump)
contains "Redis back: the entry journaled while hung is in Redis" "$dump" "msgid while-hung.$$@example.org"
contains "Redis back: the entry journaled while down is in Redis" "$dump" "msgid while-down.$$@example.org"
contains "Redis back: and the new one" "$dump" "msgid after.$$@example.org"
check "Redis back: the journal is empty" \
  test ! -s "$E/.local/state/backscatter-filter/redis-site.journal"
equal "Redis back: a replayed entry carries its TTL" \
  "$(redis_cli main TTL "site:m:while-down.$$@example.org" | cut -c1-3)" "259"

# --- killed and restarted during 64 concurrent records and checks: every
# record succeeded or journaled (exit 0; a 75 would be retried, as an MTA
# does); every check delivered; once Redis is back the next record replays
# the journal and every ID is there.
# Append-only file with fsync always: what Redis acknowledged survives -9.
start_redis crash --appendonly yes --appendfsync always
CS=$WORK/crash/sock
F=$WORK/crash-home
rules_for "$F" "redis+unix://$CS" "namespace = site
timeout = 1s"
sent_message "seed.$$@example.org" "seed@example.net" | as_home "$F" record
fresh_bounce "seed.$$@example.org" "seed@example.net" > "$WORK/seed-bounce.eml"
mkdir -p "$WORK/runs"
jobs_started="" restart_failed="" outage_records=""
i=0
while [ $i -lt 32 ]; do
  ( sent_message "burst-$i.$$@example.org" "r$i@example.net" > "$WORK/runs/msg-$i"
    as_home "$F" record < "$WORK/runs/msg-$i" > /dev/null 2>&1
    echo $? > "$WORK/runs/record-$i" ) &
  jobs_started="$jobs_started $!"
  # Records started while Redis is down finish before it restarts, so some
  # surely meet the outage however slow the machine (valgrind, ASan): the
  # journal is exercised on every run, not only when the timing allows.
  [ $i -ge 12 ] && [ $i -lt 22 ] && outage_records="$outage_records $!"
  ( as_home "$F" check < "$WORK/seed-bounce.eml" > /dev/null 2>&1
    echo $? > "$WORK/runs/check-$i" ) &
  jobs_started="$jobs_started $!"
  i=$((i + 1))
  [ $i -eq 12 ] && stop_redis crash KILL
  if [ $i -eq 22 ]; then
    for job in $outage_records; do wait "$job"; done
    start_redis crash --appendonly yes --appendfsync always || restart_failed=yes
  fi
done
for job in $jobs_started; do wait "$job"; done   # not the servers
equal "crash: redis-server restarts after -9 (AOF loaded)" "${restart_failed:-no}" no
# The burst ran with a 1 s timeout on purpose (a timeout there is an
# outage like any other: journaled). What follows verifies: a busy machine
# must not make its replay or dump time out, so 10 s.
rules_for "$F" "redis+unix://$CS" "namespace = site
timeout = 10s"
# Redis is back: the next record replays what was journaled meanwhile.
sent_message "after-crash.$$@example.org" "ac@example.net" | as_home "$F" record
equal "crash: the record after the restart exits 0" "$?" 0
bad_records="" retried=0 bad_checks=""
i=0
while [ $i -lt 32 ]; do
  r=$(cat "$WORK/runs/record-$i" 2>/dev/null)
  case $r in
    0) ;;
    75) retried=$((retried + 1))
        as_home "$F" record < "$WORK/runs/msg-$i" > /dev/null 2>&1 || bad_records="$bad_records retry-$i" ;;
    *) bad_records="$bad_records $i:$r" ;;
  esac
  c=$(cat "$WORK/runs/check-$i" 2>/dev/null)
  [ "$c" = 0 ] || bad_checks="$bad_checks $i:$c"
  i=$((i + 1))
done
equal "crash: every record exited 0 or 75 ($retried answered 75 and were retried)" "$bad_records" ""
journaled=$(grep -c "outcome=journaled" "$F/log")
check "crash: some records met the outage and were journaled ($journaled)" test "$journaled" -gt 0
equal "crash: every check delivered" "$bad_checks" ""
missing=""
dump=$(as_home "$F" dump 2> "$WORK/crash-dump.err")
equal "crash: dump exits 0 (Redis and the journal both listed)" "$?:$(cat "$WORK/crash-dump.err")" "0:"
i=0
while [ $i -lt 32 ]; do
  case $dump in *"msgid burst-$i.$$@example.org"*) ;; *) missing="$missing $i" ;; esac
  i=$((i + 1))
done
if [ -n "$missing" ]; then
  # Say enough to tell a lost entry from a test fault: each missing ID's
  # record exit code and log lines, and the journal files left.
  for i in $missing; do
    echo "# burst-$i: record exit $(cat "$WORK/runs/record-$i" 2>/dev/null)"
    grep -F "burst-$i.$$@" "$F/log" | sed 's/^/#   /'
  done
  for j in "$F"/.local/state/backscatter-filter/redis-site.journal*; do
    [ -f "$j" ] && echo "# $j: $(wc -l < "$j") lines"
  done
  tail -5 "$WORK/crash/log" | sed 's/^/# redis: /'
fi
equal "crash: nothing lost once Redis is back (32 IDs)" "$missing" ""
contains "crash: the seed recorded before the kill survived" "$dump" "msgid seed.$$@example.org"

# --- a replica serves check while the primary takes records: the relay
# records into the primary, a mailbox host checks against a read-only
# replica (--replicaof); a record sent to the replica by mistake is
# refused (READONLY) and journaled, nothing lost.
stop_redis crash
primary_port=""
for try in 1 2 3 4 5; do
  candidate=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
  if start_redis primary --port "$candidate" --bind 127.0.0.1; then
    primary_port=$candidate; break
  fi
  stop_redis primary 2>/dev/null
done
if [ -z "$primary_port" ] || ! start_redis replica --replicaof 127.0.0.1 "$primary_port"; then
  not_ok "replica: a primary and its replica start" "$(tail -3 "$WORK/primary/log" "$WORK/replica/log" 2>/dev/null)"
else
  REL=$WORK/relay-host MBX=$WORK/replica-host
  rules_for "$REL" "redis://127.0.0.1:$primary_port/0" "namespace = site"
  rules_for "$MBX" "redis+unix://$WORK/replica/sock" "namespace = site"
  sent_message "via-primary.$$@example.org" "p@example.net" | as_home "$REL" record
  equal "replica: the relay records into the primary" "$?" 0
  tries=0       # replication is asynchronous: wait for the key (at most 10 s)
  while [ "$(redis_cli replica EXISTS "site:m:via-primary.$$@example.org")" != 1 ] && [ $tries -lt 200 ]; do
    sleep 0.05; tries=$((tries + 1))
  done
  fresh_bounce "via-primary.$$@example.org" "p@example.net" > "$WORK/replica-bounce.eml"
  : > "$MBX/log"
  as_home "$MBX" check < "$WORK/replica-bounce.eml"
  equal "replica: the mailbox host's check against the replica exits 0" "$?" 0
  contains "replica: ... and finds the original (genuine)" "$(cat "$MBX/log")" "verdict=genuine"
  sent_message "to-replica.$$@example.org" "q@example.net" | as_home "$MBX" record
  equal "replica: a record sent to the replica exits 0" "$?" 0
  contains "replica: ... refused (READONLY) and journaled" "$(tail -1 "$MBX/log")" "READONLY"
  check "replica: ... into the local journal" \
    grep -q "to-replica.$$@example.org" "$MBX/.local/state/backscatter-filter/redis-site.journal"
  stop_redis replica
  stop_redis primary
fi

finish
