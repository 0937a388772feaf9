#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/run.sh: the per-message cost of backscatter-filter against the floor
# (a C program that only reads stdin), its store, its import, and its peers;
# writes BENCHMARKS.md. Run by `make bench` (never by `make check`).
#
# Usage: sh bench/run.sh [BUILDDIR]      (BUILDDIR holds backscatter-filter
#                                         and libbsf.a; default: .)
# Environment: BENCH_OUT      the report (default SRCDIR/BENCHMARKS.md)
#              BENCH_WORK     scratch directory (default /tmp/bsf-bench.$USER);
#                             about 1 GB; inputs are kept between runs
#              BENCH_RUNS     paired wall-time runs per input (default 21)
#              BENCH_MESSAGES messages of the import mailboxes (default 100000)
#              BENCH_PEERS    no: skip the peer programs
#              BENCH_INPUTS   a subset of the inputs (smoke tests)
# Needs valgrind (callgrind), strace, readelf, python3, cc, GNU time; peers are measured when
# installed (Debian libsisimai-perl, libmail-deliverystatus-bounceparser-perl,
# python3-flufl.bounce, spamassassin) and listed as missing otherwise.
# Limits: one machine, one moment: figures are comparable within one report.
set -eu

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-.}" && pwd)
OUT=${BENCH_OUT:-$SRCDIR/BENCHMARKS.md}
W=${BENCH_WORK:-/tmp/bsf-bench.$(id -un)}
RUNS=${BENCH_RUNS:-21}
MESSAGES=${BENCH_MESSAGES:-100000}
BSF=$BUILD/backscatter-filter
CC=${CC:-cc}
IN=$W/in
# The program runs as a delivery agent starts it: procmail, Exim, Dovecot's
# LDA and Mailutils' mda set USER, from which the log line names the user
# (without USER and LOGNAME, as under Postfix's pipe(8), it looks the uid up
# in the passwd database instead: a few more system calls per message).
USER=${USER:-$(id -un)}
export USER

[ -x "$BSF" ] || { echo "run.sh: no $BSF (build first)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "run.sh: valgrind is needed" >&2; exit 1; }
command -v strace >/dev/null || { echo "run.sh: strace is needed" >&2; exit 1; }
mkdir -p "$W/bin" && chmod 700 "$W"

say() { echo "bench: $*" >&2; }

# ---- tools ----------------------------------------------------------------
$CC -O2 -o "$W/bin/floor" "$SRCDIR/bench/floor.c"
# The floor with libmailutils loaded (and nothing of it called): what the
# library's start-up costs by itself.
$CC -O2 -o "$W/bin/floor-mailutils" "$SRCDIR/bench/floor.c" \
  -Wl,--no-as-needed -lmailutils -Wl,--as-needed
$CC -O2 -o "$W/bin/pairtime" "$SRCDIR/bench/pairtime.c"
$CC -O2 -o "$W/bin/faultcost" "$SRCDIR/bench/faultcost.c"
$CC -O2 -std=gnu11 -I"$SRCDIR/include" -I"$BUILD" -o "$W/bin/storebench" \
  "$SRCDIR/bench/storebench.c" "$BUILD/libbsf.a" -lgdbm \
  $(case $("$BSF" --version) in *redis*) echo -lhiredis ;; esac)
FLOOR=$W/bin/floor
PAIR=$W/bin/pairtime

# ---- inputs and stores ----------------------------------------------------
if [ ! -f "$IN/.done-$MESSAGES" ]; then
  say "generating inputs ($MESSAGES-message mailboxes)"
  rm -rf "$IN"
  python3 "$SRCDIR/bench/gen-inputs.py" "$IN" "$MESSAGES"
  touch "$IN/.done-$MESSAGES"
fi
for n in 1000 100000 1000000; do
  if [ ! -f "$W/store-$n/.done" ]; then
    say "building a store of $n Message-IDs"
    rm -rf "$W/store-$n"; mkdir -m 700 "$W/store-$n"
    "$W/bin/storebench" build "$W/store-$n/sent.db" "$n"
    touch "$W/store-$n/.done"
  fi
