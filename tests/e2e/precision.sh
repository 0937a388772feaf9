#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# precision.sh (issue 13): ordinary mail that speaks of viruses, vacations
# and undeliverable things is clean whatever its thread, and the notices
# nobody here wrote are recognised, of the right kind, naming the true
# original: the built program on tests/messages, asserting exit code and
# the one log line.
. "$BSF_SRCDIR/tests/e2e/lib.inc"
OURS=$BSF_SRCDIR/tests/messages
SISIMAI=$OURS/sisimai

write_rules "[actions]
backscatter = drop"
"$BSF_BIN" record -c "$RULES" < "$MESSAGES/sent.eml" > /dev/null 2>&1

# --- ordinary mail: never a notice, so never backscatter (exit 0, clean)
for name in rt-virus-alert jira-out-of-office vacation-schedule invoice-thanks \
            calendar-accepted; do
  run_check "$WORK/$name" "$OURS/$name.eml"
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
run_check "$WORK/fwd" "$SISIMAI/bsd-lhost-sendmail-14.eml"
contains "a person's 'Fwd: Returned mail' stays clean" "$log_line" "verdict=clean kind=none"

# --- notices nobody here wrote: recognised, the right kind and original
write_rules
while read -r file kind id; do
  run_check "$WORK/n" "$SISIMAI/$file"
  equal "$file: exit deliver (0)" "$status" 0
  contains "$file: kind $kind" "$log_line" "kind=$kind "
  [ "$id" = - ] || contains "$file: id=<$id>" "$log_line" "id=<$id>"
done <<'LIST'
mac-lhost-ezweb-01.eml ndr 20080907124011.12ABCD8@lsean.ezweb.ne.jp
mac-lhost-x5-01.eml dsn 2222222222.0000000000002.JavaMail.nekogate@cat.example.jp
bsd-lhost-x5-01.eml dsn 2222222222.0000000000002.JavaMail.nekogate@cat.example.jp
bsd-lhost-postfix-49.eml ndr 1409050600.12984636501178305590.JavaMail.root@mz-cb000p.noc-kyoto2jo.ocn.ad.jp
bsd-lhost-postfix-09.eml dsn 20140913142357
bsd-arf-22.eml arf 0000000000fffffffff0000000000000@example.com
bsd-arf-26.eml arf -
bsd-lhost-kddi-01.eml ndr 2013000000000000@example.jp
bsd-lhost-fml-02.eml ndr -
bsd-lhost-googlegroups-14.eml ndr 1095EA7E-7BAF-431C-AAB1-DBAED5739F1B@libsisimai.com
bsd-lhost-amazonses-09.eml ndr -
bsd-lhost-amazonses-11.eml arf -
LIST
run_check "$WORK/sms" "$OURS/sms-gateway-bounce.eml"
contains "a carrier's SMS-gateway bounce: kind ndr" "$log_line" "kind=ndr "
run_check "$WORK/ses" "$SISIMAI/bsd-lhost-amazonses-12.eml"
contains "an SES delivery notice (SNS): not a bounce" "$log_line" "verdict=clean kind=none"

# The same CR-only bounce with every line end: one judgement.
tr '\r' '\n' < "$SISIMAI/mac-lhost-ezweb-01.eml" > "$WORK/lf.eml"
sed 's/$/\r/' "$WORK/lf.eml" > "$WORK/crlf.eml"
for style in lf crlf; do
  run_check "$WORK/$style" "$WORK/$style.eml"
  contains "the CR-only bounce as $style: kind ndr, same id" "$log_line" \
    "kind=ndr action=deliver id=<20080907124011.12ABCD8@lsean.ezweb.ne.jp>"
done
finish
