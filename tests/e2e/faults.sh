#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# faults.sh: the fault matrix end to end. Each case asserts the exit code,
# the output and the log line: the store missing, unreadable, not GDBM,
# truncated, locked past the wait, its directory not writable, writable by
# others; the rule file missing, unreadable, broken, with a bad value,
# writable by others; disk full while recording (RLIMIT_FSIZE); out of
# memory (RLIMIT_AS); odd stdin; stdout closed in --tag and record
# --passthrough; record killed (SIGKILL) then the store used again; and a
# load test (64 concurrent check and record processes, three rounds, expire
# in between). `check` must always end in deliver (or tempfail where the
# rule file says so); --tag and --passthrough give the message back intact
# or say with exit 75 that they did not.
#
# Limits: permission cases need a user the store does not belong to; run as
# root, they run the program as nobody (setpriv), else as ourselves. The
# out-of-memory case is skipped under AddressSanitizer (RLIMIT_AS and its
# shadow memory do not mix). The whole script takes well under 2 minutes.
. "$BSF_SRCDIR/tests/e2e/lib.inc"

msg_count() { grep -c . "$1" 2>/dev/null || echo 0; }
sanitized() {
  [ -n "${BSF_SANITIZED:-}" ] && return 0
  # An ASan build carries the runtime's symbols.
  grep -q "__asan_init" "$BSF_BIN" 2>/dev/null
}
# new_log_line: what the last command appended to $LOG.
mark_log() { lines_before=$( [ -f "$LOG" ] && wc -l < "$LOG" || echo 0); }
new_log() { [ -f "$LOG" ] && tail -n +$((lines_before + 1)) "$LOG"; }

write_rules
"$BSF_BIN" record -c "$RULES" < "$MESSAGES/sent.eml" > /dev/null 2>&1
fresh_bounce "forged.$$@example.org" "nobody@example.net" > "$WORK/forged.eml"
cp "$STORE" "$WORK/good.db"

# --- the store --------------------------------------------------------
store_case() {   # store_case NAME WANT_IN_LOG: judge a forged bounce
  run_check "$WORK/sc" "$WORK/forged.eml"
  equal "store $1: exit deliver (0)" "$status" 0
  equal "store $1: nothing on stdout" "$(cat "$WORK/sc.out")" ""
  equal "store $1: one log line" "$log_lines" 1
  contains "store $1: log says why" "$log_line" "$2"
  run_check "$WORK/sc" "$WORK/forged.eml" --tag
  tail -n +2 "$WORK/sc.out" > "$WORK/sc.rest"
  if [ "$status" -eq 0 ] && cmp -s "$WORK/sc.rest" "$WORK/forged.eml"; then
    ok "store $1 with --tag: exit 0, message intact"
  else
    not_ok "store $1 with --tag: exit 0, message intact" "exit $status"
  fi
}
rm -f "$STORE"
# A store not created yet is no trouble: nothing to check against (issue 12).
store_case "missing" "reason=\"no store to check against\""
printf 'this is not a GDBM file\n%.0s' $(seq 1 200) > "$STORE"; chmod 600 "$STORE"
store_case "not a GDBM file" "error=store"
head -c 100 "$WORK/good.db" > "$STORE"
store_case "cut to 100 bytes" "error=store"
size=$(stat -c %s "$WORK/good.db")
head -c $((size / 2)) "$WORK/good.db" > "$STORE"
run_check "$WORK/sc" "$WORK/forged.eml"
equal "store cut in half: exit deliver (0)" "$status" 0
case $log_line in
  *error=store*|*verdict=unknown*) ok "store cut in half: store error or unknown, never backscatter" ;;
  *) not_ok "store cut in half: store error or unknown, never backscatter" "$log_line" ;;
esac
cp "$WORK/good.db" "$STORE"
chmod 660 "$STORE"
store_case "writable by group" "writable by group or others"
chmod 600 "$STORE"; chmod 770 "$(dirname "$STORE")"
store_case "directory writable by group" "writable by group or others"
chmod 700 "$(dirname "$STORE")"

