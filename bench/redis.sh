#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/redis.sh: the Redis store beside GDBM, for bench/run.sh (which puts
# its output in BENCHMARKS.md) or alone (`make bench-redis` replaces only
# its section there). Prints the "## The Redis store" section on stdout.
#
# Usage: sh bench/redis.sh [BUILDDIR]
# Environment: BENCH_WORK  scratch directory (default /tmp/bsf-bench.$USER);
#                          dsn-5k.eml is taken from its in/ when run.sh made
#                          it, else generated (bench/gen-inputs.py)
#              BENCH_RUNS  paired wall-time runs (default 21)
#              BENCH_THROUGHPUT  checks per throughput row (default 2000,
#                                in 5 rounds)
# Starts its own redis-server (a unix socket in the scratch directory and a
# free loopback port), never a shared one, and stops it.
# What is measured, with the program's own process only (the server is
# another process): instructions of one check (callgrind), paired wall
# ratios to the floor and to the GDBM check, lookups against 1,000 and
# 100,000 entries, throughput with 2 workers, and what an outage costs a
# check (server gone: refused at once; server hung: the timeout) and a
# record (journaled).
# Limits: loopback only: a real network adds its round trip to every
# check (one for the connection, one for the lookups).
set -eu

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-.}" && pwd)
W=${BENCH_WORK:-/tmp/bsf-bench.$(id -un)}
RUNS=${BENCH_RUNS:-21}
THROUGHPUT=${BENCH_THROUGHPUT:-2000}
BSF=$BUILD/backscatter-filter
CC=${CC:-cc}
say() { echo "bench: $*" >&2; }
commas() { printf "%s" "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

report() {
echo "## The Redis store"
echo
case $("$BSF" --version) in
  *redis*) ;;
  *) echo "Not measured: this backscatter-filter was built without Redis."; return 0 ;;
esac
REDIS_SERVER=$(command -v redis-server 2>/dev/null || echo /usr/bin/redis-server)
if [ ! -x "$REDIS_SERVER" ]; then
  echo "Not measured: redis-server is not installed (Debian redis-server)."
  return 0
fi
command -v valgrind >/dev/null || { echo "redis.sh: valgrind is needed" >&2; exit 1; }

mkdir -p "$W/bin" && chmod 700 "$W"
R=$W/redis
rm -rf "$R"; mkdir -m 700 "$R"
$CC -O2 -o "$W/bin/floor" "$SRCDIR/bench/floor.c"
$CC -O2 -o "$W/bin/pairtime" "$SRCDIR/bench/pairtime.c"
$CC -O2 -std=gnu11 -I"$SRCDIR/include" -I"$BUILD" -o "$W/bin/storebench-redis" \
  "$SRCDIR/bench/storebench.c" "$BUILD/libbsf.a" -lgdbm -lhiredis
FLOOR=$W/bin/floor
PAIR=$W/bin/pairtime
DSN=$W/in/dsn-5k.eml
if [ ! -f "$DSN" ]; then
  say "generating dsn-5k.eml"
  python3 "$SRCDIR/bench/gen-inputs.py" "$R/in" 100 > /dev/null
  DSN=$R/in/dsn-5k.eml
fi

# ---- a private server: unix socket and a free loopback port ----------------
SOCK=$R/sock
PORT=""
for try in 1 2 3 4 5; do
  candidate=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
  "$REDIS_SERVER" --port "$candidate" --bind 127.0.0.1 --unixsocket "$SOCK" \
    --unixsocketperm 700 --save '' --appendonly no --dir "$R" --daemonize no \
    > "$R/log" 2>&1 &
  echo $! > "$R/pid"
  i=0
  while [ $i -lt 100 ] && [ ! -S "$SOCK" ] && kill -0 "$(cat "$R/pid")" 2>/dev/null; do
    sleep 0.05; i=$((i + 1))
  done
  if [ -S "$SOCK" ]; then PORT=$candidate; break; fi
  kill "$(cat "$R/pid")" 2>/dev/null || true
done
[ -n "$PORT" ] || { echo "redis.sh: redis-server did not start" >&2; cat "$R/log" >&2; exit 1; }
trap 'kill -CONT "$(cat "$R/pid")" 2>/dev/null; kill "$(cat "$R/pid")" 2>/dev/null; true' EXIT

