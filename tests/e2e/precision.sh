#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# precision.sh (issue 13): ordinary mail that speaks of viruses, vacations
# and undeliverable things is clean whatever its thread, and the notices
# nobody here wrote are recognised, of the right kind, naming the true
# original: the built program on tests/messages, asserting exit code and
# the one log line.
. "$BSF_SRCDIR/tests/e2e/lib.inc"
OURS=$BSF_SRCDIR/tests/messages
SHAPES=$OURS/shapes

write_rules "[actions]
backscatter = drop"
"$BSF_BIN" record -c "$RULES" < "$MESSAGES/sent.eml" > /dev/null 2>&1

# --- ordinary mail: never a notice, so never backscatter (exit 0, clean)
for name in rt-virus-alert jira-out-of-office vacation-schedule invoice-thanks \
            calendar-accepted shapes/ticket-answer-empty-x-autoreply; do
  run_check "$WORK/${name#shapes/}" "$OURS/$name.eml"
  equal "$name: exit deliver (0)" "$status" 0
  contains "$name: clean, not bounce-like" "$log_line" \
    "verdict=clean kind=none action=deliver"
done
itip_line=$(SENDER=; export SENDER; run_check "$WORK/itip" "$OURS/calendar-accepted.eml"
             printf '%s' "$log_line")
contains "an iTIP reply with a null envelope sender: clean" "$itip_line" "verdict=clean kind=none"
write_rules "[actions]
backscatter = drop
[identity]
addresses = user@example.org"
for name in rt-virus-alert invoice-thanks; do
  run_check "$WORK/$name.id" "$OURS/$name.eml"
  contains "$name with [identity]: clean" "$log_line" "verdict=clean kind=none action=deliver"
done
run_check "$WORK/fwd" "$SHAPES/person-fwd-sendmail-bounce.eml"
contains "a person's 'Fwd: Returned mail' stays clean" "$log_line" "verdict=clean kind=none"
# A person's "Mail delivery failed - see the attached" (no "Fwd:") with her
# own sent mail attached by her client (message/rfc822): its words make it
# bounce-like, but no program sent it, so the attachment proves nothing
# (regression: it was backscatter, "the original's From ... is none of our
# addresses"). Every line-end style.
write_rules "[actions]
backscatter = drop
[identity]
addresses = sam@example.org"
for style in lf crlf cr; do
  line_ends "$style" "$SHAPES/person-attached-sent-mail.eml" > "$WORK/attached.eml"
  run_check "$WORK/attached-$style" "$WORK/attached.eml"
  equal "a person's mail with her sent mail attached ($style): exit deliver (0)" "$status" 0
  contains "a person's mail with her sent mail attached ($style): unknown, only attached" \
    "$log_line" "verdict=unknown kind=ndr action=deliver id=<dana.2026112316590070@example.com> reason=\"its original is only attached, and no program sent it"
done
# A ticket system's notice of a ticket opened by a bounce, the bounce (a
# DSN) attached: the report is the attached message's, not this one's, and
# no program sent this one (RT's From is its queue's address): unknown,
# delivered (regression: backscatter, the DSN's original not ours).
for style in lf crlf cr; do
  line_ends "$style" "$SHAPES/ticket-carrying-dsn.eml" > "$WORK/ticket.eml"
  run_check "$WORK/ticket-$style" "$WORK/ticket.eml"
  equal "a ticket notice carrying a DSN ($style): exit deliver (0)" "$status" 0
  contains "a ticket notice carrying a DSN ($style): unknown, the DSN only attached" "$log_line" \
    "verdict=unknown kind=dsn action=deliver id=<rt-5.0.5-1188-1795511660-12.4529-5-0@example.com> reason=\"its original is only attached, and no program sent it"
