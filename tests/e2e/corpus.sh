#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# corpus.sh: the built program on the real messages of tests/corpus (labelled
# by class, see its MANIFEST), one `check` process per file, with a store
# that has been recording for weeks and knows nothing (judge.sh: each
# message judged at the time of its own Date header, via faketime(1)):
#  - every run ends with a verdict (exit 0 or 2, no sanitizer report);
#  - labelled notices (bounce/*, autoreply/*) are recognised as bounce-like
#    at least as often as tests/e2e/corpus-thresholds records;
#  - for every labelled bounce where Sisimai or Mail::DeliveryStatus::
#    BounceParser finds the original's Message-ID (tests/evaluate/
#    oracle-ids.tsv, committed so no Perl is needed here), we find that ID
#    too (as the ID logged, or among the IDs of the --explain trace), except
#    the oracle errors listed below;
#  - automatic replies and challenges get their kind;
#  - business and person's mail is never `backscatter`, and judged clean at
#    least as often as the threshold file records; list mail likewise;
#  - spam dressed as a notice is not bounce-like;
#  - the labelled notices with CR-only and with CRLF line ends get the kind
#    and ID of their LF form at least as often as the threshold file records.
# tests/evaluate/evaluate.sh (make evaluate) prints the full figures. The
# corpus is read-only: nothing here edits it.
. "$BSF_SRCDIR/tests/e2e/lib.inc"
. "$BSF_SRCDIR/tests/evaluate/judge.sh"
ORACLE_IDS=$BSF_SRCDIR/tests/evaluate/oracle-ids.tsv
THRESHOLDS=$BSF_SRCDIR/tests/e2e/corpus-thresholds

# Notices that are no bounces: they must be recognised, with this kind.
NOTICE_KINDS='
autoreply/bounceparser/aol-vacation.msg     autoreply vacation reply (Automatic Response)
autoreply/bounceparser/autoreply.msg        autoreply "Thank you for your e-mail"
autoreply/bounceparser/polish-autoreply.msg autoreply Polish [Automatyczna odpowiedz]
autoreply/bounceparser/bluebottle.msg       challenge Bluebottle challenge-response
autoreply/bounceparser/boxbe-cr.msg         challenge Boxbe challenge-response
autoreply/bounceparser/boxbe-cr2.msg        challenge Boxbe challenge-response
'
# Oracle results that are wrong, so no ID is required from us there:
# FILE  reason. (Decided by reading each message.)
# None so far: where one oracle is wrong (bounce_03: Sisimai names a message
# inside the returned digest) the other one is right, and either will do.
ORACLE_ERRORS='
'

threshold() {   # threshold NAME: its value in the threshold file
  awk -v name="$1" '$1 == name { print $2; found = 1 } END { exit !found }' "$THRESHOLDS"
}

for class in bounce autoreply business person list spam; do
  if [ ! -d "$CORPUS/$class" ]; then
    not_ok "corpus class $class present" "no folder $CORPUS/$class"
    finish; exit
  fi
done
if [ -z "$JUDGE_FAKETIME" ]; then
  not_ok "faketime(1) installed (scripts/install-deps --tests installs it)" \
    "without it the store cannot be made to know the originals' time"
fi
write_rules
judge_store
check "the store is set up" test -f "$STORE"

set --
for d in "$CORPUS"/*/*/; do
  d=${d%/}; set -- "$@" "${d#"$CORPUS"/}"
done
started=$(date +%s)
judge_corpus "$CORPUS" "$WORK/ours.tsv" "$@"
judge_variants "$CORPUS" "$WORK/variants" "$@"
variant_folders=$(cd "$WORK/variants" && for d in */*/*/; do [ -d "$d" ] && printf '%s\n' "${d%/}"; done)
# shellcheck disable=SC2086  # folder names hold no white space
judge_corpus "$WORK/variants" "$WORK/variants.tsv" $variant_folders
elapsed=$(( $(date +%s) - started ))
echo "# judged $(wc -l < "$WORK/ours.tsv") files and $(wc -l < "$WORK/variants.tsv") line-end variants in $elapsed s"
list() { printf '%s\n' "$1" | awk 'NF { print $1 }'; }
list "$ORACLE_ERRORS" > "$WORK/oracle-errors"
printf '%s\n' "$NOTICE_KINDS" | awk 'NF { print $1 "\t" $2 }' > "$WORK/notice-kinds"