UNIX_1K="redis+unix://$SOCK?db=0"
UNIX_100K="redis+unix://$SOCK?db=1"
TCP_1K="redis://127.0.0.1:$PORT/0"
GDBM_1K=$R/gdbm/sent.db
mkdir -m 700 "$R/gdbm"
say "building the stores (1,000 and 100,000 entries in Redis, 1,000 in GDBM)"
"$W/bin/storebench-redis" build "$GDBM_1K" 1000
"$W/bin/storebench-redis" build "$UNIX_1K" 1000
"$W/bin/storebench-redis" build "$UNIX_100K" 100000
cat > "$R/bench.ini" <<'INI'
[identity]
addresses = user@example.org
domains = example.org
INI
cat > "$R/hung.ini" <<'INI'
[identity]
addresses = user@example.org
domains = example.org
[store]
timeout = 1s
INI
chmod 600 "$R/bench.ini" "$R/hung.ini"
CHECK_GDBM="$BSF check -c $R/bench.ini --store $GDBM_1K"
CHECK_UNIX="$BSF check -c $R/bench.ini --store $UNIX_1K"
CHECK_UNIX_100K="$BSF check -c $R/bench.ini --store $UNIX_100K"
CHECK_TCP="$BSF check -c $R/bench.ini --store $TCP_1K"

# The check must find the original in each store: genuine.
for store in "$GDBM_1K" "$UNIX_1K" "$UNIX_100K" "$TCP_1K"; do
  verdict=$("$BSF" check -c "$R/bench.ini" --store "$store" --verdict < "$DSN")
  [ "$verdict" = "genuine deliver" ] || { echo "redis.sh: $store: $verdict" >&2; exit 1; }
done

ir() {   # ir NAME COMMAND...: instructions of one run on dsn-5k
  name=$1; shift
  valgrind --tool=callgrind --callgrind-out-file="$R/callgrind.$name" "$@" \
    < "$DSN" > /dev/null 2> "$R/valgrind.err" || true
  sed -n 's/.*I *refs: *//p' "$R/valgrind.err" | tr -d ,
}

