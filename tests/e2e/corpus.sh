#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# corpus.sh: the built program on the real messages of the shared corpus
# (../shared/corpus, see its SOURCES.md), one `check` process per file:
#  - at least 99% of the labelled bounce files (bounces/*) are recognised as
#    bounce-like (kind != none), except the files listed below as not bounces;
#  - for every labelled bounce where Sisimai or Mail::DeliveryStatus::
#    BounceParser finds the original's Message-ID (tests/evaluate/
#    oracle-ids.tsv, committed so no Perl is needed here), we find that ID
#    too (as the ID logged, or among the IDs of the --explain trace), except
#    the oracle errors listed below;
#  - the look-alikes that are not bounces at all are not bounce-like;
#  - vacation replies and challenges get their kind;
#  - every ordinary message (ham/*) is judged clean.
# tests/evaluate/evaluate.sh prints the full figures; EVALUATION.md judges
# each miss. The corpus is read-only: nothing here edits it.
. "$BSF_SRCDIR/tests/e2e/lib.inc"
. "$BSF_SRCDIR/tests/evaluate/judge.sh"
ORACLE_IDS=$BSF_SRCDIR/tests/evaluate/oracle-ids.tsv

# Files of bounces/ that are not bounces, nor any other notice: both
# upstream test suites keep them to check they are NOT reported (the
# BounceParser files are named spam-*/virus-*; flufl.bounce's test data says
# of groupwise_03 "Not a bounce but has confused groupwise").
NOT_BOUNCES='
bounces/flufl.bounce/groupwise_03.txt               a reply written by a person (hotel reservations), not a notice
bounces/bounceparser/spam-with-image.msg            spam (Outlook Express, image); no report in it
bounces/bounceparser/spam-bogus-email-in-report.msg spam (HTML gift-card offer); no report in it
bounces/bounceparser/spam-lots-of-bogus-addresses.msg spam (pills), many addresses in the text
bounces/bounceparser/spam-with-badly-parsed-email.msg spam (HTML), an address in a link
bounces/bounceparser/virus-caused-multiple-weird-reports.msg a phishing mail with a binary attachment and an antivirus footer, not a virus notice
'
# Not bounces, but notices: they must be recognised, with this kind.
NOTICE_KINDS='
bounces/bounceparser/aol-vacation.msg     autoreply vacation reply (Automatic Response)
bounces/bounceparser/autoreply.msg        autoreply "Thank you for your e-mail"
bounces/bounceparser/polish-autoreply.msg autoreply Polish [Automatyczna odpowiedz]
bounces/bounceparser/bluebottle.msg       challenge Bluebottle challenge-response
bounces/bounceparser/boxbe-cr.msg         challenge Boxbe challenge-response
bounces/bounceparser/boxbe-cr2.msg        challenge Boxbe challenge-response
'
# Oracle results that are wrong, so no ID is required from us there:
# FILE  reason. (Decided by reading each message; see EVALUATION.md.)
# None so far: where one oracle is wrong (bounce_03: Sisimai names a message
# inside the returned digest) the other one is right, and either will do.
ORACLE_ERRORS='
'

if [ ! -d "$CORPUS/bounces" ] || [ ! -d "$CORPUS/ham" ]; then
  skip "corpus" "no corpus at $CORPUS"
  finish; exit
fi
write_rules
printf 'From: corpus@invalid.example\nTo: nobody@invalid.example\nMessage-ID: <corpus.%s@invalid.example>\nSubject: x\n\nx\n' "$$" \
  | "$BSF_BIN" record -c "$RULES" > /dev/null 2>&1
check "the store is set up" test -f "$STORE"

set --
for d in "$CORPUS"/bounces/*/ "$CORPUS"/ham/*/; do
  d=${d%/}; set -- "$@" "${d#"$CORPUS"/}"
done
started=$(date +%s)
judge_corpus "$CORPUS" "$WORK/ours.tsv" "$@"
elapsed=$(( $(date +%s) - started ))
echo "# judged $(wc -l < "$WORK/ours.tsv") files in $elapsed s"
list() { printf '%s\n' "$1" | awk 'NF { print $1 }'; }
list "$NOT_BOUNCES" > "$WORK/not-bounces"
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