done
cat > "$W/bench.ini" <<'INI'
[identity]
addresses = user@example.org
domains = example.org
INI
CHECK="$BSF check -c $W/bench.ini --store $W/store-1000/sent.db"
fresh_record_store() {
  rm -rf "$W/rec"; mkdir -m 700 "$W/rec"
  cp "$W/store-1000/sent.db" "$W/rec/sent.db"
}
RECORD="$BSF record -c $W/bench.ini --store $W/rec/sent.db"
INPUTS=${BENCH_INPUTS:-"dsn-5k ordinary-50k attach-1m bounce-50m"}

# Instructions of one run (callgrind), stdin from $1; the profile is kept.
ir() {
  input=$1 name=$2; shift 2
  valgrind --tool=callgrind --callgrind-out-file="$W/callgrind.$name" "$@" \
    < "$input" > /dev/null 2> "$W/valgrind.err" || true
  sed -n 's/.*I *refs: *//p' "$W/valgrind.err" | tr -d ,
}
# What one run of "$@" (stdin from $1) opens, under strace -f -e trace=openat:
# prints "PLUGIN LIBMU RULES": whether our Mailutils plugin (mailutils.so) was
# loaded, whether libmailutils was mapped (opened by the dynamic loader, at
# start or by dlopen), and how many times the rule file $2 was opened.
opens() {
  input=$1 rulefile=$2; shift 2
  strace -f -qq -e trace=openat -o "$W/strace.out" "$@" < "$input" > /dev/null 2>&1 || true
  p=no; grep -v ENOENT "$W/strace.out" | grep -q '/mailutils\.so"' && p=yes
  m=no; grep -v ENOENT "$W/strace.out" | grep -q '/libmailutils\.so' && m=yes
  r=$(grep -v ENOENT "$W/strace.out" | grep -c "\"$rulefile\"" || true)
  echo "$p $m $r"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
commas() { printf "%s" "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

{
echo "# Benchmarks"
echo
echo "Written by \`bench/run.sh\` (\`make bench\`) on $(date -u '+%Y-%m-%d %H:%M UTC'),"
echo "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) CPUs,"
echo "$(uname -sr), $(valgrind --version), backscatter-filter $(git -C "$SRCDIR" describe --always --dirty 2>/dev/null || echo '?')."
echo
echo "Inputs (\`bench/gen-inputs.py\`, fixed seed): \`dsn-5k\` a Postfix-style DSN whose original"
echo "(text/rfc822-headers) is in the store, so check opens the store and finds it;"
echo "\`ordinary-50k\` a list message (multipart/alternative); \`attach-1m\` a list message with"
echo "two base64 attachments; \`bounce-50m\` a DSN carrying its whole original (message/rfc822,"
echo "a 37 MB attachment base64-encoded). \`record\` is run on the same files."
echo
echo "- check: \`$CHECK < FILE\` (store of 1,000 Message-IDs; USER set, as the delivery agents set it)"
echo "- record: \`$RECORD < FILE\` (a fresh copy of that store each time)"
echo "- floor: \`$FLOOR < FILE\` (\`bench/floor.c\`: read stdin to EOF, exit)"
echo
echo "## Instructions per message (valgrind --tool=callgrind, whole process)"
echo
echo "| input | bytes | floor | check | check/floor | record | record/floor |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for f in $INPUTS; do
  say "callgrind: $f"
  bytes=$(wc -c < "$IN/$f.eml")
  fl=$(ir "$IN/$f.eml" "floor.$f" "$FLOOR")
  ck=$(ir "$IN/$f.eml" "check.$f" $CHECK)
  fresh_record_store
  rc=$(ir "$IN/$f.eml" "record.$f" $RECORD)
  echo "| $f | $(commas "$bytes") | $(commas "$fl") | $(commas "$ck") | $(ratio "$ck" "$fl") | $(commas "$rc") | $(ratio "$rc" "$fl") |"
done
echo
echo "Target: check on dsn-5k at most 1,500,000 instructions, start-up included."
echo "Profiles: \`callgrind_annotate --inclusive=yes $W/callgrind.check.dsn-5k\`."
echo
echo "## Wall time (paired runs A B A B ..., median of the per-pair ratios) and peak RSS"
echo
echo "| input | runs | floor median | check median | check/floor | record median | record/floor | peak RSS floor | peak RSS check | peak RSS record | page faults floor / check / record |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for f in $INPUTS; do
  say "wall time: $f"
  runs=$RUNS; [ "$f" = bounce-50m ] && runs=5
  set -- $("$PAIR" "$runs" "$IN/$f.eml" -- "$FLOOR" -- $CHECK)
  fa=$1 cb=$2 cr=$3 rssf=$4 rssc=$5 pff=$6 pfc=$7
  fresh_record_store
  set -- $("$PAIR" "$runs" "$IN/$f.eml" -- "$FLOOR" -- $RECORD)
  rb=$2 rr=$3 rssr=$5 pfr=$7
  echo "| $f | $runs | ${fa} µs | ${cb} µs | ${cr}x | ${rb} µs | ${rr}x | ${rssf} KB | ${rssc} KB | ${rssr} KB | $pff / $pfc / $pfr |"
done
say "wall time: the floor with libmailutils"
set -- $("$PAIR" "$RUNS" "$IN/dsn-5k.eml" -- "$FLOOR" -- "$W/bin/floor-mailutils")
echo
echo "For reference, what loading libmailutils costs any process: the floor linked with"
echo "libmailutils (\`bench/floor.c\` with \`-lmailutils\`, nothing of it called) on dsn-5k:"
echo "$2 µs against $1 µs, **$3x** the floor, $7 page faults against $6 ($RUNS pairs). check is"
echo "not linked with it: its plugin maps libmailutils only for a notice that needs decoding."
echo "Page faults are ru_minflt + ru_majflt from wait4(), medians."
set -- $("$W/bin/faultcost" 256)
echo "One page fault costs $1 µs on this machine (\`bench/faultcost.c\`: 256 fresh anonymous"
echo "pages touched one by one; $2 µs a page when populated by one madvise call)."
echo
echo
echo "## check with the shipped rule file (issue 11 targets)"
echo
SHIPPED="$BSF check -c $SRCDIR/rules/backscatter-filter.ini --store $W/store-1000/sent.db"
SHIPPED_PAIRS=${BENCH_SHIPPED_PAIRS:-301}
if readelf -d "$BSF" 2>/dev/null | grep NEEDED | grep -q libmailutils; then linked=yes; else linked=no; fi
echo "\`$SHIPPED < FILE\`; paired against the floor, A B A B ..., $SHIPPED_PAIRS pairs,"
echo "median of the per-pair ratios (the machine may be shared: only these ratios count)."
echo "The program is linked with libmailutils (\`readelf -d\`, NEEDED): $linked. Mailutils is"
echo "reached through our plugin \`mailutils.so\` (beside an uninstalled program, as here; in"
echo "pkglibdir once installed), loaded with dlopen() only when a notice needs it. The last"
echo "three columns come from one more run under \`strace -f -e trace=openat\`: the plugin"
echo "opened, libmailutils opened by the dynamic loader, and the number of successful opens"
echo "of the rule file."
echo
echo "| input | instructions | target | wall ratio to the floor | target | peak RSS floor / check | page faults floor / check | mailutils.so loaded | libmailutils mapped | rule file opened |"
echo "|---|---:|---:|---:|---:|---:|---:|---|---|---:|"
for f in ordinary-50k dsn-5k attach-1m office365-forged; do
  say "shipped rule file: $f"
  file=$IN/$f.eml
  [ "$f" = office365-forged ] && file=$SRCDIR/examples/messages/$f.eml
  ck=$(ir "$file" "check-shipped.$f" $SHIPPED)
  set -- $("$PAIR" "$SHIPPED_PAIRS" "$file" -- "$FLOOR" -- $SHIPPED)
  wr=$3 rss="$4 / $5 KB" pf="$6 / $7"
  set -- $(opens "$file" "$SRCDIR/rules/backscatter-filter.ini" $SHIPPED)
  case $f in
    ordinary-50k) ti="<= 500,000" tw="<= 1.3x" ;;
    dsn-5k|office365-forged) ti="<= 1,500,000" tw="<= 2.0x" ;;
    *) ti="" tw="" ;;
  esac
  echo "| $f | $(commas "$ck") | $ti | ${wr}x | $tw | $rss | $pf | $1 | $2 | $3 |"
