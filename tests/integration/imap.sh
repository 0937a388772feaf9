#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# imap.sh: `import imap://...` (issue 12) through Mailutils' IMAP client
# against a real Dovecot IMAP server that this test starts on a loopback
# port with its own configuration (passwd-file, a Maildir with a Sent
# folder), stopped by its PID at the end. The password is in the ticket
# file ~/.mu-tickets, never on the command line; without it, or with a wrong
# one, import fails and says so; a forged bounce of mail dated after the
# imported messages is then backscatter.
#
# Limits: Dovecot refuses to run its login and mail processes as root, so
# as root they run as nobody (65534) and the mail belongs to nobody; the
# port is chosen free by the kernel just before the start (a race with
# another program taking it between is reported as a failure to start).
. "$BSF_SRCDIR/tests/integration/harness.inc"

all="imap import: the Sent folder over IMAP is recorded
imap import: no password in the ticket file fails and says so
imap import: a wrong password fails and says so
imap import: then a forged bounce of later mail is backscatter"
skip_every() { printf '%s\n' "$all" | while IFS= read -r d; do echo "ok - $d # SKIP $1"; done; echo "1..4"; exit 0; }

DOVECOT=${BSF_DOVECOT:-/usr/sbin/dovecot}
[ -x "$DOVECOT" ] || skip_every "dovecot not installed (dovecot-imapd, tests/integration/PACKAGES)"
[ -e /usr/lib/dovecot/imap ] || skip_every "Dovecot's imap not installed (dovecot-imapd)"
command -v python3 > /dev/null || skip_every "python3 missing (picks a free port)"

setup_world
D=$WORK/dovecot
mkdir -p "$D/run" "$D/mail/Maildir/.Sent/cur" "$D/mail/Maildir/.Sent/new" \
  "$D/mail/Maildir/.Sent/tmp" "$D/mail/Maildir/cur" "$D/mail/Maildir/new" "$D/mail/Maildir/tmp"
if [ "$(id -u)" -eq 0 ]; then
  mail_uid=65534 mail_gid=65534 login_user=nobody login_group=$(id -gn 65534 2>/dev/null || echo nogroup)
else
  mail_uid=$(id -u) mail_gid=$(id -g) login_user=$(id -un) login_group=$(id -gn)
fi
# Two sent messages, dated 3 and 2 days ago (Date), in the Sent folder.
sent() {   # sent ID DAYS
  printf 'From: user@example.org\nTo: friend@example.net\nDate: %s\nMessage-ID: <%s>\nSubject: s\n\nbody\n' \
    "$(date -R -d "$2 days ago")" "$1"
}
sent "imap-1.$$@example.org" 3 > "$D/mail/Maildir/.Sent/cur/1.host:2,S"
sent "imap-2.$$@example.org" 2 > "$D/mail/Maildir/.Sent/cur/2.host:2,S"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "alice:{PLAIN}secret:$mail_uid:$mail_gid::$D/mail" > "$D/passwd"
cat > "$D/dovecot.conf" <<CONF
base_dir = $D/run
state_dir = $D/run
log_path = $D/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = $login_user
default_internal_user = $login_user
default_internal_group = $login_group
first_valid_uid = $mail_uid
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = $D/passwd
}
userdb {
  driver = passwd-file
  args = $D/passwd
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
CONF
if [ "$(id -u)" -eq 0 ]; then
  chown -R "$mail_uid:$mail_gid" "$D/mail"
  chmod 711 "$WORK"
fi
"$DOVECOT" -c "$D/dovecot.conf" > "$D/start.out" 2>&1
started=$?
trap 'kill "$(cat "$D/run/master.pid" 2>/dev/null)" 2>/dev/null; [ -z "${BSF_KEEP_TMP:-}" ] && rm -rf "$WORK"' EXIT
i=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" 2> /dev/null; do
  i=$((i + 1))
  if [ $started -ne 0 ] || [ $i -gt 50 ]; then
    sed 's/^/# /' "$D/start.out" "$D/dovecot.log" 2> /dev/null | tail -10
    tap_not_ok "imap import: Dovecot started on 127.0.0.1:$port"
    tap_finish; exit 1
  fi
  sleep 0.1
done
url="imap://alice@127.0.0.1:$port/Sent"

# No ticket: an error, not a prompt (stdin is not a terminal).
"$BSF_BIN" import "$url" < /dev/null > "$WORK/i0.out" 2> "$WORK/i0.err"
st=$?
if [ $st -eq 1 ] && grep -q "cannot open mailbox" "$WORK/i0.err"; then
  tap_ok "imap import: no password in the ticket file fails and says so"
else
  tap_not_ok "imap import: no password in the ticket file fails and says so" "exit $st" "$(cat "$WORK/i0.err")"
fi
printf 'imap://alice:wrong@127.0.0.1:%s\n' "$port" > "$HOME/.mu-tickets"
chmod 600 "$HOME/.mu-tickets"
"$BSF_BIN" import "$url" < /dev/null > "$WORK/i1.out" 2> "$WORK/i1.err"
st=$?
if [ $st -eq 1 ] && grep -q "Authentication failed" "$WORK/i1.err"; then
  tap_ok "imap import: a wrong password fails and says so"
else
  tap_not_ok "imap import: a wrong password fails and says so" "exit $st" "$(cat "$WORK/i1.err")"
fi
printf 'imap://alice:secret@127.0.0.1:%s\n' "$port" > "$HOME/.mu-tickets"
"$BSF_BIN" import "$url" < /dev/null > "$WORK/i2.out" 2> "$WORK/i2.err"
st=$?
dump=$("$BSF_BIN" dump 2>&1)
case $st:$dump in
  0:*"msgid imap-1.$$@example.org"*"msgid imap-2.$$@example.org"*|0:*"msgid imap-2.$$@example.org"*"msgid imap-1.$$@example.org"*)
    tap_ok "imap import: the Sent folder over IMAP is recorded" ;;
  *) tap_not_ok "imap import: the Sent folder over IMAP is recorded" "exit $st" \
       "$(cat "$WORK/i2.out" "$WORK/i2.err")" "$(tail -3 "$D/dovecot.log")" ;;
esac
echo "# $(head -2 "$WORK/i2.out" | tr '\n' ' ')"

# Coverage: the forged bounce's original is dated yesterday, after the
# oldest imported message (3 days ago): backscatter at once.
cat > "$WORK/msg/forged-imap.eml" <<MSG
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: user@example.org
Subject: Undelivered Mail Returned to Sender
Date: $(date -R)
Message-ID: <dsn.imap.$$@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="R"

--R
Content-Type: text/plain

This is the mail system at host mx.example.net.

--R
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; victim@example.net
Action: failed
Status: 5.1.1

--R
Content-Type: text/rfc822-headers

From: user@example.org
To: victim@example.net
Date: $(date -R -d '1 day ago')
Message-ID: <forged.imap.$$@example.org>
Subject: cheap pills

--R--
MSG
verdict=$("$BSF_BIN" check --verdict < "$WORK/msg/forged-imap.eml" 2>&1)
if [ "$verdict" = "backscatter file" ]; then
  tap_ok "imap import: then a forged bounce of later mail is backscatter"
else
  tap_not_ok "imap import: then a forged bounce of later mail is backscatter" "$verdict"
fi
tap_finish