done
# A tracker's notice marked auto-generated and "Precedence: junk" (as bulk
# senders mark mail to keep auto-replies off it), "Out of office" in its
# subject, in a ticket's thread: vacation(1)'s junk mark makes no auto-reply
# of it (regression: backscatter by its In-Reply-To).
for style in lf crlf cr; do
  line_ends "$style" "$SHAPES/tracker-junk-out-of-office.eml" > "$WORK/junk.eml"
  run_check "$WORK/junk-$style" "$WORK/junk.eml"
  equal "a tracker's junk-marked out-of-office notice ($style): exit deliver (0)" "$status" 0
  contains "a tracker's junk-marked out-of-office notice ($style): clean" "$log_line" \
    "verdict=clean kind=none action=deliver"
done
# A list manager's request to the owner to approve a held post: its text
# lists the post's subject, whose bounce words are the poster's, not the
# list manager's (regression: backscatter, the held post not ours).
for style in lf crlf cr; do
  line_ends "$style" "$SHAPES/list-owner-approval-request.eml" > "$WORK/approval.eml"
  run_check "$WORK/approval-$style" "$WORK/approval.eml"
  equal "a list owner's approval request ($style): exit deliver (0)" "$status" 0
  contains "a list owner's approval request ($style): clean" "$log_line" \
    "verdict=clean kind=none action=deliver"
done
# A shop's "Delivery failed: your order" from mailer@ (a program's address)
# quoting the header of the order confirmation it sent from that same
# address: its original is its sender's own mail, never ours (regression:
# backscatter, "the original's From mailer@... is none of our addresses").
for style in lf crlf cr; do
  line_ends "$style" "$SHAPES/shop-mailer-quotes-own-order.eml" > "$WORK/shop.eml"
  run_check "$WORK/shop-$style" "$WORK/shop.eml"
  equal "a shop's notice quoting its own order ($style): exit deliver (0)" "$status" 0
  contains "a shop's notice quoting its own order ($style): unknown, its sender's own mail" "$log_line" \
    "verdict=unknown kind=ndr action=deliver id=<order.5521.1@shop.example.com> reason=\"its original was written by the notice's own sender (mailer@shop.example.com)"
done

# --- a person's display name is free text: "System Administrator",
# "Mail Delivery Subsystem", "MAILER-DAEMON" on a person's mailbox make no
# daemon sender (regression: they did, through the "from" signatures read
# over the whole From field, and a pasted copy then counted as evidence).
# With a bounce word only, their mail is clean; with a pasted header block
# (Received:, Message-ID:) it is at most a pasted notice: unknown,
# delivered, never backscatter. A daemon is known by its address (and the
# null sender), which the same mail from MAILER-DAEMON@ or postmaster@
# still shows. A role mailbox ending -admin, -owner (it-admin@, sys-admin@)
# is a list manager's only with a list manager's fields (regression: it was
# a daemon's by its local part alone, and the pasted copy backscatter).
# person_mail FROM PASTE: a person's message (no "Re:") with a bounce word,
# and with PASTE=yes a header block copied from a bounce, dated now (after
# the store began recording), its Message-ID unknown to the store.
person_mail() {
  printf 'From: %s\nTo: user@example.org\nSubject: Your message could not be delivered\n' "$1"
  printf 'Date: %s\nMessage-ID: <help.%s@company.example>\n\n' "$(date -R)" "$$"
  printf 'Hello, your mail to our sales team was returned as undeliverable.\n'
  if [ "$2" = yes ]; then
    printf 'Here is what the bounce said, headers included:\n\n'
    printf 'Received: from mail.example.org (mail.example.org [192.0.2.5])\n'
    printf '\tby mx.company.example with ESMTP id 4F2A1; %s\n' "$(date -R)"
    printf 'Message-ID: <pasted.%s@example.org>\nDate: %s\n' "$$" "$(date -R)"
    printf 'From: user@example.org\nSubject: quote\n\n'
  fi
  printf 'Please send it again.\n-- \nIT\n'
}
write_rules "[actions]
backscatter = drop"
n=0
while IFS='|' read -r from; do
  for paste in no yes; do
    n=$((n + 1))
    person_mail "$from" "$paste" > "$WORK/person-$n.eml"
    run_check "$WORK/person-$n" "$WORK/person-$n.eml"
    equal "From $from, pasted headers $paste: exit deliver (0)" "$status" 0
    if [ "$paste" = no ]; then
      contains "From $from, no pasted headers: clean, not bounce-like" "$log_line" \
        "verdict=clean kind=none action=deliver"
    else
      contains "From $from, pasted headers: unknown, no program sent it" "$log_line" \
        "verdict=unknown kind=ndr action=deliver id=<pasted.$$@example.org> reason=\"its original is only copied into its text, and no program sent it"
    fi
  done