# --- every run ended and judged
# With the default actions every verdict exits 0 (deliver) or 2 (file).
awk -F'\t' '($3 != 0 && $3 != 2) || $4 == "-" || $8 ~ /^sanitizer:/ {
  print "FAIL\t" $2 " exit=" $3 " " $8 }' "$WORK/ours.tsv" > "$WORK/ran"
assert_none "every corpus file judged (exit 0 or 2, a verdict, no sanitizer report)" "$WORK/ran"

# --- recognition of labelled bounces
awk -F'\t' 'FILENAME == ARGV[1] { skip[$1] = 1; next }
  $1 ~ /^bounces\// && !($2 in skip) {
    n++; if ($5 != "-" && $5 != "none") r++; else print "FAIL\t" $2 " kind=" $5
  }
  END { printf "COUNT\t%d\t%d\n", r, n }' "$WORK/not-bounces" "$WORK/ours.tsv" > "$WORK/recognised"
set -- $(awk -F'\t' '/^COUNT/ { print $2, $3 }' "$WORK/recognised")
recognised=$1 labelled=$2
pct=$(awk -v r="$recognised" -v n="$labelled" 'BEGIN { printf "%.1f", n ? 100 * r / n : 0 }')
desc="labelled bounces recognised: $recognised/$labelled ($pct%) >= 99%"
if [ "$labelled" -gt 0 ] && [ $((recognised * 100)) -ge $((labelled * 99)) ]; then
  ok "$desc"
else
  not_ok_listing "$desc" "$WORK/recognised"
fi

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
  FILENAME == ARGV[2] { skip[$1] = 1; next }
  FILENAME == ARGV[3] { if ($1 != "file") { s[$1] = $3; b[$1] = $7 }; next }
  $1 ~ /^bounces\// && !($2 in skip) && !($2 in excused) && ($2 in s) && (s[$2] != "-" || b[$2] != "-") {
    our_id = $6; our_trace = $7
    if (!ours_has(s[$2]) && !ours_has(b[$2]))
      print "FAIL\t" $2 " ours=" $6 " sisimai=" s[$2] " bounceparser=" b[$2]
    else print "OK"
  }' "$WORK/oracle-errors" "$WORK/not-bounces" "$ORACLE_IDS" "$WORK/ours.tsv" > "$WORK/ids"
with_oracle=$(grep -c . "$WORK/ids")
assert_none "original Message-ID found where an oracle finds one ($with_oracle bounces, $(wc -l < "$WORK/oracle-errors") oracle errors excused)" "$WORK/ids"

# --- look-alikes that are not bounces, and notices with their kind
awk -F'\t' 'FILENAME == ARGV[1] { skip[$1] = 1; next }
  ($2 in skip) && $5 != "none" { print "FAIL\t" $2 " kind=" $5 " verdict=" $4 }' \
  "$WORK/not-bounces" "$WORK/ours.tsv" > "$WORK/lookalikes"
assert_none "not-bounce look-alikes in bounces/ are kind none ($(wc -l < "$WORK/not-bounces") files)" "$WORK/lookalikes"
awk -F'\t' 'FILENAME == ARGV[1] { want[$1] = $2; next }
  ($2 in want) && $5 != want[$2] { print "FAIL\t" $2 " kind=" $5 " want " want[$2] }' \
  "$WORK/notice-kinds" "$WORK/ours.tsv" > "$WORK/kinds"
assert_none "vacation replies and challenges get their kind ($(wc -l < "$WORK/notice-kinds") files)" "$WORK/kinds"

# --- ordinary mail
for folder in "$CORPUS"/ham/*/; do
  folder=${folder%/}; folder=${folder#"$CORPUS"/}
  awk -F'\t' -v f="$folder" '$1 == f { n++; if ($4 != "clean") print "FAIL\t" $2 " verdict=" $4 " kind=" $5 " id=" $6 }
    END { if (!n) print "FAIL\tno message judged" }' "$WORK/ours.tsv" > "$WORK/ham"
  assert_none "ordinary mail of $folder judged clean ($(awk -F'\t' -v f="$folder" '$1 == f' "$WORK/ours.tsv" | wc -l) messages)" "$WORK/ham"
done
finish
