# SPDX-License-Identifier: GPL-3.0-or-later
# judge.sh: sourced by tests/evaluate/evaluate.sh and tests/e2e/corpus.sh.
# Runs the built program once per corpus file and writes one TSV line each:
#   folder  file  exit  verdict  kind  id  trace_ids  reason  clock
# file is relative to the corpus; "-" marks an empty field. verdict, kind,
# id and reason come from the one log line of the run (`verdict=... kind=...
# action=... id=<...> reason="..."`), or when the run logged a failure
# instead, from the --explain trace (`verdict:`, `kind:` lines); trace_ids are
# the <...@...> IDs of the trace lines that mention an ID, in order,
# comma-separated. A run may use JUDGE_SECONDS of CPU (default 20; ulimit -t,
# then SIGXCPU: "killed by signal 24"); the store lock wait bounds the rest.
#
# The store "has been recording for weeks and knows nothing": it holds one
# unrelated message, recorded (judge_store) with the clock set to 1971, and
# each message is judged with the clock set to the time in its own Date
# header (clock, e.g. 2006-06-06 17:53:38; libfaketime's faketime(1)), so
# every original it refers to was sent while the store was recording and
# within the TTL: a bounce-like message whose IDs the store lacks comes out
# `backscatter`, as it would on the day it arrived. A message without a
# readable Date is judged at the real time (clock "-"; its originals are
# then mostly past the TTL, so such a verdict is lenient). Without
# faketime(1) (JUDGE_FAKETIME empty) every run uses the real time.
#
# A run whose stderr holds a sanitizer report gets the reason "sanitizer:
# FIRST LINE OF IT" (the caller fails on it).
#
# Needs: BSF_BIN, RULES (a rule file with a `file = ` line in [log], syslog
# off; each parallel shard gets a copy logging to its own file), WORK.
# Two processes per file (the program, awk), JUDGE_JOBS at a time.

# faketime(1), if installed (package faketime, scripts/install-deps --tests).
JUDGE_FAKETIME=$(command -v faketime 2> /dev/null || :)
# libfaketime is preloaded ahead of an ASan runtime; ASan must not object.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export ASAN_OPTIONS
TZ=UTC
export TZ

# judge_store: record one unrelated message into the store of $RULES with
# the clock at 1971-01-01 (so recording began before any corpus message).
# 0 on success.
judge_store() {
  printf 'From: corpus@invalid.example\nTo: nobody@invalid.example\nMessage-ID: <corpus.%s@invalid.example>\nSubject: x\n\nx\n' "$$" \
    | if [ -n "$JUDGE_FAKETIME" ]; then
        "$JUDGE_FAKETIME" -f '@1971-01-01 00:00:00' "$BSF_BIN" record -c "$RULES"
      else
        "$BSF_BIN" record -c "$RULES"
      fi > /dev/null 2>&1
}

# judge_clocks: "folder<TAB>path" lines on stdin, the same with a third
# field on stdout: the time of the file's first top-level Date header as
# YYYY-MM-DD HH:MM:SS (its zone ignored: an error of hours against a TTL of
# days), or "-". Lines end at LF, CRLF or a CR alone.
judge_clocks() {
  awk -F'\t' -v OFS='\t' '
  function clock(date,    m, d, mon, y, t) {
    if (!match(date, /[0-9][0-9]?[ \t]+[A-Za-z][A-Za-z][A-Za-z][A-Za-z]*[ \t]+[0-9][0-9][0-9]?[0-9]?[ \t]+[0-9][0-9]?:[0-9][0-9](:[0-9][0-9])?/))
      return "-"
    split(substr(date, RSTART, RLENGTH), m, /[ \t]+/)
    d = m[1] + 0; mon = index("janfebmaraprmayjunjulaugsepoctnovdec", tolower(substr(m[2], 1, 3)))
    y = m[3] + 0; t = m[4]
    if (mon == 0 || (mon - 1) % 3 != 0 || d < 1 || d > 31) return "-"
    if (y < 50) y += 2000; else if (y < 100) y += 1900
    if (y < 1972 || y > 2100) return "-"
    if (length(t) == 4 || length(t) == 5) t = t ":00"
    if (t ~ /^[0-9]:/) t = "0" t
    # A time out of range ("59:10", as in a Ruby mail gem test message) is
    # no clock: faketime(1) would refuse it, and the run end with no verdict.
    split(t, hms, ":")
    if (hms[1] + 0 > 23 || hms[2] + 0 > 59 || hms[3] + 0 > 60) return "-"
    return sprintf("%04d-%02d-%02d %s", y, (mon + 2) / 3, d, t)
  }
  {
    date = ""; n = 0; ended = 0
    # A record holding CRs is split at them: classic-Mac (CR-only) files
    # come as one record (this script reads, the program judges as is).
    while (!ended && (getline record < $2) > 0 && n < 2000) {
      sub(/\r$/, "", record)
      k = split(record, lines, "\r")
      for (i = 1; i <= (k ? k : 1) && n++ < 2000; i++) {
        line = k ? lines[i] : ""
        if (line == "") { ended = 1; break }
        if (date == "" && tolower(substr(line, 1, 5)) == "date:") date = substr(line, 6)
      }
    }
    close($2)
    print $1, $2, clock(date)
  }'
}

