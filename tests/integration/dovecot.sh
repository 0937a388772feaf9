#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# dovecot.sh: backscatter-filter under the real Dovecot LDA with Pigeonhole
# Sieve and its sieve_extprograms plugin (Debian packages dovecot-core,
# dovecot-sieve), using examples/dovecot-sieve-filter.sieve (`filter` with
# --tag) and examples/dovecot-sieve-execute.sieve (`execute :output` with
# --verdict), configured as examples/dovecot-backscatter.conf says.
#
# No Dovecot daemon runs: dovecot-lda is started once per message with a
# standalone configuration (-c) in the temporary directory. Without -d it
# delivers as the calling user into ~/Maildir, taking HOME from the
# environment; as root it insists on -d, which needs the auth daemon, so a
# root caller runs it as `nobody` (setpriv) over a directory handed to
# nobody. The program is copied into the extprograms bin directory, as an
# installation would link it there. Messages reach it with CRLF line ends
# (Pigeonhole's default), and the envelope sender is given with -f (empty
# for bounces, which Pigeonhole passes on as an empty SENDER).

. "$BSF_SRCDIR/tests/integration/harness.inc"

LDA=/usr/lib/dovecot/dovecot-lda
EXTPROGRAMS=/usr/lib/dovecot/modules/sieve/lib90_sieve_extprograms_plugin.so
if [ ! -x "$LDA" ] || [ ! -f "$EXTPROGRAMS" ]; then
  skip_all "dovecot-lda or sieve_extprograms missing (Debian dovecot-core, dovecot-sieve)" \
    "dovecot filter --tag: forged bounce filed" \
    "dovecot execute --verdict: forged bounce filed" \
    "dovecot: failing filter delivers"
fi
setup_world

if record_outgoing; then tap_ok "record the outgoing original"
else tap_not_ok "record the outgoing original" "exit $?"; fi

mkdir -p "$WORK/run" "$WORK/sieve-bin" "$WORK/sieve"
copy_program "$WORK/sieve-bin"
# The example's settings, with the paths of this world.
cat >"$WORK/dovecot.conf" <<EOF
base_dir = $WORK/run
log_path = $WORK/dovecot.log
mail_location = maildir:~/Maildir
ssl = no
protocols =
protocol lda {
  mail_plugins = \$mail_plugins sieve
}
plugin {
  sieve = file:$WORK/sieve;active=$WORK/.dovecot.sieve
  sieve_plugins = sieve_extprograms
  sieve_extensions = +vnd.dovecot.filter +vnd.dovecot.execute +editheader
  sieve_filter_bin_dir = $WORK/sieve-bin
  sieve_execute_bin_dir = $WORK/sieve-bin
  sieve_filter_exec_timeout = 10s
  sieve_execute_exec_timeout = 10s
}
EOF
# The example must carry the same plugin settings.
for key in sieve_plugins sieve_extensions sieve_filter_bin_dir sieve_execute_bin_dir; do
  if ! grep -q "^ *$key *=" "$BSF_SRCDIR/examples/dovecot-backscatter.conf"; then
    tap_not_ok "examples/dovecot-backscatter.conf sets $key"
  fi
done

as_user=
if [ "$(id -u)" -eq 0 ]; then
  as_user="setpriv --reuid=nobody --regid=nogroup --clear-groups"
fi
own_world() { [ -z "$as_user" ] || chown -R nobody:nogroup "$WORK"; }

deliver() {  # deliver CASE
  case $1 in forged|genuine|autoreply) sender= ;; *) sender=friend@example.net ;; esac
  # shellcheck disable=SC2086
  HOME=$WORK timeout "$BSF_TIMEOUT" $as_user "$LDA" -c "$WORK/dovecot.conf" \
    -f "$sender" -a user@example.org <"$WORK/msg/$1"
}
run_four() {
  for c in forged genuine ordinary autoreply; do
    deliver "$c" || { echo "# dovecot-lda exited $? on $c"; return 1; }
  done
}
fresh_maildir() {
  rm -rf "$WORK/Maildir"
  : >"$WORK/dovecot.log"
  own_world
}
log_tail() { sed 's/^/# /' "$WORK/dovecot.log" | tail -8; }

inbox=$WORK/Maildir/new
folder=$WORK/Maildir/.Backscatter

for script in filter execute; do
  name=dovecot-sieve-$script.sieve
  example "$name" >"$WORK/.dovecot.sieve"
  fresh_maildir
  if run_four; then tap_ok "$name: dovecot-lda exits 0 for every message"
  else tap_not_ok "$name: dovecot-lda exits 0 for every message"; log_tail; fi
  if only_in forged "$folder" "$WORK/Maildir"; then
    tap_ok "$name: forged bounce filed in Backscatter"
  else
    tap_not_ok "$name: forged bounce filed in Backscatter"; log_tail
  fi
  for c in genuine ordinary autoreply; do
    tap_check "$name: $c delivered to INBOX" only_in "$c" "$inbox" "$WORK/Maildir"
  done
  if grep -q 'Error' "$WORK/dovecot.log"; then
    tap_not_ok "$name: no error in the Dovecot log"; log_tail
  else
    tap_ok "$name: no error in the Dovecot log"
  fi
  if [ "$script" = filter ]; then
    f=$(files_with_case "$folder" forged | head -1)
    if [ -n "$f" ] && grep -q '^X-Backscatter: backscatter;' "$f"; then
      tap_ok "$name: filed copy carries X-Backscatter: backscatter"
    else
      tap_not_ok "$name: filed copy carries X-Backscatter: backscatter"
    fi
  fi

  # A failing program: the script fails and Dovecot keeps the message.
  for broken in false missing; do
    rm -f "$WORK/sieve-bin/backscatter-filter"
    [ "$broken" = false ] && cp /bin/false "$WORK/sieve-bin/backscatter-filter"
    fresh_maildir
    run_four >/dev/null 2>&1
    n=0
    for c in forged genuine ordinary autoreply; do
      only_in "$c" "$inbox" "$WORK/Maildir" && n=$((n + 1))
    done
    tap_check "$name: program $broken: all 4 messages in INBOX" test "$n" -eq 4
  done
  copy_program "$WORK/sieve-bin"
done

tap_finish
