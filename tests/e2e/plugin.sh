#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# plugin.sh: our Mailutils plugins (include/muplugin.h) are loaded only
# when a message needs them, and the program never loses mail without
# them. strace shows which files a run opens: ordinary mail (with an
# encoded subject and an attachment too) never opens the plugin, a bounce
# with a base64 part does. A copy of the program in a directory of its
# own loads the plugin from beside itself: there it is missing, corrupt,
# built for another interface or package version, or writable by others;
# check still delivers (exit 0, one log line saying why), record does not
# need it, import exits 1 saying why.
. "$BSF_SRCDIR/tests/e2e/lib.inc"

write_rules
fakes=$(dirname "${BSF_PROBE:-/nonexistent/probe}")
# The program itself (under tests/valgrind.sh, BSF_BIN is a wrapper) and
# the build directory, where its plugins are.
case $BSF_BIN in
  *valgrind-wrap.sh) real=$BSF_VALGRIND_BIN ;;
  *) real=$BSF_BIN ;;
esac
build=$(dirname "$real")

# A bounce whose notice text is base64 (as Exchange and many gateways send).
b64_bounce() {
  cat <<MSG
Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: user@example.org
Subject: Undelivered Mail Returned to Sender
Date: Mon, 30 Nov 2026 07:00:00 +0000
Message-ID: <b64.bounce.1@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="R"

--R
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

$(printf 'This is the mail system at host mx.example.net.\n\nI am sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n' | base64)

--R
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; nobody@example.net
Action: failed
Status: 5.1.1

--R
Content-Type: text/rfc822-headers

From: user@example.org
To: nobody@example.net
Subject: hello
Message-ID: <sent.b64.1@example.org>
Date: Mon, 30 Nov 2026 06:00:00 +0000

--R--
MSG
}
b64_bounce > "$WORK/b64.eml"
# A person's mail: RFC 2047 subject, an attachment (multipart/mixed).
cat > "$WORK/encoded-ordinary.eml" <<'MSG'
From: Anna Person <anna@example.net>
To: user@example.org
Subject: =?UTF-8?B?UsOpc3VtZSBkZXMgdmFjYW5jZXM=?=
Date: Mon, 30 Nov 2026 07:00:00 +0000
Message-ID: <encoded.ordinary.1@example.net>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="M"

--M
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Voici le résumé.

--M
Content-Type: application/pdf; name="a.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcOkw7zDtsOfCg==

--M--
MSG

# opened PREFIX MESSAGE [ARGS]: the files a check run opens, in $PREFIX.opened
opened() {
  prefix=$1 message=$2; shift 2
  # LeakSanitizer cannot run under ptrace (an ASan build would abort at
  # exit): leaks are looked for in every other run.
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    strace -f -o "$prefix.strace" -e trace=openat "$BSF_BIN" check -c "$RULES" "$@" \
    < "$message" > "$prefix.out" 2> "$prefix.err"
  status=$?
  sed -n 's/.*openat([^"]*"\([^"]*\)".*= [0-9].*/\1/p' "$prefix.strace" > "$prefix.opened"
}

if ! command -v strace > /dev/null; then
  skip "ordinary mail does not open the plugin" "strace not installed"
  skip "a base64 bounce opens the plugin" "strace not installed"
elif case $BSF_BIN in *valgrind-wrap.sh) true ;; *) false ;; esac; then
  skip "which files a run opens" "under valgrind (it opens files of its own)"
else
  opened "$WORK/o1" "$MESSAGES/ordinary.eml"
  equal "ordinary mail: exit 0" "$status" 0
  equal "ordinary mail: the plugin is not opened" \
    "$(grep -c 'mailutils\.so$\|mailboxes\.so$' "$WORK/o1.opened")" 0
  equal "ordinary mail: libmailutils not loaded" "$(grep -c libmailutils "$WORK/o1.opened")" 0
  opened "$WORK/o2" "$WORK/encoded-ordinary.eml"
  equal "ordinary mail with an encoded subject and an attachment: exit 0" "$status" 0
  equal "... the plugin is not opened" \
    "$(grep -c 'mailutils\.so$\|mailboxes\.so$' "$WORK/o2.opened")" 0
  opened "$WORK/o3" "$WORK/b64.eml" --verdict
  equal "base64 bounce: exit 0" "$status" 0
  # Opened twice: checked on a descriptor, then loaded (muplugin.h).
  check "base64 bounce: the plugin opened (from beside the uninstalled program)" \
    [ "$(grep -c "^$build/mailutils\.so\$" "$WORK/o3.opened")" -ge 1 ]
  equal "base64 bounce: not the import plugin" "$(grep -c 'mailboxes\.so$' "$WORK/o3.opened")" 0
  equal "base64 bounce: judged unknown (no store yet)" "$(cat "$WORK/o3.out")" "unknown deliver"