# Locked by another process past the wait bound (lock_wait = 300ms).
if command -v flock > /dev/null; then
  # The holder is sleep itself (exec), so killing it releases the lock
  # however slow the cases below run (valgrind).
  ( exec 8> "$STORE.lock"; flock -x 8; exec sleep 60 ) &
  holder=$!
  sleep 0.3
  started=$(date +%s%N)
  store_case "locked past the wait" "error=locked"
  run_check "$WORK/lk" "$WORK/forged.eml"
  waited=$(( ($(date +%s%N) - started) / 1000000 ))
  "$BSF_BIN" record -c "$RULES" < "$MESSAGES/sent.eml" > "$WORK/lk.out" 2> "$WORK/lk.err"
  equal "locked store: record puts the entry in the journal, exit 0" "$?" 0
  "$BSF_BIN" record -c "$RULES" --passthrough < "$MESSAGES/sent.eml" > "$WORK/lk.out" 2> "$WORK/lk.err"
  equal "locked store: record --passthrough exits 0" "$?" 0
  check "locked store: record --passthrough output intact" cmp -s "$WORK/lk.out" "$MESSAGES/sent.eml"
  equal "locked store: record --passthrough stderr silent" "$(cat "$WORK/lk.err")" ""
  echo "# three checks on a locked store took ${waited} ms (lock_wait 300ms each)"
  kill "$holder"
  wait "$holder" 2> /dev/null
else
  skip "locked store" "flock(1) missing"
fi

# Permission cases run as a user the files do not let in. As root (who
# reads everything) that is nobody, in a directory nobody owns.
if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null; then
  chmod 711 "$WORK"
  OTHER=$WORK/other
  mkdir -p "$OTHER/store"
  as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$OTHER" "$@"; }
elif [ "$(id -u)" -ne 0 ]; then
  OTHER=$WORK/other
  mkdir -p "$OTHER/store"
  as_user() { "$@"; }
fi
if [ -n "${OTHER:-}" ]; then
  other_rules() {
    printf '[store]\npath = %s\nlock_wait = 300ms\n[log]\nsyslog = no\nfile = %s\n' \
      "$OTHER/store/sent.db" "$OTHER/log" > "$OTHER/rules.ini"
    chmod 600 "$OTHER/rules.ini"
  }
  other_rules
  : > "$OTHER/log"
  [ "$(id -u)" -eq 0 ] && chown -R 65534:65534 "$OTHER"
  chmod 700 "$OTHER/store" "$OTHER"
  as_user "$BSF_BIN" record -c "$OTHER/rules.ini" < "$MESSAGES/sent.eml" > /dev/null 2>&1
  equal "as another user: record works (set-up)" "$?" 0
  other_check() {   # other_check NAME WANT_IN_LOG [ARGS]
  name=$1 want=$2; shift 2
    before=$(wc -l < "$OTHER/log")
    as_user "$BSF_BIN" check "$@" < "$WORK/forged.eml" > "$WORK/oc.out" 2> "$WORK/oc.err"
    st=$?
    line=$(tail -n +$((before + 1)) "$OTHER/log"; cat "$WORK/oc.err")
    equal "$name: exit deliver (0)" "$st" 0
    contains "$name: log says why" "$line" "$want"
  }
  chmod 000 "$OTHER/store/sent.db"
  other_check "store unreadable" "error=store" -c "$OTHER/rules.ini"
  chmod 600 "$OTHER/store/sent.db"
  rm -f "$OTHER/store/sent.db" "$OTHER/store/sent.db.lock"
  chmod 500 "$OTHER/store"
  before=$(wc -l < "$OTHER/log")
  as_user "$BSF_BIN" record -c "$OTHER/rules.ini" < "$MESSAGES/sent.eml" > /dev/null 2> "$WORK/od.err"
  equal "store directory not writable (no journal either): record exits tempfail (75)" "$?" 75
  contains "store directory not writable: record logs it" "$(tail -n +$((before + 1)) "$OTHER/log")" "error=store"
  other_check "store directory not writable" "no store to check against" -c "$OTHER/rules.ini"
  chmod 700 "$OTHER/store"
  chmod 000 "$OTHER/rules.ini"
  other_check "rule file unreadable" "error=config" -c "$OTHER/rules.ini" --explain
  contains "rule file unreadable: says so" "$(cat "$WORK/oc.err")" "cannot open"
  chmod 600 "$OTHER/rules.ini"
else
  skip "permission cases" "root without setpriv(1)"
fi