done
echo
echo "Issue 11's targets: ordinary-50k at most 1.3x and 500,000 instructions with libmailutils"
echo "not mapped; dsn-5k at most 2.0x and 1,500,000 instructions; the rule file opened once"
echo "per run. attach-1m is shown without a target of its own (issue 6: 1.3x up to 1 MB)."
echo "The issue names \"the 5 KB Office 365-shaped DSN\"; dsn-5k is Postfix-shaped (its notice"
echo "text is 7bit). \`office365-forged\` is examples/messages/office365-forged.eml (1.8 KB, an"
echo "Exchange Online DSN whose notice text is quoted-printable, as Office 365 writes it): it is"
echo "measured the same way, against the same dsn targets, as the Office 365 shape."
echo
echo "Issue 6's targets: check at most 1.3x the floor on every input up to 1 MB; peak RSS at"
echo "most 8 MB (8192 KB) on bounce-50m. Peak RSS is ru_maxrss from wait4()."
echo
echo "## The store"
echo
echo "Stores built by \`storebench build PATH N\` (N Message-IDs with UUID-like local parts,"
echo "N/4 recipients, half of the entries 60 days old). Per process: check on dsn-5k (opens"
echo "the store read-only, looks up the original's Message-ID) and record of \`sent.eml\`"
echo "(opens for writing, adds one Message-ID and three recipients). In one process:"
echo "\`storebench lookup PATH 100000 N\` (half hits, half misses, random order)."
echo
echo "| entries | file size | check instructions | check wall / floor | record instructions | lookup in-process | open+close in-process |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for n in 1000 100000 1000000; do
  say "store: $n"
  size=$(wc -c < "$W/store-$n/sent.db")
  ck=$(ir "$IN/dsn-5k.eml" "check.store-$n" $BSF check -c "$W/bench.ini" --store "$W/store-$n/sent.db")
  set -- $("$PAIR" "$RUNS" "$IN/dsn-5k.eml" -- "$FLOOR" -- $BSF check -c "$W/bench.ini" --store "$W/store-$n/sent.db")
  cw=$3
  rm -rf "$W/rec"; mkdir -m 700 "$W/rec"; cp "$W/store-$n/sent.db" "$W/rec/sent.db"
  rc=$(ir "$IN/sent.eml" "record.store-$n" $RECORD)
  set -- $("$W/bin/storebench" lookup "$W/store-$n/sent.db" 100000 "$n")
  echo "| $(commas "$n") | $(commas "$size") | $(commas "$ck") | ${cw}x | $(commas "$rc") | $1 ns | $2 ns |"
