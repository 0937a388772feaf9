# lib.sh: sourced by tests/e2e/*.sh. TAP helpers and a private world: a
# temporary HOME with XDG directories inside it, a rule file that logs to a
# file (no syslog), and the example messages. Removed on exit unless
# BSF_KEEP_TMP is set.
: "${BSF_BIN:?BSF_BIN must name the built program}"
: "${BSF_SRCDIR:?BSF_SRCDIR must name the source tree}"
MESSAGES=$BSF_SRCDIR/examples/messages
CORPUS=$BSF_SRCDIR/../shared/corpus
tap_count=0
tap_failed=0

ok() { tap_count=$((tap_count + 1)); echo "ok $tap_count - $1"; }
not_ok() {
  tap_count=$((tap_count + 1)); tap_failed=$((tap_failed + 1))
  echo "not ok $tap_count - $1"; shift
  for line in "$@"; do echo "#   $line"; done
}
skip() { tap_count=$((tap_count + 1)); echo "ok $tap_count - $1 # SKIP $2"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc" "failed: $*"; fi; }
equal() {   # equal DESC GOT WANT
  if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:  $2" "want: $3"; fi
}
contains() {   # contains DESC TEXT NEEDLE
  case $2 in *"$3"*) ok "$1" ;; *) not_ok "$1" "'$3' not in:" "$2" ;; esac
}
finish() { echo "1..$tap_count"; [ "$tap_failed" -eq 0 ]; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bsf-e2e.XXXXXX") || exit 1
if [ -z "${BSF_KEEP_TMP:-}" ]; then
  trap 'rm -rf "$WORK"' EXIT
  trap 'rm -rf "$WORK"; exit 1' INT TERM HUP
fi
chmod 700 "$WORK"
export HOME=$WORK/home XDG_CONFIG_HOME=$WORK/home/.config XDG_STATE_HOME=$WORK/home/.local/state
mkdir -p "$XDG_CONFIG_HOME/backscatter-filter"
unset SENDER RECIPIENT ORIGINAL_RECIPIENT
STORE=$WORK/store/sent.db
LOG=$WORK/log
RULES=$WORK/rules.ini

# write_rules [EXTRA INI TEXT]: the test rule file, logging to $LOG.
write_rules() {
  {
    printf '[store]\npath = %s\nlock_wait = 300ms\n' "$STORE"
    printf '[log]\nsyslog = no\nfile = %s\n' "$LOG"
    [ $# -gt 0 ] && printf '%s\n' "$1"
  } > "$RULES"
  chmod 600 "$RULES"
}

# run_check OUT_PREFIX MESSAGE [ARGS...]: runs check, leaving
# $OUT_PREFIX.out, .err, and the status in $status; the log line added in
# $log_line.
run_check() {
  prefix=$1 message=$2; shift 2
  : > "$LOG.before"; [ -f "$LOG" ] && cp "$LOG" "$LOG.before"
  "$BSF_BIN" check -c "$RULES" "$@" < "$message" > "$prefix.out" 2> "$prefix.err"
  status=$?
  log_line=$( [ -f "$LOG" ] && tail -n +$(( $(wc -l < "$LOG.before") + 1 )) "$LOG")
  log_lines=$(printf '%s' "$log_line" | grep -c .)
}

# A bounce about Message-ID $1 whose original was sent now (dated now).
fresh_bounce() {
  cat <<MSG
Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: user@example.org
Subject: Undelivered Mail Returned to Sender
Date: $(date -R)
Message-ID: <bounce.$$.$1@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="R"

--R
Content-Type: text/plain

This is the mail system at host mx.example.net.

--R
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; $2
Action: failed
Status: 5.1.1

--R
Content-Type: text/rfc822-headers

From: user@example.org
To: $2
Date: $(date -R)
Message-ID: <$1>
Subject: hello

--R--
MSG
}