# --- the rule file (its log line goes to syslog and, with --explain, stderr)
rule_case() {   # rule_case NAME FILE WANT_ON_STDERR
  "$BSF_BIN" check -c "$2" --explain < "$WORK/forged.eml" > "$WORK/r.out" 2> "$WORK/r.err"
  equal "rule file $1: exit deliver (0)" "$?" 0
  equal "rule file $1: one error line" "$(grep -c ' error=config' "$WORK/r.err")" 1
  contains "rule file $1: says why" "$(cat "$WORK/r.err")" "$3"
  "$BSF_BIN" check -c "$2" --tag < "$WORK/forged.eml" > "$WORK/r.out" 2> "$WORK/r.err"
  st=$?
  tail -n +2 "$WORK/r.out" > "$WORK/r.rest"
  if [ "$st" -eq 0 ] && cmp -s "$WORK/r.rest" "$WORK/forged.eml" && [ ! -s "$WORK/r.err" ]; then
    ok "rule file $1 with --tag: exit 0, message intact, stderr silent"
  else
    not_ok "rule file $1 with --tag: exit 0, message intact, stderr silent" "exit $st"
  fi
  # Nothing unproven is filed: the forged bounce is judged without rules.
  contains "rule file $1: the X-Backscatter header says deliver" "$(head -1 "$WORK/r.out")" "action=deliver"
}
rule_case "missing" "$WORK/missing.ini" "cannot open"
printf '[actions\nbackscatter = file\n' > "$WORK/syntax.ini"; chmod 600 "$WORK/syntax.ini"
rule_case "syntax error" "$WORK/syntax.ini" "syntax.ini:1"
printf '[store]\nttl = forever\n' > "$WORK/value.ini"; chmod 600 "$WORK/value.ini"
rule_case "bad value" "$WORK/value.ini" "value.ini:2"
write_rules
chmod 666 "$RULES"
rule_case "world-writable" "$RULES" "writable by group or others"
chmod 620 "$RULES"
rule_case "group-writable" "$RULES" "refusing it"
chmod 600 "$RULES"
# Its directory: anyone who may write it could swap the file (issue 10.10).
mkdir "$WORK/open"; cp "$RULES" "$WORK/open/rules.ini"; chmod 777 "$WORK/open"
rule_case "in a world-writable directory" "$WORK/open/rules.ini" "is writable by group or others (mode 0777) and not sticky"
chmod 1777 "$WORK/open"        # sticky, as /tmp: no one else may rename it
"$BSF_BIN" check -c "$WORK/open/rules.ini" --explain < "$WORK/forged.eml" > /dev/null 2> "$WORK/r.err"
equal "rule file in a sticky directory: loads (no config error)" "$(grep -c '^error=config' "$WORK/r.err")" 0
chmod 700 "$WORK/open"
if [ "$(id -u)" -eq 0 ]; then
  chown 65534 "$WORK/open"
  rule_case "in a directory owned by another user" "$WORK/open/rules.ini" "owned by uid 65534"
  chown 0 "$WORK/open"
else
  skip "rule file in a directory owned by another user" "needs root to give it away"
fi
# The [classify] signatures file gets the same checks: whoever may write it
# can turn a colleague's reply into filed backscatter.
printf 'subject autoreply site-ooo Out of office\n' > "$WORK/sig.txt"
write_rules "$(printf '[classify]\nsignatures = %s' "$WORK/sig.txt")"
chmod 600 "$WORK/sig.txt"
"$BSF_BIN" check -c "$RULES" --explain < "$WORK/forged.eml" > /dev/null 2> "$WORK/r.err"
equal "signatures file 0600: loads (no config error)" "$(grep -c '^error=config' "$WORK/r.err")" 0
chmod 666 "$WORK/sig.txt"
rule_case "whose signatures file is world-writable" "$RULES" "sig.txt: writable by group or others (mode 0666)"
chmod 600 "$WORK/sig.txt"
mkdir "$WORK/sigdir"; mv "$WORK/sig.txt" "$WORK/sigdir/sig.txt"; chmod 757 "$WORK/sigdir"
write_rules "$(printf '[classify]\nsignatures = %s' "$WORK/sigdir/sig.txt")"
rule_case "whose signatures file's directory is world-writable" "$RULES" "and not sticky"
chmod 700 "$WORK/sigdir"
if [ "$(id -u)" -eq 0 ]; then
  chown 65534 "$WORK/sigdir/sig.txt"
  rule_case "whose signatures file belongs to another user" "$RULES" "owned by uid 65534"
else
  skip "signatures file owned by another user" "needs root to give it away"
