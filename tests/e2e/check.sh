#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# check.sh: the built program end to end: every verdict, every output mode,
# the exit-code table, trouble (bad rule file, missing and locked store),
# each asserting exit code, output and the one log line.
. "$BSF_SRCDIR/tests/e2e/lib.inc"

write_rules
# --- record the user's sent message, then judge
"$BSF_BIN" record -c "$RULES" < "$MESSAGES/sent.eml" > "$WORK/rec.out" 2> "$WORK/rec.err"
equal "record exits 0" "$?" 0
equal "record prints nothing" "$(cat "$WORK/rec.out" "$WORK/rec.err")" ""
contains "record logs what it stored" "$(cat "$LOG")" "recorded 1 Message-ID(s) and 2 recipient(s)"
dump=$("$BSF_BIN" dump -c "$RULES")
contains "dump shows the recorded ID" "$dump" "msgid 20261120093000.sent-1@mail.example.org"
contains "dump shows a recorded recipient" "$dump" "recipient old.friend@example.net"
stat_mode=$(stat -c %a "$STORE")
equal "store file is 0600" "$stat_mode" 600
equal "store directory is 0700" "$(stat -c %a "$(dirname "$STORE")")" 700

run_check "$WORK/genuine" "$MESSAGES/exim-genuine.eml"
equal "genuine Exim bounce: exit deliver (0)" "$status" 0
equal "genuine: nothing on stdout" "$(cat "$WORK/genuine.out")" ""
equal "genuine: one log line" "$log_lines" 1
contains "genuine: log names verdict, kind, action" "$log_line" "verdict=genuine kind=ndr action=deliver"
contains "genuine: log names the ID looked up" "$log_line" "20261120093000.sent-1@mail.example.org"

run_check "$WORK/auto" "$MESSAGES/autoreply-genuine.eml"
equal "genuine auto-reply: exit 0" "$status" 0
contains "auto-reply: kind autoreply, genuine" "$log_line" "verdict=genuine kind=autoreply"

run_check "$WORK/ordinary" "$MESSAGES/ordinary.eml"
equal "ordinary message: exit 0" "$status" 0
contains "ordinary message: clean" "$log_line" "verdict=clean kind=none action=deliver"

# The forged Exim bounce's original predates recording: unknown, delivered.
run_check "$WORK/young" "$MESSAGES/exim-forged.eml"
equal "forged bounce older than the store: exit 0" "$status" 0
contains "forged bounce older than the store: unknown" "$log_line" "verdict=unknown"

# A forged bounce about mail "sent" after recording began: backscatter.
fresh_bounce "forged.$$@example.org" "nobody@example.net" > "$WORK/fresh-forged.eml"
run_check "$WORK/forged" "$WORK/fresh-forged.eml"
equal "fresh forged DSN: exit file (2)" "$status" 2
contains "fresh forged DSN: backscatter, file" "$log_line" "verdict=backscatter kind=dsn action=file"
equal "fresh forged DSN: nothing on stdout or stderr" "$(cat "$WORK/forged.out" "$WORK/forged.err")" ""

# --- identity: a foreign From in the original proves backscatter
write_rules "[identity]
addresses = user@example.org"
for shape in exim-forged office365-forged exchange-forged groupwise-forged; do
  run_check "$WORK/$shape" "$MESSAGES/$shape.eml"
  case $shape in
    # The forger used our address as From, and the store is younger than
    # the original: nothing proves it, so it is delivered.
    office365-forged|exchange-forged) want=0 verdict=unknown ;;
    *) want=2 verdict=backscatter ;;
  esac
  equal "$shape with identity: exit $want" "$status" "$want"
  contains "$shape with identity: $verdict" "$log_line" "verdict=$verdict"
done

# --- output modes
write_rules
run_check "$WORK/v" "$WORK/fresh-forged.eml" --verdict
equal "--verdict prints 'backscatter file'" "$(cat "$WORK/v.out")" "backscatter file"
equal "--verdict exits 0" "$status" 0
run_check "$WORK/v2" "$MESSAGES/ordinary.eml" --verdict
equal "--verdict on ordinary mail" "$(cat "$WORK/v2.out")" "clean deliver"

run_check "$WORK/t" "$WORK/fresh-forged.eml" --tag
equal "--tag exits 0" "$status" 0
equal "--tag: nothing on stderr" "$(cat "$WORK/t.err")" ""
head -1 "$WORK/t.out" > "$WORK/t.first"
contains "--tag: header first" "$(cat "$WORK/t.first")" "X-Backscatter: backscatter; kind=dsn; action=file"
tail -n +2 "$WORK/t.out" > "$WORK/t.rest"
check "--tag: the message follows byte for byte" cmp -s "$WORK/t.rest" "$WORK/fresh-forged.eml"

