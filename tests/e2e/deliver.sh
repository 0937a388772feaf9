#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# deliver.sh: `check --deliver` (delivering itself from .forward, no
# procmail) and `record --sendmail` (recording from a mail client).
. "$BSF_SRCDIR/tests/e2e/lib.inc"

write_rules "[identity]
addresses = user@example.org"
"$BSF_BIN" record -c "$RULES" < "$MESSAGES/sent.eml"
box=$WORK/Maildir

deliver() {  # deliver MESSAGE [ARGS]: check --deliver into $box, status in $status
  message=$1; shift
  SENDER="" "$BSF_BIN" check -c "$RULES" --deliver "$box/" "$@" < "$message" > "$WORK/d.out" 2> "$WORK/d.err"
  status=$?
}
count() { find "$1" -type f -path '*/new/*' 2>/dev/null | wc -l | tr -d ' '; }

deliver "$MESSAGES/exim-genuine.eml" --folder "$box/.Backscatter/"
equal "--deliver: genuine bounce exits 0" "$status" 0
equal "--deliver: genuine bounce is in the inbox" "$(find "$box/new" -type f | wc -l | tr -d ' ')" 1
deliver "$MESSAGES/exim-forged.eml" --folder "$box/.Backscatter/"
equal "--deliver: forged bounce exits 0" "$status" 0
equal "--deliver: forged bounce is filed" "$(count "$box/.Backscatter")" 1
filed=$(find "$box/.Backscatter/new" -type f | head -1)
check "--deliver: the filed message is the message" grep -q "Message-ID: <8F3A1C22.77B0E1D4@pharma-deals.example>" "$filed"
deliver "$MESSAGES/exim-forged.eml"
equal "--deliver without --folder: filed mail stays in the inbox" "$(find "$box/new" -type f | wc -l | tr -d ' ')" 2
equal "--deliver: nothing on stdout or stderr" "$(cat "$WORK/d.out" "$WORK/d.err")" ""

SENDER="" "$BSF_BIN" check -c "$RULES" --deliver "$WORK/inbox.mbox" < "$MESSAGES/ordinary.eml"
equal "--deliver into an mbox exits 0" "$?" 0
check "--deliver into an mbox writes a From line" grep -q '^From MAILER-DAEMON ' "$WORK/inbox.mbox"
check "--deliver into an mbox keeps the message" grep -q '^Subject: Re: Lunch on Thursday?' "$WORK/inbox.mbox"

write_rules "[identity]
addresses = user@example.org
[actions]
backscatter = drop"
deliver "$MESSAGES/exim-forged.eml"
equal "--deliver with backscatter = drop: exit 0" "$status" 0
equal "--deliver with backscatter = drop: nothing delivered" "$(find "$box/new" -type f | wc -l | tr -d ' ')" 2

mkdir -p "$WORK/ro" && chmod 500 "$WORK/ro"
if [ "$(id -u)" -ne 0 ]; then
  deliver "$MESSAGES/ordinary.eml"
  box_saved=$box; box=$WORK/ro/Maildir
  deliver "$MESSAGES/ordinary.eml"
  equal "--deliver into an unwritable place: exit 75 (the MTA retries)" "$status" 75
  box=$box_saved
else
  skip "--deliver into an unwritable place" "root ignores permissions"
fi
"$BSF_BIN" check -c "$RULES" --deliver "/dev/null/cannot/exist/" < "$MESSAGES/ordinary.eml" > /dev/null 2>&1
equal "--deliver where no mailbox can be made: exit 75" "$?" 75
contains "--deliver failure is logged" "$(tail -1 "$LOG")" "outcome=tempfail"

# --- messages a parser rejects are still delivered, byte for byte (issue 10.3)
printf 'Received: from mx.example.net by mail.example.org; Mon, 30 Nov 2026 04:00:00 +0000\nThis header line has no colon\nFrom: a@example.net\nSubject: no colon\n\nbody\n' > "$WORK/nocolon.eml"
{ printf 'Received: from mx.example.net by mail.example.org; Mon, 30 Nov 2026 04:00:00 +0000\n'
  printf '\001\002\377\376\000junk \033[0m\n'
  printf 'From: a@example.net\nSubject: junk\n\nFrom the body\nend\n'; } > "$WORK/junk.eml"
write_rules
for name in nocolon junk; do
  rm -rf "$WORK/odd"
  SENDER=a@example.net "$BSF_BIN" check -c "$RULES" --deliver "$WORK/odd/md/" < "$WORK/$name.eml" > /dev/null 2>&1
  equal "--deliver $name into a maildir: exit 0" "$?" 0
  file=$(find "$WORK/odd/md/new" -type f 2>/dev/null | head -1)
  check "--deliver $name into a maildir: the bytes as received" cmp -s "${file:-/nonexistent}" "$WORK/$name.eml"
  SENDER=a@example.net "$BSF_BIN" check -c "$RULES" --deliver "mh:$WORK/odd/mh" < "$WORK/$name.eml" > /dev/null 2>&1
  equal "--deliver $name into an MH folder: exit 0" "$?" 0
  check "--deliver $name into an MH folder: the bytes as received" cmp -s "$WORK/odd/mh/1" "$WORK/$name.eml"
  SENDER=a@example.net "$BSF_BIN" check -c "$RULES" --deliver "$WORK/odd/mbox" < "$WORK/$name.eml" > /dev/null 2>&1
  equal "--deliver $name into an mbox: exit 0" "$?" 0
  { sed 's/^\(>*From \)/>\1/' "$WORK/$name.eml"; echo; } > "$WORK/odd/want"
  tail -n +2 "$WORK/odd/mbox" > "$WORK/odd/got"
  check "--deliver $name into an mbox: the bytes, quoted, after one From line" cmp -s "$WORK/odd/got" "$WORK/odd/want"