done
say "expire on 1M"
rm -rf "$W/rec"; mkdir -m 700 "$W/rec"; cp "$W/store-1000000/sent.db" "$W/rec/sent.db"
sync
/usr/bin/time -f '%e s, %M KB peak RSS' -o "$W/time.expire" $BSF expire -c "$W/bench.ini" --store "$W/rec/sent.db" > "$W/expire.out"
echo
echo "Expire on the 1,000,000-entry store (\`$BSF expire -c $W/bench.ini --store COPY\`, ttl 30d,"
echo "half the entries older): $(cat "$W/time.expire"); $(cat "$W/expire.out"); file"
echo "$(commas "$(wc -c < "$W/store-1000000/sent.db")") -> $(commas "$(wc -c < "$W/rec/sent.db")") bytes."
echo
echo "Target: lookup cost flat from 1k to 1M entries (within 10 %)."
echo
sh "$SRCDIR/bench/redis.sh" "$BUILD"
echo
echo "## Import"
echo
echo "| mailbox | messages | wall | peak RSS | output | re-import (all known) | re-import / first |"
echo "|---|---:|---:|---:|---|---:|---:|"
for box in sent-maildir sent.mbox; do
  say "import $box"
  rm -rf "$W/imp"; mkdir -m 700 "$W/imp"
  sync
  /usr/bin/time -f '%e|%M KB' -o "$W/time.import" \
    $BSF import -c "$W/bench.ini" --store "$W/imp/sent.db" "$IN/$box" > "$W/import.out" 2>&1
  t=$(cut -d'|' -f1 "$W/time.import"); m=$(cut -d'|' -f2 "$W/time.import")
  # Import is incremental: the same folder again skips every known message
  # without writing (issue 12), so a timer can run it often.
  say "re-import $box"
  /usr/bin/time -f '%e' -o "$W/time.reimport" \
    $BSF import -c "$W/bench.ini" --store "$W/imp/sent.db" "$IN/$box" > "$W/reimport.out" 2>&1
  r=$(cat "$W/time.reimport")
  echo "| $box | $(commas "$MESSAGES") | $t s | $m | $(head -1 "$W/import.out" | sed "s|$IN/||") | $r s | $(ratio "$r" "$t") |"