sed 's/$/\r/' "$WORK/fresh-forged.eml" > "$WORK/crlf.eml"
run_check "$WORK/tc" "$WORK/crlf.eml" --tag
first=$(head -1 "$WORK/tc.out" | od -c | tr -s ' ' | tail -2 | head -1)
contains "--tag on CRLF input: header ends in CRLF" "$first" '\r \n'
contains "--tag on CRLF input: still judged backscatter" "$(head -1 "$WORK/tc.out")" "backscatter"
tail -n +2 "$WORK/tc.out" > "$WORK/tc.rest"
check "--tag on CRLF input: message intact" cmp -s "$WORK/tc.rest" "$WORK/crlf.eml"

{ echo "From MAILER-DAEMON Mon Nov 23 10:00:00 2026"; cat "$WORK/fresh-forged.eml"; } > "$WORK/mbox.eml"
run_check "$WORK/tm" "$WORK/mbox.eml" --tag
equal "--tag keeps the mbox From line first" "$(head -1 "$WORK/tm.out")" "From MAILER-DAEMON Mon Nov 23 10:00:00 2026"
contains "--tag puts the header second" "$(sed -n 2p "$WORK/tm.out")" "X-Backscatter: backscatter"

run_check "$WORK/e" "$WORK/fresh-forged.eml" --explain
contains "--explain: the decision on stderr" "$(grep '^verdict:' "$WORK/e.err")" "backscatter"
contains "--explain: the evidence" "$(cat "$WORK/e.err")" "is not in the store"

# --- the exit-code table from the rule file
write_rules "[actions]
backscatter = drop
[exit]
deliver = 0
file = 5
drop = 6"
run_check "$WORK/x" "$WORK/fresh-forged.eml"
equal "[actions] backscatter = drop with [exit] drop = 6: exit 6" "$status" 6
contains "drop logged" "$log_line" "action=drop"
write_rules "[actions]
backscatter = file
[exit]
file = 5"
run_check "$WORK/x" "$WORK/fresh-forged.eml"
equal "[exit] file = 5: exit 5" "$status" 5
run_check "$WORK/x" "$MESSAGES/ordinary.eml"
equal "clean still exits 0" "$status" 0

# --- SENDER from the delivery agent
write_rules
SENDER="" run_check "$WORK/s" "$MESSAGES/ordinary.eml"
contains "empty SENDER makes a plain message bounce-like" "$log_line" "kind=ndr"
SENDER=MAILER-DAEMON run_check "$WORK/s" "$MESSAGES/ordinary.eml"
contains "Postfix's MAILER-DAEMON sender too" "$log_line" "kind=ndr"
equal "...and it still delivers (nothing provable)" "$status" 0

# --- trouble: bad rule file
printf '[actions]\nbackscatter = shred\n' > "$WORK/bad.ini"
"$BSF_BIN" check -c "$WORK/bad.ini" --explain < "$WORK/fresh-forged.eml" > "$WORK/b.out" 2> "$WORK/b.err"
equal "bad rule file: exit deliver (0)" "$?" 0
contains "bad rule file: --explain says file and line" "$(cat "$WORK/b.err")" "bad.ini:2"
printf '[actions\n' > "$WORK/syntax.ini"
"$BSF_BIN" check -c "$WORK/syntax.ini" --tag < "$WORK/fresh-forged.eml" > "$WORK/b2.out" 2> "$WORK/b2.err"
equal "rule file syntax error with --tag: exit 0" "$?" 0
tail -n +2 "$WORK/b2.out" > "$WORK/b2.rest"
check "rule file syntax error with --tag: message passed through" cmp -s "$WORK/b2.rest" "$WORK/fresh-forged.eml"
equal "rule file syntax error with --tag: stderr silent" "$(cat "$WORK/b2.err")" ""
"$BSF_BIN" check -c "$WORK/missing.ini" < "$MESSAGES/ordinary.eml" > /dev/null 2>&1
equal "missing rule file given with -c: exit 0" "$?" 0

