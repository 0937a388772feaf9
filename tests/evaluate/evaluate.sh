#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# evaluate.sh: how well the built program recognises bounce-like mail and
# finds the original's Message-ID on the real messages of the shared corpus,
# compared with two independent bounce parsers (oracles, tests/evaluate/
# oracles.pl), and how much ordinary mail it misflags.
#
# Usage: evaluate.sh [FOLDER...]   (folders relative to the corpus; default:
#        bounces/flufl.bounce bounces/bounceparser ham/* unlabelled/ml-bouncelike)
# Environment: BSF_BIN (default ./backscatter-filter), BSF_SRCDIR (default:
# two levels above this script), BSF_CORPUS (default $BSF_SRCDIR/../shared/
# corpus), BSF_ORACLES=committed to use tests/evaluate/oracle-ids.tsv even
# when the Perl oracles are installed (otherwise they are rerun, ~4 s),
# BSF_EVAL_KEEP=DIR to keep the raw per-file results (ours.tsv, oracles.tsv).
#
# Each message is judged by one `check --explain` process (judge.sh) with a
# private rule file (no syslog, log to a temporary file, a temporary store
# holding one unrelated message), with at most 20 s of CPU. Our ID is the one the log line
# names (`id=<...>`, the ID looked up first); the other IDs the trace names
# are kept too, to tell "found it, but not first" from "did not find it".
# Prints the table, then every disagreement and every miss. Exit status: 0
# unless the program could not be run at all (the figures are not judged
# here; tests/e2e/corpus.sh asserts on them).
set -u
here=$(cd "$(dirname "$0")" && pwd)
BSF_SRCDIR=${BSF_SRCDIR:-$(cd "$here/../.." && pwd)}
BSF_BIN=${BSF_BIN:-./backscatter-filter}
CORPUS=${BSF_CORPUS:-$BSF_SRCDIR/../shared/corpus}
COMMITTED_ORACLES=$here/oracle-ids.tsv

case $BSF_BIN in /*) ;; *) BSF_BIN=$(pwd)/$BSF_BIN ;; esac
[ -x "$BSF_BIN" ] || { echo "evaluate.sh: $BSF_BIN is not an executable (set BSF_BIN)" >&2; exit 1; }
[ -d "$CORPUS" ] || { echo "evaluate.sh: no corpus at $CORPUS (set BSF_CORPUS)" >&2; exit 1; }
CORPUS=$(cd "$CORPUS" && pwd)

if [ $# -eq 0 ]; then
  set -- bounces/flufl.bounce bounces/bounceparser
  for d in "$CORPUS"/ham/*/; do set -- "$@" "ham/$(basename "$d")"; done
  set -- "$@" unlabelled/ml-bouncelike
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bsf-eval.XXXXXX") || exit 1
if [ -z "${BSF_EVAL_KEEP:-}" ]; then
  trap 'rm -rf "$WORK"' EXIT
  trap 'rm -rf "$WORK"; exit 1' INT TERM HUP
fi
chmod 700 "$WORK"
export HOME=$WORK/home XDG_CONFIG_HOME=$WORK/home/.config XDG_STATE_HOME=$WORK/home/.local/state
mkdir -p "$XDG_CONFIG_HOME"
unset SENDER RECIPIENT ORIGINAL_RECIPIENT
RULES=$WORK/rules.ini LOG=$WORK/log
printf '[store]\npath = %s\nlock_wait = 2s\n[log]\nsyslog = no\nfile = %s\n' \
  "$WORK/store/sent.db" "$LOG" > "$RULES"
chmod 600 "$RULES"

# The store exists (a missing store is trouble, not a judgement) and holds
# one message the corpus cannot refer to.
printf 'From: evaluation@invalid.example\nTo: nobody@invalid.example\nMessage-ID: <evaluate.%s@invalid.example>\nSubject: x\n\nx\n' "$$" \
  | "$BSF_BIN" record -c "$RULES" > /dev/null 2>&1 \
  || { echo "evaluate.sh: $BSF_BIN record failed; cannot set up the store" >&2; exit 1; }

