#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# mailutils-mda.sh: backscatter-filter under the real GNU Mailutils mda
# (Debian package mailutils-mda) running examples/mailutils-mda.sieve,
# which branches on the program's exit code with `pipe :exit N`.
#
# mda takes the user's mailbox (/var/mail/USER) and home (for ~/.sieve and
# ~/Maildir) from the password entry and reads only /etc/mailutils.conf:
# there is no option to point it elsewhere. putmail, which takes a mailbox
# URL, runs no user script for a local URL. So each delivery runs in a
# private mount namespace (unshare -m) where the user's home and /var/mail
# are bind mounts of the test directory; nothing outside changes and the
# mounts vanish with the process. That needs root: as any other user the
# whole test is skipped, loudly.

. "$BSF_SRCDIR/tests/integration/harness.inc"

MDA=$(command -v mda || command -v /usr/sbin/mda)
if [ -z "$MDA" ]; then
  skip_all "mda not installed (Debian package mailutils-mda)" \
    "mda: forged bounce filed" "mda: failing filter delivers"
fi
if [ "$(id -u)" -ne 0 ] || ! unshare --mount --propagation private true 2>/dev/null; then
  skip_all "needs root and unshare --mount to give mda a private home and /var/mail" \
    "mda: forged bounce filed" "mda: failing filter delivers"
fi
setup_world
user_home=$(getent passwd "$USER" | cut -d: -f6)
if [ -z "$user_home" ] || [ ! -d "$user_home" ]; then
  skip_all "no home directory for $USER in the password file" \
    "mda: forged bounce filed" "mda: failing filter delivers"
fi

if record_outgoing; then tap_ok "record the outgoing original"
else tap_not_ok "record the outgoing original" "exit $?"; fi

mkdir -p "$WORK/bin" "$WORK/spool"
copy_program "$WORK/bin"
inbox=$WORK/spool/$USER
folder=$WORK/Maildir/.Backscatter

# install_script [EDIT]: the example as ~/.sieve, pointing at our copy.
install_script() {
  example mailutils-mda.sieve "$WORK/bin/backscatter-filter" | sed -e "${1:-}" >"$WORK/.sieve"
}
fresh_mailboxes() {
  rm -rf "$WORK/Maildir" "$inbox"
  mkdir -p "$folder/cur" "$folder/new" "$folder/tmp"
}
deliver() {  # deliver CASE
  case $1 in forged|genuine|autoreply) sender=MAILER-DAEMON ;; *) sender=friend@example.net ;; esac
  timeout "$BSF_TIMEOUT" unshare --mount --propagation private sh -c '
    mount --bind "$1" "$2" && mount --bind "$1/spool" /var/mail &&
    exec "$3" --stderr -s "~/.sieve" -f "$4" "$5"' \
    sh "$WORK" "$user_home" "$MDA" "$sender" "$USER" <"$WORK/msg/$1"
}
run_four() {
  for c in forged genuine ordinary autoreply; do
    deliver "$c" || { echo "# mda exited $? on $c"; return 1; }
  done
}
in_inbox() { [ "$(mbox_count "$inbox" "$1")" -eq 1 ]; }
in_folder_only() {
  only_in "$1" "$folder" "$WORK/Maildir" && [ "$(mbox_count "$inbox" "$1")" -eq 0 ]
}

# 1. The example as shipped: backscatter filed.
install_script
fresh_mailboxes
tap_check "mda: exits 0 for every message" run_four
tap_check "mda: forged bounce filed in ~/Maildir/.Backscatter" in_folder_only forged
for c in genuine ordinary autoreply; do
  tap_check "mda: $c delivered to /var/mail/\$USER" in_inbox "$c"
done

# 2. The drop variant, as the example's comments describe it.
install_script '/^#if pipe :exit 10/,/^#}/s/^#//'
sed -i 's/^backscatter = .*/backscatter = drop/' "$RULES"
printf '\n[exit]\ndrop = 10\n' >>"$RULES"
fresh_mailboxes
tap_check "mda drop variant: exits 0 for every message" run_four
tap_check "mda drop variant: forged bounce is nowhere" \
  test -z "$(files_with_case "$WORK/Maildir" forged)$(files_with_case "$inbox" forged)"
for c in genuine ordinary autoreply; do
  tap_check "mda drop variant: $c delivered" in_inbox "$c"
done
write_rules file

# 3. A failing program loses nothing. One that runs and fails (reads the
# message, exits 1, like a crash after reading): the code is not the one
# asked for, so the message is kept. (Not /bin/false itself: it exits
# before mda has written the message, and mda then dies of SIGPIPE or not
# depending on timing, which made this test fail on a busy machine.) One that
# cannot be run at all: the script fails and mda exits 75 (EX_TEMPFAIL),
# or dies of SIGPIPE writing the message to it (seen here for small
# messages), so the MTA keeps the message queued and retries.
install_script
printf '#!/bin/sh\ncat >/dev/null\nexit 1\n' >"$WORK/bin/backscatter-filter"
chmod 755 "$WORK/bin/backscatter-filter"
fresh_mailboxes
run_four >/dev/null 2>&1
n=0
for c in forged genuine ordinary autoreply; do in_inbox "$c" && n=$((n + 1)); done
tap_check "mda: program false: all 4 messages delivered" test "$n" -eq 4

rm -f "$WORK/bin/backscatter-filter"
fresh_mailboxes
codes= deferred=0
for c in forged genuine ordinary autoreply; do
  deliver "$c" 2>/dev/null
  code=$?
  codes="$codes $code"
  if [ "$code" -eq 75 ] || [ "$code" -gt 128 ]; then deferred=$((deferred + 1)); fi
done
tap_check "mda: program missing: every delivery deferred (75 or signal; got$codes)" \
  test "$deferred" -eq 4
tap_check "mda: program missing: nothing delivered or filed" \
  test -z "$(files_with_case "$WORK/Maildir" '[a-z]*')$(files_with_case "$inbox" '[a-z]*')"

tap_finish
