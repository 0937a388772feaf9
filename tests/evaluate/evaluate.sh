#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# evaluate.sh: how well the built program recognises bounce-like mail and
# finds the original's Message-ID on the real messages of tests/corpus
# (see its MANIFEST), compared with two independent bounce parsers (oracles,
# tests/evaluate/oracles.pl), and how it judges the mail that is no notice
# (business, person, list, spam): its verdicts with a store that has been
# recording for weeks and knows nothing (judge.sh).
#
# Usage: evaluate.sh [CLASS/GROUP...]   (default: every CLASS/GROUP folder)
# Environment: BSF_BIN (default ./backscatter-filter), BSF_SRCDIR (default:
# two levels above this script), BSF_CORPUS (default $BSF_SRCDIR/tests/
# corpus), BSF_ORACLES=committed to use tests/evaluate/oracle-ids.tsv even
# when the Perl oracles are installed (otherwise they are rerun, ~5 s),
# BSF_EVAL_KEEP=DIR to keep the raw per-file results (ours.tsv, oracles.tsv),
# BSF_EVAL_OUT=FILE to write the report as Markdown (EVALUATION.md: `make
# evaluate` sets it).
#
# Each message is judged by one `check --explain` process (judge.sh) with a
# private rule file (no syslog, log to a temporary file, a temporary store
# holding one unrelated message), with at most 20 s of CPU. Our ID is the one
# the log line names (`id=<...>`, the ID looked up first); the other IDs the
# trace names are kept too, to tell "found it, but not first" from "did not
# find it". Prints the table, then every disagreement, every miss and every
# misjudged message. Exit status: 0 unless the program could not be run at
# all (the figures are not judged here; tests/e2e/corpus.sh asserts on them).
set -u
here=$(cd "$(dirname "$0")" && pwd)
BSF_SRCDIR=${BSF_SRCDIR:-$(cd "$here/../.." && pwd)}
BSF_BIN=${BSF_BIN:-./backscatter-filter}
CORPUS=${BSF_CORPUS:-$BSF_SRCDIR/tests/corpus}
COMMITTED_ORACLES=$here/oracle-ids.tsv

case $BSF_BIN in /*) ;; *) BSF_BIN=$(pwd)/$BSF_BIN ;; esac
[ -x "$BSF_BIN" ] || { echo "evaluate.sh: $BSF_BIN is not an executable (set BSF_BIN)" >&2; exit 1; }
[ -d "$CORPUS" ] || { echo "evaluate.sh: no corpus at $CORPUS (set BSF_CORPUS)" >&2; exit 1; }
CORPUS=$(cd "$CORPUS" && pwd)

if [ $# -eq 0 ]; then
  for d in "$CORPUS"/*/*/; do
    d=${d%/}; set -- "$@" "${d#"$CORPUS"/}"
  done
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

. "$here/judge.sh"
# The store exists (a missing store is trouble, not a judgement), began
# recording before any corpus message and holds one message the corpus
# cannot refer to.
judge_store || { echo "evaluate.sh: $BSF_BIN record failed; cannot set up the store" >&2; exit 1; }
if [ -n "$JUDGE_FAKETIME" ]; then
  clock_note="each message judged at the time of its own Date header (faketime); the store recording since 1971, knowing none of the originals"
else
  clock_note="faketime(1) NOT installed: every message judged at the real time, so most originals are past the TTL and verdicts are lenient (unknown, not backscatter)"
fi

# --- our side: one TSV line per file (judge.sh)
ours=$WORK/ours.tsv
started=$(date +%s)
for folder in "$@"; do
  [ -d "$CORPUS/$folder" ] || { echo "evaluate.sh: no folder $folder" >&2; exit 1; }
done
judge_corpus "$CORPUS" "$ours" "$@"
# The same notices with CR-only and CRLF line ends (judge.sh).
judge_variants "$CORPUS" "$WORK/variants" "$@"
variant_folders=$(cd "$WORK/variants" && for d in */*/*/; do [ -d "$d" ] && printf '%s\n' "${d%/}"; done)
# shellcheck disable=SC2086  # folder names hold no white space
[ -n "$variant_folders" ] && judge_corpus "$WORK/variants" "$WORK/variants.tsv" $variant_folders
[ -f "$WORK/variants.tsv" ] || : > "$WORK/variants.tsv"
judge_variants_compare "$ours" "$WORK/variants.tsv" > "$WORK/variants.cmp"
elapsed=$(( $(date +%s) - started ))