done <<'FROMS'
System Administrator <it@company.example>
Mail System <it@company.example>
Postmaster Team <pat.jones@company.example>
Mail Delivery Subsystem <it@company.example>
"Mail Delivery Subsystem" <it@company.example>
MAILER-DAEMON <dan.meyer@company.example>
"MAILER-DAEMON" <dan.meyer@company.example>
"MAILER-DAEMON <mailer-daemon@company.example>" <dan.meyer@company.example>
"Help <> Desk" <it@company.example>
Antivirus Team (mailer-daemon@company.example) <it@company.example>
it@company.example (Mail Delivery System)
=?UTF-8?Q?Mail_Delivery_System_=3Cpostmaster=40company=2Eexample=3E?= <it@company.example>
IT Team <it-admin@company.example>
sys-admin@company.example
"Sales Desk" <sales-owner@company.example>
FROMS
# The same mail from a daemon's address is a notice: its pasted header
# block is the original, unknown to the store.
while IFS='|' read -r from; do
  person_mail "$from" yes > "$WORK/daemon.eml"
  run_check "$WORK/daemon" "$WORK/daemon.eml"
  contains "From $from, pasted headers: a notice, backscatter" "$log_line" \
    "verdict=backscatter kind=ndr action=drop id=<pasted.$$@example.org>"
done <<'FROMS'
Mail Delivery System <MAILER-DAEMON@company.example>
"Mail Delivery Subsystem" <mailer-daemon@company.example>
MAILER-DAEMON@company.example (Mail Delivery Subsystem)
System Administrator <postmaster@company.example>
FROMS

# --- notices nobody here wrote: recognised, the right kind and original
write_rules
while read -r file kind id; do
  run_check "$WORK/n" "$SHAPES/$file"
  equal "$file: exit deliver (0)" "$status" 0
  contains "$file: kind $kind" "$log_line" "kind=$kind "
  [ "$id" = - ] || contains "$file: id=<$id>" "$log_line" "id=<$id>"
done <<'LIST'
carrier-quoted-cr.eml ndr 20261123124011.9ZY8@out.example.org
gateway-wrapped-dsn-cr.eml dsn 1795700000.0000000000007.JavaMail.app@example.org
gateway-wrapped-dsn.eml dsn 1795700000.0000000000007.JavaMail.app@example.org
isp-quoted-postfix-dsn.eml ndr 1795600000.4471190022.JavaMail.webmail@webmail.isp.example.net
postfix-dsn-bare-id.eml dsn 20261124142357
jmrp-complaint.eml arf nov-letter.4411.a7c2@example.org
apple-unsubscribe.eml arf -
carrier-iso2022jp.eml ndr 20261122111500.d1n3@example.org
fml-not-member.eml ndr -
googlegroups-may-not-exist.eml ndr C0FFEE01-2B3C-4D5E-8F90-ABCDEF123456@example.org
ses-sns-bounce.eml ndr -
ses-sns-bounce-wrapped.eml ndr -
ses-sns-complaint.eml arf -
sms-gateway-unfolded-boundary.eml ndr 20261119072000.70411.qmail@example.org
sms-gateway-unfolded-boundary-cr.eml ndr 20261119072000.70411.qmail@example.org
arf-unfolded-boundary.eml arf 20261123180311.garden.7731@example.org
hotmail-jmr-inline.eml arf catalogue.20261125051501.33a9@example.org
leading-empty-line-dsn.eml dsn order-1187.20261126@shop.example.org
arf-id-in-words.eml arf w3.20261127.Kp7Qz@mail.example.org
LIST
run_check "$WORK/sms" "$OURS/sms-gateway-bounce.eml"
contains "a carrier's SMS-gateway bounce: kind ndr" "$log_line" "kind=ndr "
run_check "$WORK/ses" "$SHAPES/ses-sns-delivery.eml"
contains "an SES delivery notice (SNS): not a bounce" "$log_line" "verdict=clean kind=none"