done
if command -v script >/dev/null; then
  rm -rf "$W/imp"; mkdir -m 700 "$W/imp"
  script -qec "$BSF import -c $W/bench.ini --store $W/imp/sent.db $IN/sent.mbox" "$W/typescript" > /dev/null 2>&1 || true
  updates=$(tr '\r' '\n' < "$W/typescript" | grep -c '^importing:' || true)
  echo
  echo "Progress bar: the mbox import under \`script\` (a terminal) redrew its"
  echo "\`importing: N/TOTAL\` line $updates times; without a terminal it prints none."
fi
echo
echo "Target: 100,000 messages in under 30 s."
echo
echo "## Peers, one process per message (wall time as a ratio to check; paired runs)"
echo
echo "| input | Sisimai | Mail::DeliveryStatus::BounceParser | flufl.bounce | SpamAssassin (VBounce) |"
echo "|---|---:|---:|---:|---:|"
if [ "${BENCH_PEERS:-yes}" != no ]; then
  peer_runs=$(( RUNS < 7 ? RUNS : 7 ))
  have() { "$@" < "$IN/dsn-5k.eml" > /dev/null 2>&1; }
  for f in dsn-5k ordinary-50k attach-1m; do
    say "peers: $f"
    line="| $f"
    for peer in "perl $SRCDIR/bench/peer-sisimai.pl" "perl $SRCDIR/bench/peer-bounceparser.pl" \
                "/usr/bin/python3 $SRCDIR/bench/peer-flufl.py" "spamassassin -L"; do
      if have $peer; then
        set -- $("$PAIR" "$peer_runs" "$IN/$f.eml" -- $CHECK -- $peer)
        line="$line | $3x ($(( $2 / 1000 )) ms)"
      else
        line="$line | not installed"
      fi
    done
    echo "$line |"
  done
  echo
  echo "Each cell: the peer's median wall time over ours, and its median in ms ($peer_runs pairs)."
  echo "Commands: \`perl bench/peer-sisimai.pl\`, \`perl bench/peer-bounceparser.pl\`,"
  echo "\`/usr/bin/python3 bench/peer-flufl.py\`, \`spamassassin -L\`, each \`< FILE\`."
fi
echo
echo "## Reproduce"
echo
echo "    make bench            # or: sh $SRCDIR/bench/run.sh BUILDDIR"
echo "    callgrind_annotate --inclusive=yes $W/callgrind.check.dsn-5k | head -60"
} > "$OUT.tmp"
# No machine paths in the report: the build, source and scratch
# directories by name (source files first: in an in-tree build both are one).
sed -e "s|$W|\$BENCH_WORK|g" -e "s#$SRCDIR/\(rules\|examples\|bench\)/#SRCDIR/\1/#g" \
  -e "s|$BUILD|BUILDDIR|g" -e "s|$SRCDIR|SRCDIR|g" "$OUT.tmp" > "$OUT.tmp2"
rm -f "$OUT.tmp"
mv "$OUT.tmp2" "$OUT"
say "wrote $OUT"