done

# --- a sender with a line break cannot add a header or a line (issue 10.4)
rm -rf "$WORK/inj"
injected='a@example.net
X-Injected: yes'
SENDER=$injected "$BSF_BIN" check -c "$RULES" --deliver "$WORK/inj/md/" < "$MESSAGES/ordinary.eml" > /dev/null 2>&1
equal "--deliver with a newline in SENDER (maildir): exit 0" "$?" 0
file=$(find "$WORK/inj/md/new" -type f 2>/dev/null | head -1)
check "--deliver with a newline in SENDER (maildir): the message unchanged" cmp -s "${file:-/nonexistent}" "$MESSAGES/ordinary.eml"
SENDER=$injected "$BSF_BIN" check -c "$RULES" --deliver "$WORK/inj/mbox" < "$MESSAGES/ordinary.eml" > /dev/null 2>&1
equal "--deliver with a newline in SENDER (mbox): exit 0" "$?" 0
equal "--deliver with a newline in SENDER (mbox): no injected line" "$(grep -c '^X-Injected' "$WORK/inj/mbox")" 0
contains "--deliver with a newline in SENDER (mbox): one From line, made safe" "$(head -1 "$WORK/inj/mbox")" "From a@example.net_X-Injected:_yes "
{ sed 's/^\(>*From \)/>\1/' "$MESSAGES/ordinary.eml"; echo; } > "$WORK/inj/want"
tail -n +2 "$WORK/inj/mbox" > "$WORK/inj/got"
check "--deliver with a newline in SENDER (mbox): the message follows it" cmp -s "$WORK/inj/got" "$WORK/inj/want"

# --- concurrent deliveries into one mbox (issue 10.1): 10 at once of
# ~1.4 MB each, three rounds into the same growing mbox; two of each round
# run under a file-size limit (RLIMIT_FSIZE, 4 MB) so that they fail part
# way (exit 75) once the mbox has grown past it. Every exit-0 message must
# be there once and whole (its mboxrd-quoted bytes), no exit-75 message at
# all, and nothing else. No assertion depends on the order or timing.
conc=$WORK/conc
mkdir -p "$conc/blocks"
awk 'BEGIN { for (i = 0; i < 19000; i++) {
  if (i % 1000 == 7) print "From the middle of a line"
  else if (i % 1000 == 8) print ">From already quoted"
  else printf "line %05d of a long body, From somewhere and >From elsewhere, padding.\n", i } }' > "$conc/body"
rounds=3
for round in $(seq 1 $rounds); do
  for i in $(seq 1 10); do
    { printf 'From: sender%d@example.net\nTo: user@example.org\nSubject: round %d message %d\nMessage-ID: <conc.%d.%d@example.net>\n\n' "$i" "$round" "$i" "$round" "$i"
      cat "$conc/body"; printf 'From the end of %d.%d\n' "$round" "$i"; } > "$conc/m.$round.$i"
  done
  pids=
  for i in $(seq 1 10); do
    if [ "$i" -gt 8 ]; then
      ( ulimit -f 4096; SENDER=sender$i@example.net exec "$BSF_BIN" check -c "$RULES" --deliver "$conc/mbox" < "$conc/m.$round.$i" > /dev/null 2>&1 ) &
    else
      SENDER=sender$i@example.net "$BSF_BIN" check -c "$RULES" --deliver "$conc/mbox" < "$conc/m.$round.$i" > /dev/null 2>&1 &
    fi
    pids="$pids $!"
  done
  i=0
  for pid in $pids; do
    i=$((i + 1))
    wait "$pid"
    echo "$?" > "$conc/status.$round.$i"
  done