fi
write_rules
printf '[store]\npath = %s\n[exit]\non_error = tempfail\n' "$WORK/nostore/sent.db" > "$WORK/tf.ini"
chmod 600 "$WORK/tf.ini"
"$BSF_BIN" check -c "$WORK/tf.ini" --explain < "$WORK/forged.eml" > /dev/null 2> "$WORK/tf.err"
equal "on_error = tempfail: a missing store is no trouble, exit 0 (issue 12)" "$?" 0
contains "on_error = tempfail: missing store: unknown, delivered" "$(cat "$WORK/tf.err")" "verdict=unknown kind=dsn action=deliver"
"$BSF_BIN" check -c "$WORK/tf.ini" --explain < "$WORK/forged.eml" > /dev/null 2> "$WORK/tf.err"
printf 'not a GDBM file\n' > "$WORK/tf.db"; chmod 600 "$WORK/tf.db"
printf '[store]\npath = %s\n[exit]\non_error = tempfail\n' "$WORK/tf.db" > "$WORK/tf.ini"
"$BSF_BIN" check -c "$WORK/tf.ini" --explain < "$WORK/forged.eml" > /dev/null 2> "$WORK/tf.err"
equal "on_error = tempfail: a broken store exits 75" "$?" 75
contains "on_error = tempfail: logged as tempfail" "$(cat "$WORK/tf.err")" "outcome=tempfail"

# --- disk full while recording (RLIMIT_FSIZE; SIGXFSZ must not kill us)
cp "$WORK/good.db" "$STORE"; chmod 600 "$STORE"
python3 - "$WORK/bulk.eml" <<'PY' 2>/dev/null || awk 'BEGIN { printf "From: user@example.org\nMessage-ID: <bulk.1@example.org>\nTo: "; for (i = 0; i < 900; i++) printf "%srcpt%d@example.net", (i ? ", " : ""), i; printf "\nSubject: bulk\n\nbody\n" }' > "$WORK/bulk.eml"
import sys
with open(sys.argv[1], "w") as f:
    f.write("From: user@example.org\nMessage-ID: <bulk.1@example.org>\nTo: ")
    f.write(", ".join("rcpt%d@example.net" % i for i in range(900)))
    f.write("\nSubject: bulk\n\nbody\n")
PY
mark_log
( ulimit -f 64; exec "$BSF_BIN" record -c "$RULES" < "$WORK/bulk.eml" > /dev/null 2> "$WORK/df.err" )
equal "disk full: record puts it in the journal, exit 0 (not killed by SIGXFSZ)" "$?" 0
contains "disk full: logged as journaled, with the store's trouble" "$(new_log)" "outcome=journaled"
mark_log
( ulimit -f 64; exec "$BSF_BIN" record -c "$RULES" --passthrough < "$WORK/bulk.eml" > "$WORK/df.out" 2> "$WORK/df.err" )
equal "disk full, journal full too: record --passthrough exits tempfail (75)" "$?" 75
check "disk full: record --passthrough output intact" cmp -s "$WORK/df.out" "$WORK/bulk.eml"
equal "disk full: record --passthrough stderr silent" "$(cat "$WORK/df.err")" ""
contains "disk full: record --passthrough logs 'not recorded'" "$(new_log)" "not_recorded"
run_check "$WORK/dfc" "$MESSAGES/exim-genuine.eml"
equal "after disk full: the store still answers (exit 0)" "$status" 0
contains "after disk full: genuine bounce still genuine" "$log_line" "verdict=genuine"
"$BSF_BIN" record -c "$RULES" < "$WORK/bulk.eml" > /dev/null 2>&1
equal "after disk full: with room, record works" "$?" 0
contains "after disk full: old and new entries kept" "$("$BSF_BIN" dump -c "$RULES" | grep -c 'sent-1@mail.example.org\|bulk.1@example.org')" 2