# --- trouble: a site rule's bad regex, found only when a message has the
# rule's field (rules(5): compiled when first needed; configtest finds it)
write_rules '[actions]
backscatter = drop
[rule broken]
header = Subject
regex = "(unclosed"
verdict = clean'
regex_line=$(grep -n '^regex' "$RULES" | cut -d: -f1)
run_check "$WORK/r" "$WORK/fresh-forged.eml"
equal "bad regex met by a bounce: exit deliver (0), not drop" "$status" 0
equal "bad regex met: nothing on stdout or stderr" "$(cat "$WORK/r.out" "$WORK/r.err")" ""
equal "bad regex met: one log line" "$log_lines" 1
contains "bad regex met: logged as trouble, delivered, naming FILE:LINE and the rule" "$log_line" \
  "error=config what=\"check\" outcome=deliver message=\"$RULES:$regex_line: [rule broken] regex: bad regular expression: Unmatched ( or"
run_check "$WORK/r" "$MESSAGES/ordinary.eml"
equal "bad regex met by ordinary mail: exit 0" "$status" 0
contains "bad regex met by ordinary mail: the same log line" "$log_line" "$RULES:$regex_line: [rule broken] regex: bad regular expression"
printf 'From: MAILER-DAEMON@mx.example.net\nTo: user@example.org\nMessage-ID: <nosubject.%s@mx.example.net>\n\nno subject line\n' $$ > "$WORK/nosubject.eml"
run_check "$WORK/r" "$WORK/nosubject.eml"
equal "a message without the rule's field: exit 0" "$status" 0
equal "a message without the rule's field: one log line" "$log_lines" 1
case $log_line in
  *error=*) not_ok "a message without the rule's field: the regex is never compiled, no trouble" "$log_line" ;;
  *verdict=*) ok "a message without the rule's field: the regex is never compiled, no trouble" ;;
  *) not_ok "a message without the rule's field: a decision is logged" "$log_line" ;;
esac
run_check "$WORK/r" "$WORK/fresh-forged.eml" --tag
equal "bad regex met with --tag: exit 0" "$status" 0
contains "bad regex met with --tag: unknown, deliver, the reason names FILE:LINE" \
  "$(grep "^X-Backscatter: " "$WORK/r.out")" "X-Backscatter: unknown; kind=dsn; action=deliver; id=<forged.$$@example.org>; reason=\"config: $RULES:$regex_line: [rule broken] regex"
grep -v '^X-Backscatter: ' "$WORK/r.out" > "$WORK/r.rest"
check "bad regex met with --tag: the message passed through" cmp -s "$WORK/r.rest" "$WORK/fresh-forged.eml"
run_check "$WORK/r" "$WORK/fresh-forged.eml" --explain
contains "bad regex met with --explain: the evidence names the rule" "$(cat "$WORK/r.err")" \
  "site rule [rule broken] cannot be tried: $RULES:$regex_line:"
printf '[exit]\non_error = tempfail\n' >> "$RULES"
run_check "$WORK/r" "$WORK/fresh-forged.eml"
equal "bad regex met with on_error = tempfail: exit 75" "$status" 75
contains "bad regex met with on_error = tempfail: logged" "$log_line" "outcome=tempfail message=\"$RULES:$regex_line: [rule broken] regex"

# --- trouble: a regex refused at load for its shape (rules(5) LIMITS): the
# fuzz case of a repeat of a repeat ('^.*' then 120 '+') that had regcomp
# take over 2 GB; now the whole file is bad, so its [log] is not used either:
# --explain shows the one log line (syslog otherwise)
write_rules "[actions]
backscatter = drop
[rule re]
header = From
regex = \"^.*$(printf '+%.0s' $(seq 120))@(a|b)\\\\facilple\$\"
action = file"
regex_line=$(grep -n '^regex' "$RULES" | cut -d: -f1)
run_check "$WORK/s" "$WORK/fresh-forged.eml" --explain
equal "regex of stacked repeats met by a bounce: exit deliver (0), not drop" "$status" 0
equal "regex of stacked repeats: nothing on stdout" "$(cat "$WORK/s.out")" ""
equal "regex of stacked repeats: one log line" "$(grep -c 'error=config' "$WORK/s.err")" 1
contains "regex of stacked repeats: logged as trouble, naming FILE:LINE, the rule and the repeat" \
  "$(grep 'error=config' "$WORK/s.err")" \
  "error=config what=\"check\" outcome=deliver message=\"$RULES:$regex_line: [rule re] regex: a repeat of a repeat ('+' at character 4;"

# --- trouble: the store
write_rules
sed -i "s#^path = .*#path = $WORK/nostore/sent.db#" "$RULES"
run_check "$WORK/m" "$WORK/fresh-forged.eml"
equal "missing store: exit deliver (0)" "$status" 0
equal "missing store: one log line" "$log_lines" 1
contains "missing store: no trouble, nothing to check against (issue 12)" "$log_line" \
  'verdict=unknown kind=dsn action=deliver id=<'