# judge_shard LIST: judge each "folder<TAB>path" line of LIST, appending
# to LIST.raw; the shard logs to its own file (same rules otherwise).
judge_shard() {
  shard_log=$1.log shard_rules=$1.ini
  sed "s|^file *=.*|file = $shard_log|" "$RULES" > "$shard_rules"
  chmod 600 "$shard_rules"
  : > "$1.raw"
  while IFS='	' read -r judge_folder judge_path judge_clock; do
    : > "$shard_log"
    # ulimit in a subshell, not timeout(1): half the cost per file.
    if [ -n "$JUDGE_FAKETIME" ] && [ "$judge_clock" != - ]; then
      (ulimit -t "${JUDGE_SECONDS:-20}"
       exec "$JUDGE_FAKETIME" -f "@$judge_clock" "$BSF_BIN" check --explain -c "$shard_rules") \
        < "$judge_path" > /dev/null 2> "$1.err"
    else
      judge_clock=-
      (ulimit -t "${JUDGE_SECONDS:-20}"; exec "$BSF_BIN" check --explain -c "$shard_rules") \
        < "$judge_path" > /dev/null 2> "$1.err"
    fi
    judge_status=$?
    printf '@@FILE\t%s\t%s\t%s\t%s\n' "$judge_folder" \
      "$judge_folder/${judge_path##*/}" "$judge_status" "$judge_clock" >> "$1.raw"
    awk 'FNR == NR { print "L " $0; next } { print "E " $0 }' \
      "$shard_log" "$1.err" >> "$1.raw"
  done < "$1"
}

# judge_corpus CORPUS OUT FOLDER...: JUDGE_JOBS processes at a time
# (default: the number of CPUs, at most 8), each over a contiguous slice of
# the files, so the output keeps the corpus order.
judge_corpus() {
  judge_root=$1 judge_out=$2; shift 2
  judge_raw=$WORK/judge.raw
  rm -f "$WORK"/judge.shard.*
  for judge_folder in "$@"; do
    for judge_path in "$judge_root/$judge_folder"/*; do
      [ -f "$judge_path" ] && printf '%s\t%s\n' "$judge_folder" "$judge_path"
    done
  done | judge_clocks > "$WORK/judge.list"
  judge_jobs=${JUDGE_JOBS:-$(nproc 2> /dev/null || echo 1)}
  [ "$judge_jobs" -ge 1 ] 2> /dev/null || judge_jobs=1
  [ "$judge_jobs" -le 8 ] || judge_jobs=8
  judge_total=$(wc -l < "$WORK/judge.list")
  judge_per=$(( (judge_total + judge_jobs - 1) / judge_jobs ))
  [ "$judge_per" -ge 1 ] || judge_per=1
  split -l "$judge_per" -d -a 2 "$WORK/judge.list" "$WORK/judge.shard."
  for judge_shard_list in "$WORK"/judge.shard.[0-9][0-9]; do
    [ -f "$judge_shard_list" ] && judge_shard "$judge_shard_list" &
  done
  wait
  cat "$WORK"/judge.shard.[0-9][0-9].raw > "$judge_raw" 2> /dev/null || : > "$judge_raw"
  awk -v OFS='\t' '
  function flush() {
    if (file == "") return
    if (verdict == "") verdict = e_verdict
    if (kind == "") kind = e_kind
    if (sanitizer != "") reason = "sanitizer: " sanitizer
    else if (status > 128) reason = "killed by signal " (status - 128)
    else if (reason == "") reason = first
    gsub(/\t/, " ", reason)
    print folder, file, status, dash(verdict), dash(kind), dash(id), dash(ids), dash(substr(reason, 1, 200)), clock
  }
  function dash(s) { return s == "" ? "-" : s }
  function field(line, name,    m) {   # name=value or name=<value> or name="value"
    if (!match(line, "(^| )" name "=")) return ""
    line = substr(line, RSTART + RLENGTH)
    if (name == "reason" && substr(line, 1, 1) == "\"") {
      line = substr(line, 2); sub(/"[^"]*$/, "", line); return line
    }
    if (substr(line, 1, 1) == "<") { sub(/>.*/, "", line); return substr(line, 2) }
    sub(/ .*/, "", line); return line
  }
  function collect(line,    token) {
    if (line !~ /[Ii][Dd]/) return
    while (match(line, /<[^<> ]+@[^<> ]+>/)) {
      token = substr(line, RSTART + 1, RLENGTH - 2)
      line = substr(line, RSTART + RLENGTH)
      if (!((file, token) in seen)) { seen[file, token] = 1; ids = ids (ids == "" ? "" : ",") token }
    }
  }
  /^@@FILE\t/ {
    flush()
    split($0, f, "\t"); folder = f[2]; file = f[3]; status = f[4] + 0; clock = f[5]
    verdict = kind = id = ids = reason = first = e_verdict = e_kind = sanitizer = ""
    next
  }
  {
    tag = substr($0, 1, 1); line = substr($0, 3)
    if (tag == "L" && first == "" && line != "") first = line
    if (tag == "L" && line ~ /verdict=/) {
      verdict = field(line, "verdict"); kind = field(line, "kind")
      id = field(line, "id"); reason = field(line, "reason")
    }
    if (tag == "E") {
      if (sanitizer == "" && line ~ /(AddressSanitizer|LeakSanitizer|runtime error:)/)
        sanitizer = line
      if (e_verdict == "" && match(line, /^[ \t]*verdict:[ \t]*[a-z]+/)) {
        e_verdict = line; sub(/^[ \t]*verdict:[ \t]*/, "", e_verdict); sub(/[^a-z].*/, "", e_verdict)
      }
      if (e_kind == "" && match(line, /^[ \t]*kind:[ \t]*[a-z]+/)) {
        e_kind = line; sub(/^[ \t]*kind:[ \t]*/, "", e_kind); sub(/[^a-z].*/, "", e_kind)
      }
      if (line !~ /verdict=/) collect(line)
    }
  }
  END { flush() }' "$judge_raw" > "$judge_out"
}

