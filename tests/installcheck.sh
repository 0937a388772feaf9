#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# installcheck.sh: the installed program takes its Mailutils plugin from
# PKGLIBDIR and from nowhere else (include/muplugin.h). Run by
# `make installcheck` (and so by `make distcheck`) after `make install`:
#   sh tests/installcheck.sh BINDIR PKGLIBDIR
# A notice with a base64 part is judged without trouble (the plugin was
# loaded, and there is none beside the program); with a corrupt
# mailutils.so put beside the installed program, still without trouble
# (it is not looked at); with PKGLIBDIR's plugin moved away, with one
# error=plugin log line naming PKGLIBDIR. Everything is put back. TAP.
set -u
bindir=${1:?BINDIR}; pkglibdir=${2:?PKGLIBDIR}
bin=$bindir/backscatter-filter
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift
  for line in "$@"; do echo "#   $line"; done; }
work=$(mktemp -d "${TMPDIR:-/tmp}/bsf-installcheck.XXXXXX") || exit 1
trap 'rm -f "$bindir/mailutils.so"; [ -f "$work/moved.so" ] && mv "$work/moved.so" "$pkglibdir/mailutils.so"; rm -rf "$work"' EXIT
chmod 700 "$work"
export HOME=$work/home
mkdir -p "$HOME"
printf '[log]\nsyslog = no\nfile = %s/log\n' "$work" > "$work/rules.ini"
chmod 600 "$work/rules.ini"
{
  printf 'Return-Path: <>\nFrom: MAILER-DAEMON@mx.example.net\nTo: user@example.org\n'
  printf 'Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n'
  printf 'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\n\n'
  printf -- '--R\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n'
  printf 'Your message could not be delivered.\n' | base64
  printf -- '\n--R\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@example.net\n'
  printf 'Action: failed\nStatus: 5.1.1\n\n--R--\n'
} > "$work/bounce.eml"

judge() {   # judge: check the bounce; $status and the new log line in $line
  : > "$work/log"
  "$bin" check -c "$work/rules.ini" --store "$work/sent.db" < "$work/bounce.eml" > /dev/null 2>&1
  status=$?
  line=$(cat "$work/log")
}

judge
if [ "$status" -eq 0 ] && [ -n "$line" ] && ! echo "$line" | grep -q 'error='; then
  ok "installed program: a base64 notice judged without trouble (plugin from $pkglibdir)"
else
  not_ok "installed program: a base64 notice judged without trouble" "exit $status: $line"
fi
head -c 4096 /dev/urandom > "$bindir/mailutils.so"
judge
rm -f "$bindir/mailutils.so"
if [ "$status" -eq 0 ] && ! echo "$line" | grep -q 'error='; then
  ok "installed program: a file named mailutils.so beside it is not looked at"
else
  not_ok "installed program: a file named mailutils.so beside it is not looked at" "exit $status: $line"
fi
mv "$pkglibdir/mailutils.so" "$work/moved.so"
judge
mv "$work/moved.so" "$pkglibdir/mailutils.so"
case $status:$line in
  0:*error=plugin*"$pkglibdir/mailutils.so"*) ok "installed program without its plugin: delivered, one line naming $pkglibdir" ;;
  *) not_ok "installed program without its plugin: delivered, one line naming $pkglibdir" "exit $status: $line" ;;
esac
echo "1..$n"
[ "$failed" -eq 0 ]