echo "Measured by \`bench/redis.sh\` ($(date -u '+%Y-%m-%d %H:%M UTC'), redis-server"
echo "$("$REDIS_SERVER" --version | sed 's/.*v=\([^ ]*\).*/\1/'), hiredis $(pkg-config --modversion hiredis 2>/dev/null || echo '?'),"
echo "backscatter-filter $(git -C "$SRCDIR" describe --always --dirty 2>/dev/null || echo '?')): a private"
echo "redis-server on this machine (unix socket, and TCP on 127.0.0.1), no persistence; stores"
echo "built by \`storebench build\` (as in the GDBM table). Every check is of dsn-5k, whose"
echo "original is in the store (verdict genuine): one connection, one MGET for every ID,"
echo "recipient and mark. Instructions and times are the program's process only. Load"
echo "average when it began: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine: wall"
echo "figures are only as steady as that allows; instructions do not depend on it)."
echo
echo "| store | check instructions | check wall / floor | check wall / GDBM check | check median |"
echo "|---|---:|---:|---:|---:|"
say "callgrind and paired runs"
set -- $("$PAIR" "$RUNS" "$DSN" -- "$FLOOR" -- $CHECK_GDBM)
gdbm_floor=$3 gdbm_us=$2
echo "| GDBM file, 1,000 IDs | $(commas "$(ir gdbm $CHECK_GDBM)") | ${gdbm_floor}x | 1.0x | $gdbm_us µs |"
for pair in "Redis, unix socket, 1,000 IDs|$CHECK_UNIX|unix" \
            "Redis, unix socket, 100,000 IDs|$CHECK_UNIX_100K|unix100k" \
            "Redis, TCP 127.0.0.1, 1,000 IDs|$CHECK_TCP|tcp"; do
  label=${pair%%|*}; rest=${pair#*|}; cmd=${rest%|*}; name=${rest##*|}
  instructions=$(ir "$name" $cmd)
  set -- $("$PAIR" "$RUNS" "$DSN" -- "$FLOOR" -- $cmd)
  to_floor=$3 us=$2
  set -- $("$PAIR" "$RUNS" "$DSN" -- $CHECK_GDBM -- $cmd)
  echo "| $label | $(commas "$instructions") | ${to_floor}x | $3x | $us µs |"
done
echo
echo "Paired runs: $RUNS pairs each (\`bench/pairtime\`, median of the per-pair ratios);"
echo "commands: \`$CHECK_GDBM < dsn-5k.eml\`, the same with \`--store redis+unix://SOCKET\`"
echo "or \`--store redis://127.0.0.1:PORT/0\`."

# ---- throughput: 2 workers ---------------------------------------------------
# Rounds of floor, GDBM, Redis unix, Redis TCP in turn, so that a busy
# moment of the machine hits every row of a round; per-round rates, medians.
say "throughput"
ROUNDS=5
rate() {   # rate N COMMAND...: N runs split over 2 workers; runs per second
  n=$1; shift
  half=$((n / 2))
  start=$(date +%s.%N)
  for worker in 1 2; do
    ( i=0; while [ $i -lt $half ]; do "$@" < "$DSN" > /dev/null 2>&1; i=$((i + 1)); done ) &
  done
  wait
  end=$(date +%s.%N)
  awk -v n=$((half * 2)) -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", n / (b - a) }'
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
per_round=$((THROUGHPUT / ROUNDS))
floor_rates="" gdbm_rates="" unix_rates="" tcp_rates="" gdbm_ratios="" unix_ratios="" tcp_ratios=""
round=0
while [ $round -lt $ROUNDS ]; do
  f=$(rate $per_round "$FLOOR")
  g=$(rate $per_round $CHECK_GDBM)
  u=$(rate $per_round $CHECK_UNIX)
  t=$(rate $per_round $CHECK_TCP)
  floor_rates="$floor_rates $f" gdbm_rates="$gdbm_rates $g"
  unix_rates="$unix_rates $u" tcp_rates="$tcp_rates $t"
  unix_ratios="$unix_ratios $(awk -v a="$u" -v b="$g" 'BEGIN { printf "%.2f", a / b }')"
  tcp_ratios="$tcp_ratios $(awk -v a="$t" -v b="$g" 'BEGIN { printf "%.2f", a / b }')"
  round=$((round + 1))
done
echo
echo "Throughput with 2 workers ($(nproc) CPUs, the server sharing them): $ROUNDS rounds of"
echo "$per_round checks of dsn-5k for each row in turn (a shell loop per worker, the same for"
echo "every row); medians of the rounds."
echo
echo "| store | checks per second | against GDBM (per round) |"
echo "|---|---:|---:|"
echo "| floor (\`bench/floor.c\`) | $(echo "$floor_rates" | median) | |"
echo "| GDBM file | $(echo "$gdbm_rates" | median) | 1.00x |"
echo "| Redis, unix socket | $(echo "$unix_rates" | median) | $(echo "$unix_ratios" | median)x |"
echo "| Redis, TCP 127.0.0.1 | $(echo "$tcp_rates" | median) | $(echo "$tcp_ratios" | median)x |"

# ---- outage -------------------------------------------------------------------
say "outage"
kill -STOP "$(cat "$R/pid")"
set -- $("$PAIR" 5 "$DSN" -- $CHECK_GDBM -- $BSF check -c "$R/hung.ini" --store "$UNIX_1K")
hung_us=$2
kill -CONT "$(cat "$R/pid")"
DOWN_SOCK=$R/gone.sock          # nothing listens there: refused at once
set -- $("$PAIR" "$RUNS" "$DSN" -- $CHECK_UNIX -- $BSF check -c "$R/bench.ini" --store "redis+unix://$DOWN_SOCK")
down_unix_us=$2 down_unix_ratio=$3
set -- $("$PAIR" "$RUNS" "$DSN" -- $CHECK_TCP -- $BSF check -c "$R/bench.ini" --store "redis://127.0.0.1:1/0")
down_tcp_us=$2 down_tcp_ratio=$3
mkdir -m 700 -p "$R/state-up" "$R/state-down"
printf 'From: user@example.org\nTo: x@example.net\nMessage-ID: <outage@example.org>\n\nx\n' > "$R/sent.eml"
set -- $("$PAIR" "$RUNS" "$R/sent.eml" -- env XDG_STATE_HOME="$R/state-up" $BSF record -c "$R/bench.ini" --store "$UNIX_1K" \
         -- env XDG_STATE_HOME="$R/state-down" $BSF record -c "$R/bench.ini" --store "redis+unix://$DOWN_SOCK")
record_up_us=$1 record_down_us=$2 record_ratio=$3
journal_lines=$(cat "$R/state-down/backscatter-filter/redis-bsf.journal" 2>/dev/null | wc -l)
echo
echo "What an outage costs (time to deliver; the check delivers, unknown, one log line):"
echo
echo "| Redis | check median | against Redis up |"
echo "|---|---:|---:|"
echo "| gone, unix socket (no listener: refused at once) | $down_unix_us µs | ${down_unix_ratio}x |"
echo "| gone, TCP 127.0.0.1 (port closed: refused at once) | $down_tcp_us µs | ${down_tcp_ratio}x |"
echo "| hung (SIGSTOP), \`[store] timeout = 1s\` | $hung_us µs | (the timeout) |"
echo
echo "A server that does not answer costs a check the timeout (default 1 s, \`[store] timeout\`);"
echo "one that is gone costs less than one that answers. Record with the server gone journals"
echo "the entry locally: $record_down_us µs against $record_up_us µs recorded (${record_ratio}x,"
echo "$journal_lines journal lines after $RUNS records, replayed by the next record that reaches Redis)."
}

# No machine paths in the report: the build, source and scratch
# directories by name (as bench/run.sh writes them).
mkdir -p "$W" && chmod 700 "$W"
report > "$W/redis-report.md"
sed -e "s|$W|\$BENCH_WORK|g" -e "s|$BUILD|BUILDDIR|g" -e "s|$SRCDIR|SRCDIR|g" "$W/redis-report.md"