done
awk -v dir="$conc/blocks" '/^From / { n++; next } { print > (dir "/" n) }' "$conc/mbox"
delivered=0 unlimited_ok=0 failed=0 odd= bad=
for round in $(seq 1 $rounds); do
  for i in $(seq 1 10); do
    st=$(cat "$conc/status.$round.$i")
    blocks=$(grep -lx "Message-ID: <conc.$round.$i@example.net>" "$conc/blocks"/* 2>/dev/null)
    copies=$(printf '%s' "$blocks" | grep -c .)
    case $st in
      0) delivered=$((delivered + 1))
         [ "$i" -le 8 ] && unlimited_ok=$((unlimited_ok + 1))
         { sed 's/^\(>*From \)/>\1/' "$conc/m.$round.$i"; echo; } > "$conc/want"
         if [ "$copies" != 1 ] || ! cmp -s "$blocks" "$conc/want"; then
           bad="$bad $round.$i(exit 0, $copies copies)"
         fi ;;
      75) failed=$((failed + 1))
          [ "$copies" = 0 ] || bad="$bad $round.$i(exit 75, $copies copies)" ;;
      *) odd="$odd $round.$i:$st" ;;
    esac
  done
done
echo "# concurrent mbox deliveries: $delivered exit 0, $failed exit 75 (file-size limit)"
equal "concurrent --deliver into one mbox: every exit is 0 or 75" "${odd:-none}" none
equal "concurrent --deliver: the 8 unlimited deliveries of each round exit 0" "$unlimited_ok" $((8 * rounds))
check "concurrent --deliver: the limit made some fail part way (exit 75)" [ "$failed" -gt 0 ]
equal "concurrent --deliver: every exit-0 message once and whole, no exit-75 message" "${bad:-none}" none
equal "concurrent --deliver: nothing else in the mbox" "$(ls "$conc/blocks" | wc -l | tr -d ' ')" "$delivered"
equal "concurrent --deliver: no lock file left" "$(ls "$conc" | grep -c 'mbox\.lock')" 0

# --- the line-end style is read from the header's first LF, however far in
# (regression: only the first kilobyte was looked at, so CRLF mail with a
# longer first line kept its CRs, and one whose CR fell on byte 1023 and
# LF on 1024 was taken for CR-only: every line end doubled, the header
# cut after its first line)
long_first_line() {  # long_first_line FILLER FILE: CRLF mail, first line 8 + FILLER bytes
  { printf 'X-Long: '; head -c "$1" /dev/zero | tr '\000' a
    printf '\r\nFrom: a@example.net\r\nSubject: long first line\r\n\r\nbody line\r\n'; } > "$2"
}
write_rules
for filler in 2000 1015; do
  long_first_line "$filler" "$WORK/long-$filler.eml"
  tr -d '\r' < "$WORK/long-$filler.eml" > "$WORK/long-$filler.want"
  rm -rf "$WORK/long"
  SENDER=a@example.net "$BSF_BIN" check -c "$RULES" --deliver "$WORK/long/md/" < "$WORK/long-$filler.eml" > /dev/null 2>&1
  equal "--deliver CRLF mail with a $((filler + 8))-byte first line: exit 0" "$?" 0
  file=$(find "$WORK/long/md/new" -type f 2>/dev/null | head -1)
  check "--deliver CRLF mail with a $((filler + 8))-byte first line: LF line ends, nothing else changed" \
    cmp -s "${file:-/nonexistent}" "$WORK/long-$filler.want"
done

# --- record --sendmail: the message goes on, with its arguments, recorded
cat > "$WORK/sendmail" <<SH
#!/bin/sh
printf '%s\n' "\$@" > "$WORK/sendmail.args"
cat > "$WORK/sendmail.msg"
exit \${FAKE_STATUS:-0}
SH
chmod +x "$WORK/sendmail"
write_rules
"$BSF_BIN" record -c "$RULES" --sendmail "$WORK/sendmail" -oi -f user@example.org -- carol@example.com < "$MESSAGES/ordinary.eml"
equal "--sendmail: exit status of sendmail (0)" "$?" 0
check "--sendmail: the message reaches sendmail byte for byte" cmp -s "$WORK/sendmail.msg" "$MESSAGES/ordinary.eml"
equal "--sendmail: its arguments are passed on" "$(tr '\n' ' ' < "$WORK/sendmail.args")" "-oi -f user@example.org -- carol@example.com "
contains "--sendmail: the recipient operand is recorded" "$("$BSF_BIN" dump -c "$RULES")" "recipient carol@example.com"
contains "--sendmail: the Message-ID is recorded" "$("$BSF_BIN" dump -c "$RULES")" "msgid reply.20261120.1200@example.net"
FAKE_STATUS=67 "$BSF_BIN" record -c "$RULES" --sendmail "$WORK/sendmail" x@example.com < "$MESSAGES/ordinary.eml"
equal "--sendmail: sendmail's failure status is returned (67)" "$?" 67
printf '[store]\npath = %s\n' "$WORK/unwritable/x/y/sent.db" > "$WORK/broken.ini"
"$BSF_BIN" record -c "$WORK/broken.ini" --sendmail "$WORK/sendmail" y@example.com < "$MESSAGES/sent.eml" 2> "$WORK/sm.err"
equal "--sendmail with a broken store: still sent (exit 0)" "$?" 0
check "--sendmail with a broken store: message delivered to sendmail" cmp -s "$WORK/sendmail.msg" "$MESSAGES/sent.eml"
"$BSF_BIN" record -c "$RULES" --sendmail "$WORK/no-such-sendmail" x@example.com < "$MESSAGES/ordinary.eml" 2> /dev/null
equal "--sendmail: a missing sendmail is a temporary failure (75)" "$?" 75

finish