# --- the oracles: rerun when installed, else the committed results
oracles=$WORK/oracles.tsv
oracle_source="committed $COMMITTED_ORACLES"
if [ "${BSF_ORACLES:-}" != committed ] && command -v perl > /dev/null 2>&1 \
   && perl -MSisimai -MMail::DeliveryStatus::BounceParser -e 1 2> /dev/null; then
  files=$(awk -F'\t' '$1 ~ /^(bounce|autoreply|spam|unlabelled)\// { print $2 }' "$ours")
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

commit=$(git -C "$BSF_SRCDIR" rev-parse --short=7 HEAD 2> /dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git -C "$BSF_SRCDIR" status --porcelain -- filter include rules tests/corpus tests/evaluate 2> /dev/null)" ]; then
  commit="$commit (with uncommitted changes)"
fi
report=$WORK/report.md
{
echo "# Evaluation on the development corpus"
echo
echo "Written by \`make evaluate\` (tests/evaluate/evaluate.sh); do not edit by hand."
echo "How well \`backscatter-filter check\` recognises bounces and automatic replies,"
echo "finds the original message's Message-ID, and leaves mail that is no notice"
echo "alone, on the real messages of \`tests/corpus\` (classes and sources in its"
echo "MANIFEST), compared with two independent bounce parsers: Sisimai"
echo "(\`libsisimai-perl\`) and Mail::DeliveryStatus::BounceParser"
echo "(\`libmail-deliverystatus-bounceparser-perl\`), whose answers are kept in"
echo "\`tests/evaluate/oracle-ids.tsv\` so the test suite needs no Perl."
echo
echo "- commit: \`$commit\`, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- $(awk 'END { print NR }' "$ours") messages, and $(awk 'END { print NR }' "$WORK/variants.tsv") line-end variants of the notices, in ${elapsed} s, one \`check --explain\` process each"
echo "- store: $clock_note"
echo "- oracles: $oracle_source"
echo "- command: \`make evaluate\` (or \`sh tests/evaluate/evaluate.sh\` in the build directory)"
echo
awk -F'\t' -v groups="$*" '
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
function notice(c) { return c == "bounce" || c == "autoreply" }
function row(name, k, c) {
  if (notice(c) || c == "unlabelled")
    printf "| %-28s | %5d | %14s | %14s | %5d | %7s | %5d | %8s | %5d | %7d | %11d |\n", name,
      files[k], pct(recog[k], files[k]), pct(idf[k], files[k]), sid[k], (sagree[k] + 0) "/" (sid[k] + 0),
      bid[k], (bagree[k] + 0) "/" (bid[k] + 0), v[k, "clean"], v[k, "unknown"], v[k, "backscatter"]
  else
    printf "| %-28s | %5d | %14s | %14s | %5s | %7s | %5s | %8s | %5d | %7d | %11d |\n", name,
      files[k], pct(recog[k], files[k]), "n/a", "n/a", "n/a", "n/a", "n/a",
      v[k, "clean"], v[k, "unknown"], v[k, "backscatter"]
}
FILENAME == ARGV[1] {   # oracles
  if ($1 == "file") next
  s_ids[$1] = $3; b_id[$1] = $7; next
}
{
  g = $1; file = $2; verdict = $4; kind = $5; id = $6; trace = $7; reason = $8
  c = g; sub(/\/.*/, "", c)
  if (!(c in cfiles)) corder[++nclasses] = c
  files[g]++; cfiles[c]++; files["class " c]++
  v[g, verdict]++; v["class " c, verdict]++
  if ($9 == "-") noclock++
  rec = (kind != "-" && kind != "none")
  if (rec) { recog[g]++; recog["class " c]++; kinds[c, kind]++; if (!((c, kind) in kseen)) { kseen[c, kind] = 1; klist[c] = klist[c] " " kind } }
  if (!notice(c) && c != "unlabelled") {
    if (kind != "none" || verdict != "clean")
      misjudged[++nmis] = file "\t" verdict "\t" kind "\t" id "\t" reason
    next
  }
  if (id != "-") { idf[g]++; idf["class " c]++ }
  if (notice(c) && !rec) missed[++nmissed] = file "\t" verdict "\t" kind "\t" reason
  si = (file in s_ids) ? s_ids[file] : "-"
  bi = (file in b_id) ? b_id[file] : "-"
  if (si != "-") { sid[g]++; sid["class " c]++; if (has(si, id)) { sagree[g]++; sagree["class " c]++ } }
  if (bi != "-") { bid[g]++; bid["class " c]++; if (id == bi) { bagree[g]++; bagree["class " c]++ } }
  if ((si != "-" && !has(si, id)) || (bi != "-" && id != bi)) {
    note = (id == "-") ? "we log no ID" : ""
    note = note (note == "" ? "" : "; ") "sisimai " said(si, id, trace)
    note = note "; bounceparser " said(bi, id, trace)
    disagree[++ndis] = file "\t" id "\t" si "\t" bi "\t" note
  }
}
function table_head() {
  print "| group                        | files | bounce-like    | ID found       | s. ID | s.agree | bp ID | bp.agree | clean | unknown | backscatter |"
  print "|------------------------------|-------|----------------|----------------|-------|---------|-------|----------|-------|---------|-------------|"
}
function tsv_table(title, count, lines, header,    i, n, f) {
  printf "\n## %s (%d)\n\n", title, count
  if (!count) { print "None."; return }
  n = split(header, f, "\t"); line = "|"; sep = "|"
  for (i = 1; i <= n; i++) { line = line " " f[i] " |"; sep = sep "---|" }
  print line; print sep
  for (i = 1; i <= count; i++) { row_text = lines[i]; gsub(/\|/, "\\|", row_text); gsub(/\t/, " | ", row_text); print "| " row_text " |" }
}
END {
  print "## By class"
  print ""
  print "bounce and autoreply are notices: they should be bounce-like (kind != none),"
  print "with the original'"'"'s ID. business, person, list and spam are no notices: they"
  print "should be kind none and `clean`, and must never be `backscatter`."
  print ""
  table_head()
  for (i = 1; i <= nclasses; i++) row(corder[i], "class " corder[i], corder[i])
  print ""
  print "## By group"
  print ""
  table_head()
  n = split(groups, gs, " ")
  for (i = 1; i <= n; i++) if (gs[i] in files) { c = gs[i]; sub(/\/.*/, "", c); row(gs[i], gs[i], c) }
  print ""
  print "- bounce-like: kind != none. ID found: the log line names an original Message-ID"
  print "  (not counted for mail that is no notice: an ordinary reply names the message it answers)."
  print "- s. ID / bp ID: files where Sisimai / BounceParser find the original'"'"'s ID (only run on"
  print "  bounce, autoreply, spam and unlabelled); agree: our logged (first) ID is theirs."
  print "- clean / unknown / backscatter: the verdicts (with the store described above)."
  printf "- judged without a Date-header clock (real time, lenient): %d\n", noclock
  print ""
  print "Kinds of the bounce-like messages, by class:"
  print ""
  for (i = 1; i <= nclasses; i++) {
    c = corder[i]; if (klist[c] == "") continue
    line = ""; m = split(substr(klist[c], 2), ks, " ")
    for (j = 1; j <= m; j++) line = line (j > 1 ? ", " : "") ks[j] " " kinds[c, ks[j]]
    printf "- %s: %s\n", c, line
  }
  tsv_table("Disagreements with an oracle on the original Message-ID", ndis, disagree, "file\tours\tsisimai\tbounceparser\tnote")
  tsv_table("Notices (bounce, autoreply) not recognised", nmissed, missed, "file\tverdict\tkind\treason")
  tsv_table("Mail that is no notice judged bounce-like or not clean", nmis, misjudged, "file\tverdict\tkind\tid\treason")
}' "$oracles" "$ours"
echo
echo "## Line ends"
echo
echo "Every labelled notice (bounce/*, autoreply/*) is judged again with its lines"
echo "ended by CR alone (classic Mac OS) and by CRLF; each should get the kind and"
echo "the logged ID of its LF form."
echo
echo "| line ends | files | kind and ID as with LF | bounce-like |"
echo "|---|---|---|---|"
for style in cr crlf; do
  awk -F'\t' -v s="$style" '$1 == s { printf "| %s | %d | %d (%.1f%%) |", s, $3, $2, $3 ? 100 * $2 / $3 : 0 }' "$WORK/variants.cmp"
  awk -F'\t' -v s="$style" 'index($2, s "/") == 1 { n++; if ($5 != "none" && $5 != "-") r++ }
    END { printf " %d (%.1f%%) |\n", r, n ? 100 * r / n : 0 }' "$WORK/variants.tsv"
done
differ=$(grep -c '^FAIL' "$WORK/variants.cmp")
echo
echo "Judged differently from the LF form: $differ (the first 30 below)."
if [ "$differ" -gt 0 ]; then
  echo
  grep '^FAIL' "$WORK/variants.cmp" | cut -f2 | head -n 30 | sed 's/^/- /'
fi
if [ -f "$here/judgements.md" ]; then echo; cat "$here/judgements.md"; fi
} > "$report"
cat "$report"
if [ -n "${BSF_EVAL_OUT:-}" ]; then
  cp "$report" "$BSF_EVAL_OUT" && echo "evaluate.sh: wrote $BSF_EVAL_OUT" >&2
fi

if ! awk -F'\t' '$4 != "-" { found = 1 } END { exit !found }' "$ours"; then
  echo "evaluate.sh: no run produced a verdict; is $BSF_BIN working?" >&2
  exit 1
fi
exit 0