# --- our side: one TSV line per file (judge.sh)
ours=$WORK/ours.tsv
. "$here/judge.sh"
started=$(date +%s)
for folder in "$@"; do
  [ -d "$CORPUS/$folder" ] || { echo "evaluate.sh: no folder $folder" >&2; exit 1; }
done
judge_corpus "$CORPUS" "$ours" "$@"
elapsed=$(( $(date +%s) - started ))

# --- the oracles: rerun when installed, else the committed results
oracles=$WORK/oracles.tsv
oracle_source="committed $COMMITTED_ORACLES"
if [ "${BSF_ORACLES:-}" != committed ] && command -v perl > /dev/null 2>&1 \
   && perl -MSisimai -MMail::DeliveryStatus::BounceParser -e 1 2> /dev/null; then
  files=$(awk -F'\t' '$1 !~ /^ham\// { print $2 }' "$ours")
  if [ -n "$files" ]; then
    # shellcheck disable=SC2086  # corpus names hold no white space
    (cd "$CORPUS" && perl "$here/oracles.pl" $files) > "$oracles" 2> "$WORK/oracles.err"
    oracle_source="recomputed ($(perl -MSisimai -e 'print Sisimai->version'), BounceParser $(perl -MMail::DeliveryStatus::BounceParser -e 'print $Mail::DeliveryStatus::BounceParser::VERSION'))"
    if [ -f "$COMMITTED_ORACLES" ] && ! awk -F'\t' 'NR == FNR { c[$1] = $0; next }
          ($1 in c) && c[$1] != $0 { bad = 1 } END { exit bad }' "$COMMITTED_ORACLES" "$oracles"; then
      oracle_source="$oracle_source; DIFFERS from the committed oracle-ids.tsv"
    fi
  fi
else
  cp "$COMMITTED_ORACLES" "$oracles" 2> /dev/null || : > "$oracles"
fi

[ -n "${BSF_EVAL_KEEP:-}" ] && mkdir -p "$BSF_EVAL_KEEP" \
  && cp "$ours" "$oracles" "$BSF_EVAL_KEEP/"

echo "backscatter-filter evaluation: $(awk 'END { print NR }' "$ours") messages in ${elapsed} s, one process each"
echo "program: $BSF_BIN"
echo "corpus:  $CORPUS"
echo "oracles: $oracle_source"
echo