# The same CR-only bounce with every line end: one judgement.
tr '\r' '\n' < "$SHAPES/carrier-quoted-cr.eml" > "$WORK/lf.eml"
sed 's/$/\r/' "$WORK/lf.eml" > "$WORK/crlf.eml"
for style in lf crlf; do
  run_check "$WORK/$style" "$WORK/$style.eml"
  contains "the CR-only bounce as $style: kind ndr, same id" "$log_line" \
    "kind=ndr action=deliver id=<20261123124011.9ZY8@out.example.org>"
done
# --- classic-Mac (CR-only) messages written out again: --tag ends its
# header line with CR like the message's lines (CRLF for CRLF mail), after
# an MTA's "From " line; --deliver makes each CR an LF (doc: a mailbox is
# read by LF lines) and loses nothing after a "From " line.
write_rules
printf 'From: MAILER-DAEMON@mx.example.net\rSubject: failure\r\rbody\r' > "$WORK/cr.eml"
printf 'From x@example.net Mon Nov 30 06:00:00 2026\rFrom: MAILER-DAEMON@mx.example.net\rSubject: failure\r\rbody\rFrom here on\r' \
  > "$WORK/cr-from.eml"
printf 'From: MAILER-DAEMON@mx.example.net\r\nSubject: failure\r\n\r\nbody\r\n' > "$WORK/crlf-tag.eml"
run_check "$WORK/tag-cr" "$WORK/cr.eml" --tag
equal "--tag on CR-only mail: exit 0" "$status" 0
check "--tag on CR-only mail: no LF written" \
  sh -c 'tr -d "\n" < "$1" | cmp -s - "$1"' _ "$WORK/tag-cr.out"
check "--tag on CR-only mail: X-Backscatter ends with CR, then the message" \
  sh -c 'tr "\r" "\n" < "$1" | sed -n 1p | grep -q "^X-Backscatter: " &&
         tail -c +$(( $(tr "\r" "\n" < "$1" | sed -n 1p | wc -c) + 1 )) "$1" | cmp -s - "$2"' \
  _ "$WORK/tag-cr.out" "$WORK/cr.eml"
run_check "$WORK/tag-cr-from" "$WORK/cr-from.eml" --tag
check "--tag on CR-only mail with a From line: the header after it, CR-ended" \
  sh -c 'tr "\r" "\n" < "$1" | sed -n 2p | grep -q "^X-Backscatter: " &&
         tr -d "\n" < "$1" | cmp -s - "$1"' _ "$WORK/tag-cr-from.out"
run_check "$WORK/tag-crlf" "$WORK/crlf-tag.eml" --tag
check "--tag on CRLF mail: X-Backscatter ends with CRLF" \
  sh -c 'head -n 1 "$1" | grep -q "^X-Backscatter: .*$(printf "\r")\$"' _ "$WORK/tag-crlf.out"
run_check "$WORK/deliver-cr" "$WORK/cr-from.eml" --deliver "$WORK/cr.mbox"
equal "--deliver of CR-only mail with a From line: exit 0" "$status" 0
check "--deliver to an mbox: the message is there, CRs made LF, From quoted" \
  sh -c 'grep -qx "Subject: failure" "$1" && grep -qx "body" "$1" &&
         grep -qx ">From here on" "$1" && ! grep -q "$(printf "\r")" "$1"' _ "$WORK/cr.mbox"
run_check "$WORK/deliver-crmd" "$WORK/cr.eml" --deliver "$WORK/crmd/"
check "--deliver to a maildir: one file, the CR-only message with LF lines" \
  sh -c 'set -- "$1"/new/*; [ $# -eq 1 ] && printf "From: MAILER-DAEMON@mx.example.net\nSubject: failure\n\nbody\n" |
         cmp -s - "$1"' _ "$WORK/crmd"
finish