# --- disk full while delivering (check --deliver): exit 75, and the mailbox
# exactly as it was (an mbox cut back to its old size; no file left in a
# maildir's new/ or tmp/, no number or temporary file in an MH folder);
# then, with room, the message is delivered once. Twice: past a file-size
# limit (RLIMIT_FSIZE, EFBIG) and, where we may mount one, on a full tmpfs
# (ENOSPC).
awk 'BEGIN { printf "From: a@example.net\nSubject: big\nMessage-ID: <full.1@example.net>\n\n"; for (i = 0; i < 5000; i++) printf "From line %d of a message that will not fit, padded out to eighty bytes.\n", i }' > "$WORK/full.eml"
deliver_full_case() {   # deliver_full_case HOW DIR [ulimit -f KB]
  how=$1 dir=$2 limit=${3:-unlimited}
  # An mbox already holding one message, whose last line ends without a
  # newline (a reader must still find our From line at a line start).
  { printf 'From old@example.net Mon Nov 30 00:00:00 2026\nSubject: old\n\n'
    head -c 120000 /dev/zero | tr '\0' 'o' | fold -w 79; } > "$dir/mbox"
  cp "$dir/mbox" "$WORK/mbox.before"
  for target in "$dir/mbox" "$dir/Maildir/" "mh:$dir/mh"; do
    mark_log
    ( ulimit -f "$limit"; exec "$BSF_BIN" check -c "$RULES" --deliver "$target" < "$WORK/full.eml" > /dev/null 2> "$WORK/full.err" )
    equal "disk full ($how), --deliver $target: exit 75" "$?" 75
    contains "disk full ($how), --deliver $target: logged as tempfail" "$(new_log)" "outcome=tempfail"
  done
  check "disk full ($how): the mbox is byte-identical" cmp -s "$dir/mbox" "$WORK/mbox.before"
  equal "disk full ($how): nothing in the maildir (new/, tmp/)" "$(find "$dir/Maildir" -type f | wc -l | tr -d ' ')" 0
  equal "disk full ($how): nothing in the MH folder" "$(ls -A "$dir/mh" | wc -l | tr -d ' ')" 0
  equal "disk full ($how): no lock file left" "$(ls -A "$dir" | grep -c '\.lock')" 0
}
deliver_after_room() {   # deliver_after_room HOW DIR: the retry with room
  how=$1 dir=$2
  for target in "$dir/mbox" "$dir/Maildir/" "mh:$dir/mh"; do
    "$BSF_BIN" check -c "$RULES" --deliver "$target" < "$WORK/full.eml" > /dev/null 2>&1
    equal "disk full ($how), then room: --deliver $target exits 0" "$?" 0
  done
  { cat "$WORK/mbox.before"; printf '\n\n'; } > "$WORK/mbox.want"
  head -c "$(stat -c %s "$WORK/mbox.want")" "$dir/mbox" > "$WORK/mbox.head"
  check "disk full ($how), then room: the old mbox content kept" cmp -s "$WORK/mbox.head" "$WORK/mbox.want"
  equal "disk full ($how), then room: the message in the mbox once" "$(grep -c '^Message-ID: <full.1@example.net>' "$dir/mbox")" 1
  equal "disk full ($how), then room: two From lines in the mbox" "$(grep -c '^From ' "$dir/mbox")" 2
  check "disk full ($how), then room: the maildir copy whole" cmp -s "$(find "$dir/Maildir/new" -type f | head -1)" "$WORK/full.eml"
  check "disk full ($how), then room: the MH copy whole, as message 1" cmp -s "$dir/mh/1" "$WORK/full.eml"
}
mkdir -p "$WORK/fsize"
deliver_full_case "file-size limit" "$WORK/fsize" 256
deliver_after_room "file-size limit" "$WORK/fsize"
# A real full file system: a 2 MB tmpfs (root in a mount-capable place).
full=$WORK/tmpfs
mkdir -p "$full"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=2m,mode=0700 bsf-e2e-full "$full" 2> /dev/null; then
  trap 'umount "$full" 2>/dev/null; rm -rf "$WORK"' EXIT
  # Fill it to about 150 KB free, the mbox included.
  head -c 1800000 /dev/zero > "$full/filler"
  deliver_full_case "tmpfs" "$full"
  rm -f "$full/filler"
  deliver_after_room "tmpfs" "$full"
  umount "$full"
  trap 'rm -rf "$WORK"' EXIT
else
  skip "disk full on a tmpfs" "cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN)"
fi

# --- out of memory (RLIMIT_AS): Mailutils aborts on a failed allocation
if sanitized; then
  skip "out of memory" "sanitizer build (RLIMIT_AS and shadow memory do not mix)"
