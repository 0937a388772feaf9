#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# demo.sh: the main job on the shipped examples, with the default store.
# Records a sent message, then judges a genuine bounce, a forged one, an
# auto-reply and an ordinary message, showing verdict, action and exit code;
# explains the one verdict left unknown (a bounce of mail dated before the
# store began recording) and shows how importing the Sent folder
# (examples/messages/Sent.mbox) turns it into backscatter.
# Run from the top of the source tree after `make` (or set BSF to the program).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BSF=${BSF:-$top/backscatter-filter}
messages=$top/examples/messages
rules=$top/examples/demo.ini

echo "1. record the message the user sent (examples/messages/sent.eml)"
"$BSF" record -c "$rules" < "$messages/sent.eml" || exit 1
"$BSF" stats -c "$rules" | sed 's/^/   /'
echo
echo "2. judge incoming mail: verdict, action, exit code"
for name in exim-genuine autoreply-genuine exim-forged groupwise-forged office365-forged ordinary; do
  verdict=$("$BSF" check -c "$rules" --verdict < "$messages/$name.eml")
  "$BSF" check -c "$rules" < "$messages/$name.eml"
  printf '   %-22s %-20s exit %s\n' "$name" "$verdict" "$?"
done
echo
echo "3. why the forged Exim bounce is backscatter (--explain)"
"$BSF" check -c "$rules" --explain < "$messages/exim-forged.eml" 2>&1 | sed 's/^/   /'
echo
echo "4. the header --tag adds"
"$BSF" check -c "$rules" --tag < "$messages/exim-forged.eml" | head -1 | sed 's/^/   /'
echo
echo "5. why the Office 365 bounce is only unknown (--explain)"
"$BSF" check -c "$rules" --explain < "$messages/office365-forged.eml" 2>&1 | sed 's/^/   /'
echo "   Its original claims to be from us (user@example.org) and is dated before"
echo "   the store began recording, so a missing Message-ID proves nothing yet."
echo
echo "6. import the Sent folder: the store now covers what was sent since its"
echo "   oldest message, and the same bounce is backscatter"
"$BSF" import -c "$rules" "$messages/Sent.mbox" | sed 's/^/   /'
verdict=$("$BSF" check -c "$rules" --verdict < "$messages/office365-forged.eml")
printf '   %-22s %-20s\n' office365-forged "$verdict"
"$BSF" check -c "$rules" --explain < "$messages/office365-forged.eml" 2>&1 | grep '^  \* ' | sed 's/^/   /'
