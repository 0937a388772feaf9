# judge.sh: sourced by tests/evaluate/evaluate.sh and tests/e2e/corpus.sh.
# Runs the built program once per corpus file and writes one TSV line each:
#   folder  file  exit  verdict  kind  id  trace_ids  reason
# file is relative to the corpus; "-" marks an empty field. verdict, kind,
# id and reason come from the one log line of the run (`verdict=... kind=...
# action=... id=<...> reason="..."`), or when the run logged a failure
# instead, from the --explain trace (`verdict:`, `kind:` lines); trace_ids are
# the <...@...> IDs of the trace lines that mention an ID, in order,
# comma-separated. A run is limited to JUDGE_SECONDS (default 20; exit 124).
#
# Needs: BSF_BIN, RULES (a rule file logging to $LOG, syslog off), LOG, WORK.
# Three processes per file (timeout+program, awk): the whole corpus takes
# seconds, not minutes.

# judge_corpus CORPUS OUT FOLDER...
judge_corpus() {
  judge_root=$1 judge_out=$2; shift 2
  judge_raw=$WORK/judge.raw
  : > "$judge_raw"
  for judge_folder in "$@"; do
    for judge_path in "$judge_root/$judge_folder"/*; do
      [ -f "$judge_path" ] || continue
      : > "$LOG"
      timeout "${JUDGE_SECONDS:-20}" "$BSF_BIN" check --explain -c "$RULES" \
        < "$judge_path" > /dev/null 2> "$WORK/judge.err"
      judge_status=$?
      printf '@@FILE\t%s\t%s\t%s\n' "$judge_folder" \
        "$judge_folder/${judge_path##*/}" "$judge_status" >> "$judge_raw"
      awk 'FNR == NR { print "L " $0; next } { print "E " $0 }' \
        "$LOG" "$WORK/judge.err" >> "$judge_raw"
    done
  done
  awk -v OFS='\t' '
  function flush() {
    if (file == "") return
    if (verdict == "") verdict = e_verdict
    if (kind == "") kind = e_kind
    if (status == 124) reason = "timeout"
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
    verdict = kind = id = ids = reason = first = e_verdict = e_kind = ""
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