else
  { cat "$MESSAGES/exim-genuine.eml"; head -c 3000000 /dev/zero | tr '\0' 'a' | fold -w 76; } > "$WORK/bigbounce.eml"
  # Find the smallest address-space limit the program starts with at all,
  # then walk up through the region where its allocations fail.
  floor=2048
  while [ $floor -lt 65536 ] && ! ( ulimit -v $floor; exec "$BSF_BIN" --version ) > /dev/null 2>&1; do
    floor=$((floor + 128))
  done
  bad= oom=0 normal=0 tagged_bad=
  limit=$floor
  while [ $limit -le $((floor + 6144)) ]; do
    mark_log
    ( ulimit -v $limit; exec "$BSF_BIN" check -c "$RULES" < "$WORK/bigbounce.eml" > /dev/null 2>&1 )
    st=$?
    line=$(new_log)
    case $st:$line in
      0:*error=memory*) oom=$((oom + 1)) ;;
      0:*verdict=*) normal=$((normal + 1)) ;;
      0:*) ;;                                 # could not even open its log
      *) bad="$bad $limit:$st" ;;
    esac
    ( ulimit -v $limit; exec "$BSF_BIN" check -c "$RULES" --tag < "$WORK/bigbounce.eml" > "$WORK/oom.out" 2>/dev/null )
    st=$?
    if [ $st -eq 0 ]; then
      tail -n +2 "$WORK/oom.out" | cmp -s - "$WORK/bigbounce.eml" || tagged_bad="$tagged_bad $limit:cut"
    elif [ $st -ne 75 ]; then
      tagged_bad="$tagged_bad $limit:$st"
    fi
    limit=$((limit + 256))
  done
  echo "# RLIMIT_AS from $floor KiB: $oom runs out of memory, $normal judged normally"
  equal "out of memory: check always exits deliver (0)" "${bad:-none}" none
  check "out of memory: the limit walk reached real allocation failures" [ "$oom" -gt 0 ]
  check "out of memory: ... and the limit where it works" [ "$normal" -gt 0 ]
  equal "out of memory with --tag: message intact or exit 75" "${tagged_bad:-none}" none
fi

# --- odd stdin ---------------------------------------------------------
# untag FILE: a --tag output without its X-Backscatter line, which ends as
# the message's lines do (LF, CRLF, or CR for a message with no LF in its
# first kilobyte: random bytes are that about once in fifty runs).
untag() {
  header=$(head -c 4096 "$1" | tr '\r' '\n' | head -n 1 | wc -c)
  case $(head -c $((header + 1)) "$1" | tail -c 2 | od -An -c | tr -d ' ') in
    '\r\n') header=$((header + 1)) ;;
  esac
  tail -c +$((header + 1)) "$1"
}
stdin_case() {   # stdin_case NAME FILE
  run_check "$WORK/in" "$2" --tag
  untag "$WORK/in.out" > "$WORK/in.rest"
  equal "stdin $1 with --tag: exit 0" "$status" 0
  check "stdin $1 with --tag: message comes back intact" cmp -s "$WORK/in.rest" "$2"
  equal "stdin $1 with --tag: one log line" "$log_lines" 1
  run_check "$WORK/in" "$2"
  equal "stdin $1: exit deliver (0)" "$status" 0
  equal "stdin $1: one log line" "$log_lines" 1
  contains "stdin $1: the log line says deliver" "$log_line" "deliver"
}
: > "$WORK/empty"
stdin_case "empty" "$WORK/empty"
printf 'x' > "$WORK/byte"
stdin_case "a single byte" "$WORK/byte"
printf 'Dear friend,\nthis is no mail at all: no header, no colon\n\n' > "$WORK/notmail"
stdin_case "not mail at all" "$WORK/notmail"
head -c 65536 /dev/urandom > "$WORK/random"
stdin_case "random bytes" "$WORK/random"
# Random bytes with no LF in the first kilobyte (the case that made the
# line above fail once in fifty runs), and with CRLF ending the first line.
{ head -c 3000 /dev/urandom | tr -d '\n' | head -c 1500; head -c 4096 /dev/urandom; } > "$WORK/random-cr"
stdin_case "random bytes, no LF in the first kilobyte" "$WORK/random-cr"
{ printf 'no header at all\r\n'; head -c 4096 /dev/urandom; } > "$WORK/random-crlf"
stdin_case "random bytes after a CRLF line" "$WORK/random-crlf"
{ printf 'From: a@example.net\nSubject: nul\000bytes\n\n'; head -c 4096 /dev/zero; printf 'tail\n'; } > "$WORK/nul"
stdin_case "binary with NUL bytes" "$WORK/nul"
head -c 700 "$WORK/forged.eml" > "$WORK/cut"
stdin_case "closed early (message cut)" "$WORK/cut"
# stdin not open at all
mark_log
"$BSF_BIN" check -c "$RULES" <&- > "$WORK/closed.out" 2>&1
equal "stdin closed: exit deliver (0)" "$?" 0
contains "stdin closed: logged" "$(new_log)" "deliver"
mark_log
"$BSF_BIN" check -c "$RULES" --tag <&- > "$WORK/closed.out" 2>/dev/null
equal "stdin closed with --tag: exit 75 (no message to give back)" "$?" 75
contains "stdin closed with --tag: logged as tempfail" "$(new_log)" "outcome=tempfail"
# The writer dies half way: a pipe that closes after part of the message.
mark_log
{ head -c 500 "$WORK/forged.eml"; } | "$BSF_BIN" check -c "$RULES" > /dev/null 2>&1
equal "stdin pipe closed early: exit deliver (0)" "$?" 0
equal "stdin pipe closed early: one log line" "$(new_log | grep -c .)" 1