contains "missing store: log says so" "$log_line" 'reason="no store to check against"'
printf '[store]\npath = %s\nlock_wait = 200ms\n[exit]\non_error = tempfail\n[log]\nsyslog = no\nfile = %s\n' "$WORK/nostore/sent.db" "$LOG" > "$RULES"
run_check "$WORK/m" "$WORK/fresh-forged.eml"
equal "missing store with on_error = tempfail: delivered, exit 0 (issue 12)" "$status" 0
contains "missing store with on_error = tempfail: unknown" "$log_line" "verdict=unknown"
mkdir -p "$WORK/badstore"; printf 'not a GDBM file\n' > "$WORK/badstore/sent.db"; chmod 600 "$WORK/badstore/sent.db"
sed -i "s#^path = .*#path = $WORK/badstore/sent.db#" "$RULES"
run_check "$WORK/m" "$WORK/fresh-forged.eml"
equal "broken store with on_error = tempfail: exit 75" "$status" 75
contains "tempfail logged" "$log_line" "outcome=tempfail"

write_rules
if command -v flock > /dev/null; then
  # The holder is the sleep itself (fd 9), so killing it frees the lock
  # whenever the checks are done, however slow (valgrind) they run.
  sh -c 'exec 9> "$1"; flock 9; exec sleep 60' holder "$STORE.lock" &
  locker=$!
  sleep 0.3
  run_check "$WORK/l" "$WORK/fresh-forged.eml"
  equal "locked store: exit deliver (0)" "$status" 0
  contains "locked store: log says locked" "$log_line" "error=locked"
  "$BSF_BIN" record -c "$RULES" --passthrough < "$MESSAGES/sent.eml" > "$WORK/lp.out" 2> "$WORK/lp.err"
  equal "record --passthrough on a locked store: exit 0" "$?" 0
  check "record --passthrough on a locked store: output identical" cmp -s "$WORK/lp.out" "$MESSAGES/sent.eml"
  equal "record --passthrough on a locked store: stderr silent" "$(cat "$WORK/lp.err")" ""
  "$BSF_BIN" record -c "$RULES" < "$MESSAGES/sent.eml" > /dev/null 2>&1
  equal "record on a locked store: journaled, exit 0" "$?" 0
  kill "$locker"; wait "$locker" 2>/dev/null
else
  skip "locked store" "flock(1) missing"
fi

# --- odd input
run_check "$WORK/empty" /dev/null
equal "empty input: exit 0" "$status" 0
printf 'x' > "$WORK/byte"
run_check "$WORK/byte" "$WORK/byte" --tag
equal "one byte with --tag: exit 0" "$status" 0
equal "one byte with --tag: the byte comes back after the header" "$(tail -c 1 "$WORK/byte.out")" "x"
"$BSF_BIN" check --bogus-option -c "$RULES" < "$MESSAGES/ordinary.eml" > /dev/null 2>&1
equal "unknown option in check: still deliver (0)" "$?" 0
"$BSF_BIN" stats --bogus-option > /dev/null 2>&1
equal "unknown option in stats: EX_USAGE (64)" "$?" 64

# --- a site's own signatures ([classify] signatures)
printf 'subject\tchallenge\tmysite\tplease whitelist me\n' > "$WORK/signatures.txt"
write_rules "[classify]
signatures = $WORK/signatures.txt"
printf 'From: gate@example.net\nAuto-Submitted: auto-replied\nSubject: Please whitelist me first\n\nclick\n' > "$WORK/site.eml"
run_check "$WORK/site" "$WORK/site.eml"
contains "a site signature classifies (kind challenge)" "$log_line" "kind=challenge"
printf 'not a signature\n' > "$WORK/signatures.txt"
run_check "$WORK/site" "$WORK/site.eml"
equal "a bad signatures file: exit deliver (0)" "$status" 0
contains "a bad signatures file: named with its line" "$log_line" "signatures.txt:1:"
write_rules

# --- help, version, stats
"$BSF_BIN" --help > "$WORK/help" 2>&1
equal "--help exits 0" "$?" 0
contains "--help lists record" "$(cat "$WORK/help")" "record"
contains "--version" "$("$BSF_BIN" --version)" "backscatter-filter"
stats=$("$BSF_BIN" stats -c "$RULES")
contains "stats counts IDs" "$stats" "message-ids: 1"
contains "stats counts recipients" "$stats" "recipients: 2"