# judge_variants CORPUS DEST FOLDER...: copies of every labelled notice
# (the files of those FOLDERs under bounce/ or autoreply/) with other line ends, for the rule "CR-only and CRLF line
# ends are judged exactly like LF ones": DEST/cr/CLASS/GROUP/FILE with every
# line ending in a CR alone (classic Mac OS), DEST/crlf/... with CRLF, and
# for the files that already hold CRs the LF form DEST/lf/... (CRLF and a
# lone CR both end a line); the LF form of the others is the file itself.
judge_variants() {
  judge_root=$1 judge_dest=$2; shift 2
  for judge_folder in "$@"; do
    case $judge_folder in bounce/*|autoreply/*) ;; *) continue ;; esac
    for judge_path in "$judge_root/$judge_folder"/*; do
      [ -f "$judge_path" ] && printf '%s\n' "$judge_path"
    done
  done > "$judge_dest.list"
  set -- "$judge_root" "$judge_dest"
  mkdir -p "$2"
  while IFS= read -r judge_path; do
    judge_rel=${judge_path#"$1"/}
    mkdir -p "$2/cr/${judge_rel%/*}" "$2/crlf/${judge_rel%/*}"
    sed 's/\r$//' "$judge_path" | tr '\r' '\n' > "$2/lf.tmp"
    tr '\n' '\r' < "$2/lf.tmp" > "$2/cr/$judge_rel"
    sed 's/$/\r/' "$2/lf.tmp" > "$2/crlf/$judge_rel"
    if ! cmp -s "$2/lf.tmp" "$judge_path"; then
      mkdir -p "$2/lf/${judge_rel%/*}"
      mv "$2/lf.tmp" "$2/lf/$judge_rel"
    fi
  done < "$2.list"
  rm -f "$2/lf.tmp" "$2.list"
}

# judge_variants_compare OURS VARIANTS_OURS: "FAIL<TAB>..." for each CR or
# CRLF variant whose kind or logged ID differs from its LF form's, then
# "COUNT<TAB>same<TAB>all" per line-end style as "STYLE<TAB>same<TAB>all".
judge_variants_compare() {
  awk -F'\t' '
  FILENAME == ARGV[1] { lf[$2] = $5 " id=" $6; next }
  {
    style = $2; sub(/\/.*/, "", style); rel = substr($2, length(style) + 2)
    if (style == "lf") { lf[rel] = $5 " id=" $6; next }
    lines[++n] = style "\t" rel "\t" $5 " id=" $6
  }
  END {
    for (i = 1; i <= n; i++) {
      split(lines[i], f, "\t"); all[f[1]]++
      if (f[3] == lf[f[2]]) same[f[1]]++
      else print "FAIL\t" f[1] " " f[2] ": kind=" f[3] ", LF form kind=" lf[f[2]]
    }
    for (s in all) printf "%s\t%d\t%d\n", s, same[s], all[s]
  }' "$1" "$2"
}