# --- stdout closed -----------------------------------------------------
{ cat "$WORK/forged.eml"; head -c 2000000 /dev/zero | tr '\0' 'b' | fold -w 76; } > "$WORK/big.eml"
mark_log
"$BSF_BIN" check -c "$RULES" --tag < "$WORK/big.eml" >&- 2> "$WORK/so.err"
equal "stdout closed, --tag: exit 75 (the message did not come out)" "$?" 75
contains "stdout closed, --tag: logged" "$(new_log)" "outcome=tempfail"
equal "stdout closed, --tag: stderr silent" "$(cat "$WORK/so.err")" ""
mark_log
{ "$BSF_BIN" check -c "$RULES" --tag < "$WORK/big.eml" 2> "$WORK/so.err"; echo $? > "$WORK/so.status"; } | head -c 100 > /dev/null
equal "reader gone (SIGPIPE), --tag: exit 75, not killed" "$(cat "$WORK/so.status")" 75
contains "reader gone, --tag: logged" "$(new_log)" "outcome=tempfail"
mark_log
{ "$BSF_BIN" record -c "$RULES" --passthrough < "$WORK/big.eml" 2> "$WORK/so.err"; echo $? > "$WORK/so.status"; } | head -c 100 > /dev/null
equal "reader gone (SIGPIPE), record --passthrough: exit 75" "$(cat "$WORK/so.status")" 75
contains "reader gone, record --passthrough: logged" "$(new_log)" "cannot pass the message through"
"$BSF_BIN" record -c "$RULES" --passthrough < "$WORK/big.eml" >&- 2> "$WORK/so.err"
equal "stdout closed, record --passthrough: exit 75" "$?" 75
equal "stdout closed, record --passthrough: stderr silent" "$(cat "$WORK/so.err")" ""
"$BSF_BIN" check -c "$RULES" --verdict < "$WORK/forged.eml" >&- 2>/dev/null
equal "stdout closed, --verdict: exit 75" "$?" 75

# --- killed while recording, then the store used again ------------------
write_rules
"$BSF_BIN" record -c "$RULES" < "$MESSAGES/sent.eml" > /dev/null 2>&1
kills=0
for round in $(seq 1 25); do
  sed "s/bulk.1@/bulk.k$round@/; s/rcpt\([0-9]*\)@/rcpt\1k$round@/g" "$WORK/bulk.eml" > "$WORK/kill.eml"
  "$BSF_BIN" record -c "$RULES" < "$WORK/kill.eml" > /dev/null 2>&1 &
  victim=$!
  sleep "0.00$((round % 10))"
  kill -9 "$victim" 2>/dev/null && kills=$((kills + 1))
  wait "$victim" 2>/dev/null
done
echo "# SIGKILLed $kills of 25 recording processes mid-way"
# A kill inside a GDBM update can leave the store needing recovery: readers
# then judge without it (deliver), and the next writer repairs it.
run_check "$WORK/kc" "$MESSAGES/exim-genuine.eml"
equal "after SIGKILLs: check exits deliver (0)" "$status" 0
case $log_line in
  *verdict=genuine*) ok "after SIGKILLs: genuine, or the store error logged"
                     echo "# the store survived the kills intact" ;;
  *error=store*) ok "after SIGKILLs: genuine, or the store error logged"
                 echo "# the kills left the store needing recovery: $log_line" ;;
  *) not_ok "after SIGKILLs: genuine, or the store error logged" "$log_line" ;;
esac
"$BSF_BIN" record -c "$RULES" < "$WORK/bulk.eml" > /dev/null 2> "$WORK/kr.err"
equal "after SIGKILLs: record works again" "$?" 0
run_check "$WORK/kc" "$MESSAGES/exim-genuine.eml"
contains "after SIGKILLs and a record: the store proves a genuine bounce again" "$log_line" "verdict=genuine"
"$BSF_BIN" dump -c "$RULES" > "$WORK/kd.out" 2> "$WORK/kd.err"
equal "after SIGKILLs: dump reads the whole store" "$?" 0
contains "after SIGKILLs: the entry recorded first is kept" "$(cat "$WORK/kd.out")" "20261120093000.sent-1@mail.example.org"
"$BSF_BIN" expire -c "$RULES" > /dev/null 2>&1
equal "after SIGKILLs: expire works" "$?" 0