# Result files hold a line "FAIL<TAB>detail" per failure.
failures() { grep -c '^FAIL' "$1"; }
not_ok_listing() {   # not_ok_listing DESC FILE: not ok, the first 40 details
  set -f; saved_ifs=$IFS; IFS='
'
  # shellcheck disable=SC2046  # one argument per line
  not_ok "$1" $(grep '^FAIL' "$2" | cut -f2- | head -n 40)
  IFS=$saved_ifs; set +f
}
assert_none() {   # assert_none DESC FILE
  n=$(failures "$2")
  if [ "$n" -eq 0 ]; then ok "$1"; else not_ok_listing "$1 ($n failed)" "$2"; fi
}
# assert_rate DESC FILE THRESHOLD_NAME: FILE holds "COUNT<TAB>good<TAB>all"
# and FAIL lines; good/all must reach the threshold (per mille).
assert_rate() {
  set -- "$1" "$2" "$3" $(awk -F'\t' '/^COUNT/ { print $2, $3 }' "$2")
  permille=$(threshold "$3") || { not_ok "$1" "no $3 in $THRESHOLDS"; return; }
  pct=$(awk -v r="$4" -v n="$5" 'BEGIN { printf "%.1f", n ? 100 * r / n : 0 }')
  desc="$1: $4/$5 ($pct%) >= $permille per mille"
  if [ "$5" -gt 0 ] && [ $(($4 * 1000)) -ge $(($5 * permille)) ]; then
    ok "$desc"
  else
    not_ok_listing "$desc" "$2"
  fi
}

# --- every run ended and judged
# With the default actions every verdict exits 0 (deliver) or 2 (file).
awk -F'\t' '($3 != 0 && $3 != 2) || $4 == "-" || $8 ~ /^sanitizer:/ {
  print "FAIL\t" $2 " exit=" $3 " " $8 }' "$WORK/ours.tsv" "$WORK/variants.tsv" > "$WORK/ran"
assert_none "every corpus file judged (exit 0 or 2, a verdict, no sanitizer report)" "$WORK/ran"

# --- recognition of labelled notices
awk -F'\t' '$1 ~ /^(bounce|autoreply)\// {
    n++; if ($5 != "-" && $5 != "none") r++; else print "FAIL\t" $2 " kind=" $5
  }
  END { printf "COUNT\t%d\t%d\n", r, n }' "$WORK/ours.tsv" > "$WORK/recognised"
assert_rate "labelled bounces and auto-replies recognised" "$WORK/recognised" notices_recognised_permille

# --- the original's Message-ID, where an oracle finds one
awk -F'\t' '
  function has(list, id,    n, i, p) {
    if (list == "-" || id == "-") return 0
    n = split(list, p, ","); for (i = 1; i <= n; i++) if (p[i] == id) return 1
    return 0
  }
  function ours_has(list,    n, i, p) {   # one of the oracle IDs is ours
    if (list == "-") return 0
    n = split(list, p, ",")
    for (i = 1; i <= n; i++) if (p[i] == our_id || has(our_trace, p[i])) return 1
    return 0
  }
  FILENAME == ARGV[1] { excused[$1] = 1; next }
  FILENAME == ARGV[2] { if ($1 != "file") { s[$1] = $3; b[$1] = $7 }; next }
  $1 ~ /^(bounce|autoreply)\// && !($2 in excused) && ($2 in s) && (s[$2] != "-" || b[$2] != "-") {
    our_id = $6; our_trace = $7
    if (!ours_has(s[$2]) && !ours_has(b[$2]))
      print "FAIL\t" $2 " ours=" $6 " sisimai=" s[$2] " bounceparser=" b[$2]
    else print "OK"
  }' "$WORK/oracle-errors" "$ORACLE_IDS" "$WORK/ours.tsv" > "$WORK/ids"
with_oracle=$(grep -c . "$WORK/ids")
assert_none "original Message-ID found where an oracle finds one ($with_oracle notices, $(wc -l < "$WORK/oracle-errors") oracle errors excused)" "$WORK/ids"

# --- automatic replies and challenges with their kind
awk -F'\t' 'FILENAME == ARGV[1] { want[$1] = $2; n++; next }
  ($2 in want) { seen++; if ($5 != want[$2]) print "FAIL\t" $2 " kind=" $5 " want " want[$2] }
  END { if (seen != n) print "FAIL\tonly " seen + 0 " of the " n " files listed were judged" }' \
  "$WORK/notice-kinds" "$WORK/ours.tsv" > "$WORK/kinds"
assert_none "vacation replies and challenges get their kind ($(wc -l < "$WORK/notice-kinds") files)" "$WORK/kinds"

# --- mail that is no notice
awk -F'\t' '$1 ~ /^(business|person)\// && $4 == "backscatter" {
  print "FAIL\t" $2 " kind=" $5 " id=" $6 " reason=" $8 }' "$WORK/ours.tsv" > "$WORK/never"
