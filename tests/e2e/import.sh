#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# import.sh: `import` of a maildir and an MH folder, read one file at a
# time: cur/ and new/ only (not tmp/), no dot files, directories or links
# (a link could lead out of the folder), unreadable files counted and
# passed over, the progress line on a terminal only.
. "$BSF_SRCDIR/tests/e2e/lib.inc"

write_rules "[identity]
addresses = user@example.org"
box=$WORK/Sent
mkdir -p "$box/cur" "$box/new" "$box/tmp" "$box/cur/folder" "$WORK/mh"
cp "$MESSAGES/sent.eml" "$box/cur/1795000001.M1P1.host:2,S"
message() {  # message ID TO: a small message
  printf 'From: user@example.org\nTo: %s\nMessage-ID: <%s>\nSubject: x\n\nTo: body@wrong.example\n' "$2" "$1"
}
message new-1@example.org new.friend@example.net > "$box/new/1795000002.M2P1.host"
message tmp-1@example.org tmp.friend@example.net > "$box/tmp/1795000003.M3P1.host"
message dot-1@example.org dot.friend@example.net > "$box/cur/.1795000004.M4P1.host"
message dir-1@example.org dir.friend@example.net > "$box/cur/folder/1795000005.M5P1.host"
message outside-1@example.org outside.friend@example.net > "$WORK/outside.eml"
ln -s ../../outside.eml "$box/cur/1795000006.M6P1.host:2,S"

"$BSF_BIN" import -c "$RULES" "$box/" > "$WORK/imp.out" 2> "$WORK/imp.err"
equal "import of a maildir: exit 0" "$?" 0
equal "import of a maildir: cur/ and new/ only (sent.eml has two recipients)" "$(head -1 "$WORK/imp.out")" \
  "$box/: 2 messages, 2 Message-IDs, 3 recipients, 0 skipped"
equal "import without a terminal: no progress line" "$(cat "$WORK/imp.err")" ""
"$BSF_BIN" dump -c "$RULES" > "$WORK/dump" 2>&1
contains "import: the message in cur/ is recorded" "$(cat "$WORK/dump")" "msgid 20261120093000.sent-1@mail.example.org"
contains "import: the message in new/ is recorded" "$(cat "$WORK/dump")" "msgid new-1@example.org"
contains "import: its recipient is recorded" "$(cat "$WORK/dump")" "recipient new.friend@example.net"
for what in tmp dot dir outside body; do
  if grep -q "$what" "$WORK/dump"; then
    not_ok "import: nothing from $what recorded" "$(grep "$what" "$WORK/dump")"
  else
    ok "import: nothing from $what recorded"
  fi
done
run_check "$WORK/genuine" "$MESSAGES/exim-genuine.eml"
equal "a bounce about an imported message: exit deliver (0)" "$status" 0
contains "a bounce about an imported message: genuine" "$log_line" "genuine"

# An unreadable message: counted, skipped, and the import goes on.
message locked-1@example.org locked.friend@example.net > "$box/new/1795000007.M7P1.host"
chmod 000 "$box/new/1795000007.M7P1.host"
if [ "$(id -u)" = 0 ]; then
  skip "import: an unreadable message is skipped" "root reads any file"
else
  "$BSF_BIN" import -c "$RULES" "$box" > "$WORK/imp.out" 2> "$WORK/imp.err"
  equal "import with an unreadable message: exit 0" "$?" 0
  equal "import: an unreadable message is skipped" "$(head -1 "$WORK/imp.out")" \
    "$box: 3 messages, 2 Message-IDs, 3 recipients, 1 skipped (1 unreadable)"
fi
rm -f "$box/new/1795000007.M7P1.host"

# An MH folder: the numbered files only.
message mh-1@example.org mh.friend@example.net > "$WORK/mh/1"
message mh-2@example.org mh.friend@example.net > "$WORK/mh/2"
message mh-notes@example.org mh.notes@example.net > "$WORK/mh/notes"
: > "$WORK/mh/.mh_sequences"
"$BSF_BIN" import -c "$RULES" "mh:$WORK/mh" > "$WORK/imp.out" 2> "$WORK/imp.err"
equal "import of an MH folder: numbered files only" "$(head -1 "$WORK/imp.out")" \
  "mh:$WORK/mh: 2 messages, 2 Message-IDs, 2 recipients, 0 skipped"

# On a terminal, a progress line ends at the total.
if command -v script > /dev/null 2>&1; then
  script -qec "\"$BSF_BIN\" import -c \"$RULES\" \"$box/\"" "$WORK/typescript" > /dev/null 2>&1
  contains "import on a terminal: progress line at the end" \
    "$(tr '\r' '\n' < "$WORK/typescript")" "importing: 2/2 (100%)"
else
  skip "import on a terminal: progress line at the end" "no script(1)"
fi

"$BSF_BIN" import -c "$RULES" "$WORK/no-such-maildir/" > "$WORK/imp.out" 2> "$WORK/imp.err"
equal "import of a missing mailbox: exit 1" "$?" 1
contains "import of a missing mailbox: says so" "$(cat "$WORK/imp.err")" "cannot open mailbox"
finish