# --- load: 64 concurrent check and record processes, expire in between --
printf '[store]\npath = %s\nlock_wait = 60s\n[log]\nsyslog = no\nfile = %s\n' "$STORE" "$LOG" > "$RULES"
chmod 600 "$RULES"
rm -f "$STORE"
"$BSF_BIN" record -c "$RULES" < "$MESSAGES/sent.eml" > /dev/null 2>&1
mkdir -p "$WORK/load"
# Round r records IDs load.r.* while 32 checks judge bounces about the IDs
# of round r-1 (round 0 recorded first): each check must find its ID.
sent_load() {   # sent_load ROUND I
  printf 'From: user@example.org\nTo: r%d.%d@example.net\nMessage-ID: <load.%d.%d@example.org>\nSubject: load\n\nx\n' \
    "$1" "$2" "$1" "$2"
}
for i in $(seq 1 32); do
  sent_load 0 "$i" | "$BSF_BIN" record -c "$RULES" > /dev/null 2>&1
done
mark_log
load_failures=0 not_genuine=0
rounds=3
for round in $(seq 1 $rounds); do
  for i in $(seq 1 32); do
    sent_load "$round" "$i" > "$WORK/load/sent.$i"
    fresh_bounce "load.$((round - 1)).$i@example.org" "r$((round - 1)).$i@example.net" > "$WORK/load/bounce.$i"
  done
  pids=
  for i in $(seq 1 32); do
    ( "$BSF_BIN" record -c "$RULES" < "$WORK/load/sent.$i" > /dev/null 2>&1; echo "record $?" > "$WORK/load/rs.$i" ) &
    pids="$pids $!"
    ( "$BSF_BIN" check -c "$RULES" --verdict < "$WORK/load/bounce.$i" > "$WORK/load/cv.$i" 2>&1; echo "check $?" > "$WORK/load/cs.$i" ) &
    pids="$pids $!"
  done
  wait $pids
  bad=$(cat "$WORK"/load/rs.* "$WORK"/load/cs.* | grep -vc ' 0$')
  load_failures=$((load_failures + bad))
  not_genuine=$((not_genuine + $(cat "$WORK"/load/cv.* | grep -vc '^genuine deliver$')))
  "$BSF_BIN" expire -c "$RULES" > /dev/null 2>&1 || load_failures=$((load_failures + 1))
done
equal "load: 64 concurrent processes x $rounds rounds, every exit 0" "$load_failures" 0
equal "load: every concurrent check found its ID (genuine)" "$not_genuine" 0
equal "load: no store or lock error in the log" "$(new_log | grep -c 'error=store\|error=locked')" 0
"$BSF_BIN" dump -c "$RULES" > "$WORK/load/dump" 2>&1
equal "load: the store dumps cleanly" "$?" 0
missing=0
for round in $(seq 0 $rounds); do
  for i in $(seq 1 32); do
    grep -q "msgid load.$round.$i@example.org" "$WORK/load/dump" || missing=$((missing + 1))
  done
done
equal "load: no record lost ($(((rounds + 1) * 32)) IDs)" "$missing" 0
# A bounce about a recorded ID after the load: genuine.
fresh_bounce "load.2.7@example.org" "r2.7@example.net" > "$WORK/load/after"
run_check "$WORK/la" "$WORK/load/after"
contains "load: afterwards a bounce about a recorded ID is genuine" "$log_line" "verdict=genuine"

# --- no shell with message content; temp files made safely (static check)
equal "no system()/popen() in the program" \
  "$(grep -nE '(^|[^_a-z])(system|popen)[[:space:]]*\(' "$BSF_SRCDIR"/filter/*.c | wc -l)" 0
equal "no unsafe temp file names (tmpnam, tempnam, mktemp)" \
  "$(grep -nE '(^|[^_a-z])(tmpnam|tempnam|mktemp)[[:space:]]*\(' "$BSF_SRCDIR"/filter/*.c | wc -l)" 0
equal "no exec of a shell" "$(grep -nE 'exec[lv]p?e?[[:space:]]*\([[:space:]]*"/bin/(ba)?sh"' "$BSF_SRCDIR"/filter/*.c | wc -l)" 0

finish
