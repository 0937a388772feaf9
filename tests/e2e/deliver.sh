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