assert_none "no business or person's mail is backscatter ($(awk -F'\t' '$1 ~ /^(business|person)\//' "$WORK/ours.tsv" | wc -l) messages)" "$WORK/never"
awk -F'\t' '$1 ~ /^(business|person)\// {
    n++; if ($4 == "clean") r++; else print "FAIL\t" $2 " verdict=" $4 " kind=" $5 " id=" $6
  }
  END { printf "COUNT\t%d\t%d\n", r, n }' "$WORK/ours.tsv" > "$WORK/business"
assert_rate "business and person's mail judged clean" "$WORK/business" business_person_clean_permille
awk -F'\t' '$1 ~ /^list\// {
    n++; if ($4 == "clean") r++; else print "FAIL\t" $2 " verdict=" $4 " kind=" $5 " id=" $6
  }
  END { printf "COUNT\t%d\t%d\n", r, n }' "$WORK/ours.tsv" > "$WORK/list"
assert_rate "list mail judged clean" "$WORK/list" list_clean_permille
awk -F'\t' '$1 ~ /^spam\// { n++; if ($5 != "none") print "FAIL\t" $2 " kind=" $5 " verdict=" $4 }
  END { if (!n) print "FAIL\tno spam judged" }' "$WORK/ours.tsv" > "$WORK/spam"
assert_none "spam dressed as a notice is not bounce-like ($(awk -F'\t' '$1 ~ /^spam\//' "$WORK/ours.tsv" | wc -l) messages)" "$WORK/spam"

# --- line ends: CR-only and CRLF judged like LF
judge_variants_compare "$WORK/ours.tsv" "$WORK/variants.tsv" > "$WORK/variants.cmp"
for style in cr crlf; do
  { grep "^FAIL	$style " "$WORK/variants.cmp"
    awk -F'\t' -v s="$style" '$1 == s { print "COUNT\t" $2 "\t" $3 }' "$WORK/variants.cmp"
  } > "$WORK/variants.$style"
  assert_rate "labelled notices with $style line ends judged as with LF (kind and ID)" \
    "$WORK/variants.$style" "${style}_as_lf_permille"
done
# --- the evaluation's own readers take classic-Mac (CR-only) files: the
# judge's clock from the Date header, and the oracles (normalised for them
# only; the program is given each file as it is).
printf 'From: a@example.org\nDate: Wed, 12 Jun 2013 02:21:53 +0000\nSubject: x\n\nDate: no\n' \
  > "$WORK/clock-lf.eml"
tr '\n' '\r' < "$WORK/clock-lf.eml" > "$WORK/clock-cr.eml"
sed 's/$/\r/' "$WORK/clock-lf.eml" > "$WORK/clock-crlf.eml"
for style in lf crlf cr; do printf 'x\t%s\n' "$WORK/clock-$style.eml"; done \
  | judge_clocks > "$WORK/clocks"
equal "judge_clocks: the Date of LF, CRLF and CR-only files" \
  "$(cut -f3 "$WORK/clocks" | tr '\n' ' ')" "2013-06-12 02:21:53 2013-06-12 02:21:53 2013-06-12 02:21:53 "
printf 'From: a@example.org\nDate: Wed, 15 Dec 2010    59:10 -0500\nSubject: x\n\n' \
  > "$WORK/clock-bad.eml"
printf 'x\t%s\n' "$WORK/clock-bad.eml" | judge_clocks > "$WORK/clock-bad"
equal "judge_clocks: a Date with its time out of range is no clock (-)" \
  "$(cut -f3 "$WORK/clock-bad")" "-"
if perl -MSisimai -MMail::DeliveryStatus::BounceParser -e 1 2> /dev/null; then
  mkdir -p "$WORK/oracle-lf" "$WORK/oracle-cr"
  cp "$BSF_SRCDIR/tests/messages/shapes/gateway-wrapped-dsn.eml" "$WORK/oracle-lf/x5.eml"
  tr '\n' '\r' < "$WORK/oracle-lf/x5.eml" > "$WORK/oracle-cr/x5.eml"
  (cd "$WORK/oracle-lf" && perl "$BSF_SRCDIR/tests/evaluate/oracles.pl" x5.eml) > "$WORK/oracle-lf.tsv" 2>&1
  (cd "$WORK/oracle-cr" && perl "$BSF_SRCDIR/tests/evaluate/oracles.pl" x5.eml) > "$WORK/oracle-cr.tsv" 2>&1
  check "oracles: a CR-only file answered as its LF form, IDs found" \
    sh -c 'cmp -s "$1" "$2" && grep -q "JavaMail.app@example.org" "$1"' _ \
    "$WORK/oracle-lf.tsv" "$WORK/oracle-cr.tsv"
else
  skip "oracles: a CR-only file answered as its LF form" "Sisimai or BounceParser not installed"
fi
finish
