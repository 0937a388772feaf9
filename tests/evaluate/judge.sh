# SPDX-License-Identifier: GPL-3.0-or-later
# judge.sh: sourced by tests/evaluate/evaluate.sh and tests/e2e/corpus.sh.
# Runs the built program once per corpus file and writes one TSV line each:
#   folder  file  exit  verdict  kind  id  trace_ids  reason
# file is relative to the corpus; "-" marks an empty field. verdict, kind,
# id and reason come from the one log line of the run (`verdict=... kind=...
# action=... id=<...> reason="..."`), or when the run logged a failure
# instead, from the --explain trace (`verdict:`, `kind:` lines); trace_ids are
# the <...@...> IDs of the trace lines that mention an ID, in order,
# comma-separated. A run may use JUDGE_SECONDS of CPU (default 20; ulimit -t,
# then SIGXCPU: "killed by signal 24"); the store lock wait bounds the rest.
#
# A run whose stderr holds a sanitizer report gets the reason "sanitizer:
# FIRST LINE OF IT" (the caller fails on it).
#
# Needs: BSF_BIN, RULES (a rule file with a `file = ` line in [log], syslog
# off; each parallel shard gets a copy logging to its own file), WORK.
# Two processes per file (the program, awk), JUDGE_JOBS at a time.

# judge_shard LIST: judge each "folder<TAB>path" line of LIST, appending
# to LIST.raw; the shard logs to its own file (same rules otherwise).
judge_shard() {
  shard_log=$1.log shard_rules=$1.ini
  sed "s|^file *=.*|file = $shard_log|" "$RULES" > "$shard_rules"
  chmod 600 "$shard_rules"
  : > "$1.raw"
  while IFS='	' read -r judge_folder judge_path; do
    : > "$shard_log"
    # ulimit in a subshell, not timeout(1): half the cost per file.
    (ulimit -t "${JUDGE_SECONDS:-20}"; exec "$BSF_BIN" check --explain -c "$shard_rules") \
      < "$judge_path" > /dev/null 2> "$1.err"
    judge_status=$?
    printf '@@FILE\t%s\t%s\t%s\n' "$judge_folder" \
      "$judge_folder/${judge_path##*/}" "$judge_status" >> "$1.raw"
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
  done > "$WORK/judge.list"
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
    print folder, file, status, dash(verdict), dash(kind), dash(id), dash(ids), dash(substr(reason, 1, 200))
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
    split($0, f, "\t"); folder = f[2]; file = f[3]; status = f[4] + 0
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