# --- big messages read from a pipe: what check keeps of them
# Ordinary mail with a 1.5 MB attachment: the header decides, the body is
# read to the end but not stored; --tag still gives every byte back.
{
  printf 'From: friend@example.net\nTo: user@example.org\nSubject: photos\nMIME-Version: 1.0\n'
  printf 'Content-Type: multipart/mixed; boundary="A"\n\n--A\nContent-Type: text/plain\n\nsee attached\n'
  printf -- '--A\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'
  head -c 1500000 /dev/zero | base64
  printf -- '--A--\n'
} > "$WORK/big-ordinary.eml"
cat "$WORK/big-ordinary.eml" | "$BSF_BIN" check -c "$RULES" > "$WORK/bigo.out" 2>&1
equal "2 MB ordinary mail from a pipe: exit 0" "$?" 0
contains "2 MB ordinary mail from a pipe: clean" "$(tail -n 1 "$LOG")" "verdict=clean kind=none"
cat "$WORK/big-ordinary.eml" | "$BSF_BIN" check -c "$RULES" --tag > "$WORK/bigo.tag" 2>/dev/null
equal "2 MB ordinary mail, --tag: exit 0" "$?" 0
grep -v '^X-Backscatter' "$WORK/bigo.tag" > "$WORK/bigo.untagged"
check "2 MB ordinary mail, --tag: every byte given back" cmp -s "$WORK/bigo.untagged" "$WORK/big-ordinary.eml"
# A bounce with 2 MB before the part naming its original: the header shows
# a bounce, so all of it is kept and walked, and the original is found.
printf 'From: user@example.org\nTo: far@example.net\nDate: %s\nMessage-ID: <big.%s@example.org>\nSubject: hi\n\nhi\n' \
  "$(date -R)" "$$" | "$BSF_BIN" record -c "$RULES" > /dev/null 2>&1
{
  fresh_bounce "big.$$@example.org" "far@example.net" | sed '/^--R--$/d; $d'
  printf -- '--R\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'
  head -c 1500000 /dev/zero | base64
  printf -- '--R\nContent-Type: text/rfc822-headers\n\nFrom: user@example.org\n'
  printf 'Message-ID: <big.%s@example.org>\nSubject: hi\n\n--R--\n' "$$"
} > "$WORK/big-bounce.eml"
# The first part naming the original is removed, so only the one after the 2 MB counts.
awk 'BEGIN { skip = 0 } /^Content-Type: text\/rfc822-headers$/ && !seen { seen = 1; skip = 1 }
     skip && /^--R/ { skip = 0 } !skip { print }' "$WORK/big-bounce.eml" > "$WORK/big-bounce2.eml"
cat "$WORK/big-bounce2.eml" | "$BSF_BIN" check -c "$RULES" > /dev/null 2>&1
equal "bounce with 2 MB before its original, from a pipe: exit 0" "$?" 0
contains "bounce with 2 MB before its original: genuine (walked whole)" "$(tail -n 1 "$LOG")" "verdict=genuine"

# --- the README's first command on a fresh account: examples/demo.sh with
# the default store, under a HOME that has no ~/.local yet (regression: the
# store's parent directories were not created, and the demo failed).
mkdir -m 755 "$WORK/fresh-home"
HOME=$WORK/fresh-home XDG_STATE_HOME= XDG_CONFIG_HOME= BSF=$BSF_BIN \
  sh "$BSF_SRCDIR/examples/demo.sh" > "$WORK/demo.out" 2>&1
equal "demo on a fresh account: exit 0" "$?" 0
contains "demo on a fresh account: the forged Exim bounce is filed" \
  "$(tr -s ' ' < "$WORK/demo.out")" "exim-forged backscatter file exit 2"
check "demo on a fresh account: the default store exists" \
  test -f "$WORK/fresh-home/.local/state/backscatter-filter/sent.db"
equal "demo on a fresh account: ~/.local created 0700" \
  "$(stat -c %a "$WORK/fresh-home/.local")" 700
# Issue 12: the demo explains its unknown verdict and shows the import that
# turns it into backscatter.
contains "demo: the Office 365 bounce is unknown at first" \
  "$(tr -s ' ' < "$WORK/demo.out")" "office365-forged unknown deliver exit 0"
contains "demo: explains why (the original predates recording)" \
  "$(cat "$WORK/demo.out")" "predates recording"
contains "demo: the import says what the store now covers" \
  "$(cat "$WORK/demo.out")" "the store covers mail sent since 2026-11-12T16:05:00Z"
contains "demo: after the import, the same bounce is backscatter" \
  "$(tr -s ' ' < "$WORK/demo.out")" "office365-forged backscatter file"

finish
