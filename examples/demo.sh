#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# demo.sh: the main job on the shipped examples, with the default store.
# Records a sent message, then judges a genuine bounce, a forged one, an
# auto-reply and an ordinary message, showing verdict, action and exit code.
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