fi

# A copy of the program alone in a directory: it loads only from there.
lone=$WORK/lone
mkdir -p "$lone"
cp "$real" "$lone/backscatter-filter"
LONE=$lone/backscatter-filter
if command -v readelf > /dev/null; then
  equal "the program is not linked with libmailutils (readelf -d: NEEDED)" \
    "$(readelf -d "$real" | grep -c 'NEEDED.*libmailutils')" 0
else
  skip "the program is not linked with libmailutils" "readelf not installed"
fi

# lone_check NAME MESSAGE: check with the lone copy; $status, $log_line
lone_check() {
  : > "$LOG.before"; [ -f "$LOG" ] && cp "$LOG" "$LOG.before"
  "$LONE" check -c "$RULES" < "$2" > "$WORK/$1.out" 2> "$WORK/$1.err"
  status=$?
  log_line=$( [ -f "$LOG" ] && tail -n +$(( $(wc -l < "$LOG.before") + 1 )) "$LOG")
  log_lines=$(printf '%s\n' "$log_line" | grep -c .)
}

lone_check ordinary "$MESSAGES/ordinary.eml"
equal "no plugin: ordinary mail delivered (exit 0)" "$status" 0
contains "no plugin: ordinary mail judged clean, no trouble" "$log_line" "verdict=clean"

# refused WHAT WANT: the base64 bounce with the plugin as set up is
# delivered, with one log line saying why.
refused() {
  lone_check "$1" "$WORK/b64.eml"
  equal "$1: base64 bounce delivered (exit 0)" "$status" 0
  equal "$1: one log line" "$log_lines" 1
  contains "$1: the log line says plugin trouble" "$log_line" "error=plugin"
  contains "$1: ... and why" "$log_line" "$2"
  contains "$1: ... and the outcome" "$log_line" "outcome=deliver"
}
refused "plugin missing" "cannot open the Mailutils plugin $lone/mailutils.so"

head -c 4096 /dev/urandom > "$lone/mailutils.so"
chmod 755 "$lone/mailutils.so"
refused "corrupt plugin" "cannot load the Mailutils plugin"

if [ -f "$fakes/plugin-wrong-abi.so" ]; then
  cp "$fakes/plugin-wrong-abi.so" "$lone/mailutils.so"
  refused "plugin of another interface" "has interface version 999"
  cp "$fakes/plugin-wrong-version.so" "$lone/mailutils.so"
  refused "plugin of another release" "is from backscatter-filter 0.0.0-other"
else
  skip "plugins of another interface or release" "tests/e2e/plugin-wrong-*.so not built"
fi

cp "$build/mailutils.so" "$lone/mailutils.so"
chmod 775 "$lone/mailutils.so"
refused "group-writable plugin" "writable by no one else"
chmod 755 "$lone/mailutils.so"
lone_check good "$WORK/b64.eml"
equal "the plugin beside the copy: exit 0" "$status" 0
case $log_line in
  *error=*) not_ok "the plugin beside the copy: no trouble" "$log_line" ;;
  *) ok "the plugin beside the copy: no trouble" ;;
esac
rm -f "$lone/mailutils.so"

# record keeps the Date as written: it never needs the plugin.
"$LONE" record -c "$RULES" < "$MESSAGES/sent.eml" > "$WORK/rec.out" 2> "$WORK/rec.err"
equal "no plugin: record still records (exit 0)" "$?" 0
# import reads mailboxes through the plugin: without it, exit 1 and why.
"$LONE" import -c "$RULES" "$MESSAGES/Sent.mbox" > "$WORK/imp.out" 2> "$WORK/imp.err"
equal "no plugin: import exits 1" "$?" 1
contains "no plugin: import says why" "$(cat "$WORK/imp.err")" \
  "cannot open the Mailutils plugin $lone/mailboxes.so"
cp "$build/mailboxes.so" "$lone/mailboxes.so"
"$LONE" import -c "$RULES" "$MESSAGES/Sent.mbox" > "$WORK/imp.out" 2> "$WORK/imp.err"
equal "the import plugin beside the copy: import exits 0" "$?" 0

finish