awk -F'\t' -v folders="$*" '
function has(list, id,    n, i, parts) {
  if (id == "-" || list == "-") return 0
  n = split(list, parts, ",")
  for (i = 1; i <= n; i++) if (parts[i] == id) return 1
  return 0
}
function overlap(a, b,    n, i, parts) {   # do two comma lists share an ID?
  if (a == "-" || b == "-") return 0
  n = split(b, parts, ",")
  for (i = 1; i <= n; i++) if (has(a, parts[i])) return 1
  return 0
}
function said(oracle, id, trace) {   # how the answer of an oracle compares to ours
  if (oracle == "-") return "finds none"
  if (has(oracle, id)) return "agrees"
  if (overlap(trace, oracle)) return "names an ID of our trace, not our first"
  return "differs"
}
function pct(n, d) { return d ? sprintf("%d (%.1f%%)", n, 100 * n / d) : "-" }
function row(name, k) {
  if (name ~ /^ham\//)
    printf "| %-26s | %5d | %14s | %14s | %11s | %11s | %11s | %11s | %14s |\n", name,
      files[k], pct(recog[k], files[k]), "n/a", "n/a", "n/a", "n/a", "n/a",
      pct(mis[k], files[k])
  else
    printf "| %-26s | %5d | %14s | %14s | %11d | %11s | %11d | %11s | %14s |\n", name,
      files[k], pct(recog[k], files[k]), pct(idf[k], files[k]), sid[k], (sagree[k] + 0) "/" (sid[k] + 0),
      bid[k], (bagree[k] + 0) "/" (bid[k] + 0), name ~ /^bounces\// ? "n/a" : "-"
}
FILENAME == ARGV[1] {   # oracles
  if ($1 == "file") next
  s_ids[$1] = $3; s_reason[$1] = $4; b_bounce[$1] = $6; b_id[$1] = $7
  s_status[$1] = $2; b_status[$1] = $5; next
}
{
  f = $1; file = $2; verdict = $4; kind = $5; id = $6; trace = $7; reason = $8
  files[f]++; order[f] = 1
  total = (f ~ /^ham\//) ? "ham" : "bounce"
  files[total]++
  rec = (kind != "-" && kind != "none")
  if (rec) { recog[f]++; recog[total]++ }
  if (f ~ /^ham\//) {
    if (kind != "none" || verdict != "clean") {
      mis[f]++; mis[total]++
      misflag[++nmis] = file "\t" verdict "\t" kind "\t" id "\t" reason
    }
    next
  }
  if (id != "-") { idf[f]++; idf[total]++ }
  if (f ~ /^bounces\// && !rec)
    missed[++nmissed] = file "\t" verdict "\t" kind "\t" reason
  si = (file in s_ids) ? s_ids[file] : "-"
  bi = (file in b_id) ? b_id[file] : "-"
  if (si != "-") { sid[f]++; sid[total]++; if (has(si, id)) { sagree[f]++; sagree[total]++ } }
  if (bi != "-") { bid[f]++; bid[total]++; if (id == bi) { bagree[f]++; bagree[total]++ } }
  if ((si != "-" && !has(si, id)) || (bi != "-" && id != bi)) {
    note = (id == "-") ? "we log no ID" : ""
    note = note (note == "" ? "" : "; ") "sisimai " said(si, id, trace)
    note = note "; bounceparser " said(bi, id, trace)
    disagree[++ndis] = file "\t" id "\t" si "\t" bi "\t" note
  }
}
END {
  print "| folder                     | files | bounce-like    | ID found       | sisimai ID  | agree       | bp ID       | agree       | misflagged     |"
  print "|----------------------------|-------|----------------|----------------|-------------|-------------|-------------|-------------|----------------|"
  n = split(folders, fs, " ")
  for (i = 1; i <= n; i++) if (fs[i] in order) row(fs[i], fs[i])
  if (files["bounce"]) row("total bounces+unlabelled", "bounce")
  if (files["ham"]) row("ham/ total", "ham")
  print ""
  print "bounce-like: kind != none; ID found: the log line names an original Message-ID"
  print "(not counted for ham: an ordinary reply names the message it answers);"
  print "sisimai/bp ID: files where Sisimai / Mail::DeliveryStatus::BounceParser find one;"
  print "agree: our (first) ID equals it; misflagged: ham with kind != none or verdict != clean."
  print ""
  printf "## Disagreements on the original Message-ID (%d)\n", ndis
  print "file\tours\tsisimai\tbounceparser\tnote"
  for (i = 1; i <= ndis; i++) print disagree[i]
  print ""
  printf "## Labelled bounce files not recognised (kind none) (%d)\n", nmissed
  print "file\tverdict\tkind\treason"
  for (i = 1; i <= nmissed; i++) print missed[i]
  print ""
  printf "## Ordinary mail misflagged (%d)\n", nmis
  print "file\tverdict\tkind\tid\treason"
  for (i = 1; i <= nmis; i++) print misflag[i]
}' "$oracles" "$ours"

if ! awk -F'\t' '$4 != "-" { found = 1 } END { exit !found }' "$ours"; then
  echo "evaluate.sh: no run produced a verdict; is $BSF_BIN working?" >&2
  exit 1
fi
exit 0
