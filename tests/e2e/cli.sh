#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# cli.sh: the command line as an admin meets it (issue 15): -h/--help and
# -V/--version with every command; configtest (what would be used, or 78
# with FILE:LINE); --quiet for import and expire (cron); a typo at a
# terminal is a usage error (64, stdin not read) while check from a
# delivery agent still delivers and logs it; dump into a closed pipe ends
# quietly. A terminal on stdin comes from script(1) (bsdutils).
. "$BSF_SRCDIR/tests/e2e/lib.inc"
write_rules '[identity]
addresses = user@example.org
domains = example.org'

# --- -h/--help, -V/--version, with every command
for command in "" check record import expire stats dump configtest; do
  for option in -h --help; do
    out=$("$BSF_BIN" $command $option 2>&1 </dev/null)
    equal "${command:-(no command)} $option: exit 0" "$?" 0
    contains "${command:-(no command)} $option: the usage text" "$out" "Usage: backscatter-filter"
  done
  for option in -V --version; do
    out=$("$BSF_BIN" $command $option 2>&1 </dev/null)
    equal "${command:-(no command)} $option: exit 0" "$?" 0
    case $out in
      "backscatter-filter "[0-9]*) ok "${command:-(no command)} $option: the version" ;;
      *) not_ok "${command:-(no command)} $option: the version" "got: $out" ;;
    esac
  done
done
contains "--help names configtest" "$("$BSF_BIN" --help)" "configtest"
contains "--help names --quiet" "$("$BSF_BIN" --help)" "--quiet"

# --- configtest
"$BSF_BIN" configtest -c "$RULES" > "$WORK/ct.out" 2> "$WORK/ct.err"
equal "configtest of a good file: exit 0" "$?" 0
ct=$(cat "$WORK/ct.out")
contains "configtest names the rule file" "$ct" "rule file: $RULES"
contains "configtest names the store, not created yet" "$ct" "store: $STORE (gdbm; not created yet)"
contains "configtest lists the identity" "$ct" "identity addresses: user@example.org"
contains "configtest lists the actions" "$ct" "actions: clean=deliver genuine=deliver backscatter=file unknown=deliver"
contains "configtest lists the exit codes" "$ct" "exit codes: deliver=0 file=2 drop=1 tempfail=75 on_error=deliver"
contains "configtest names the log file" "$ct" "file=$LOG"
contains "configtest ends with its verdict" "$ct" "configuration OK"
equal "configtest of a good file: nothing on stderr" "$(cat "$WORK/ct.err")" ""
check "configtest creates no store" test ! -e "$STORE"
check "configtest creates no log file" test ! -e "$LOG"

# With no -c: the default places (here none: built-in defaults).
ct=$("$BSF_BIN" configtest)
equal "configtest without a rule file: exit 0" "$?" 0
contains "configtest without a rule file: built-in defaults" "$ct" "rule file: (none: built-in defaults)"
contains "configtest names the system rule file it looked for" "$ct" "system rule file: /"
contains "configtest: the default store" "$ct" "store: $XDG_STATE_HOME/backscatter-filter/sent.db"
cp "$RULES" "$XDG_CONFIG_HOME/backscatter-filter/rules.ini"
contains "configtest finds the user's rule file" "$("$BSF_BIN" configtest)" \
  "rule file: $XDG_CONFIG_HOME/backscatter-filter/rules.ini"
rm "$XDG_CONFIG_HOME/backscatter-filter/rules.ini"

# Errors: 78, FILE:LINE on stderr, nothing on stdout.
bad=$WORK/bad.ini
printf '[store]\nttl = 30d\n[actions]\nbackscatter = shred\n' > "$bad"
chmod 600 "$bad"
"$BSF_BIN" configtest -c "$bad" > "$WORK/ct.out" 2> "$WORK/ct.err"
equal "configtest of a bad file: exit 78" "$?" 78
contains "configtest of a bad file: FILE:LINE" "$(cat "$WORK/ct.err")" "$bad:4:"
equal "configtest of a bad file: nothing on stdout" "$(cat "$WORK/ct.out")" ""
# A site rule's regex is compiled by check only when a message needs it;
# configtest compiles every one: each bad one with FILE:LINE, then 78.
badre=$WORK/bad-regex.ini
printf '[rule good]\nheader = From\nregex = "^a(b|c)$"\naction = file\n[rule broken]\nheader = Subject\nregex = "(unclosed"\nverdict = clean\n[rule broken too]\nheader = X-Never\nregex = "[z"\nverdict = clean\n' > "$badre"
chmod 600 "$badre"
"$BSF_BIN" configtest -c "$badre" > "$WORK/ct.out" 2> "$WORK/ct.err"
equal "configtest of a bad regex: exit 78" "$?" 78
equal "configtest of bad regexes: every one reported, with FILE:LINE, in file order" \
  "$(sed 's/: bad regular expression: .*//' "$WORK/ct.err")" "backscatter-filter: $badre:7: [rule broken] regex
backscatter-filter: $badre:11: [rule broken too] regex"
equal "configtest of a bad regex: nothing on stdout" "$(cat "$WORK/ct.out")" ""
"$BSF_BIN" record -c "$badre" --store "$WORK/badre-store.db" < "$MESSAGES/sent.eml" > /dev/null 2>&1
equal "record never compiles a site rule: a bad regex is no error there" "$?" 0
"$BSF_BIN" configtest -c "$WORK/no-such.ini" > /dev/null 2> "$WORK/ct.err"
equal "configtest of a missing file: exit 78" "$?" 78
contains "configtest of a missing file: names it" "$(cat "$WORK/ct.err")" "$WORK/no-such.ini"
"$BSF_BIN" configtest -c "$RULES" extra > /dev/null 2>&1
equal "configtest with an operand: usage error 64" "$?" 64

# A Redis store's password is never printed (it may only come from the
# owner-checked rule file: --store refuses one).
printf '[store]\npath = redis://bsf:s3cret-pw@127.0.0.1:6379/2\n[log]\nsyslog = no\n' > "$WORK/redis-rules.ini"
chmod 600 "$WORK/redis-rules.ini"
ct=$("$BSF_BIN" configtest -c "$WORK/redis-rules.ini" 2>&1)
case $ct in
  *s3cret-pw*) not_ok "configtest hides a Redis password" "$ct" ;;
  *"store: redis://"*) ok "configtest hides a Redis password" ;;
  *) not_ok "configtest hides a Redis password (store line)" "$ct" ;;
esac

printf '[store]\npath = redis://127.0.0.1:6379/3\npassword = "hunter2-pw"\n' > "$WORK/redis.ini"
chmod 600 "$WORK/redis.ini"
ct=$("$BSF_BIN" configtest -c "$WORK/redis.ini" 2>&1)
case $ct in
  *hunter2-pw*) not_ok "configtest hides the rule file's Redis password" "$ct" ;;
  *"password=(set)"*) ok "configtest hides the rule file's Redis password, says one is set" ;;
  *) not_ok "configtest says a Redis password is set" "$ct" ;;
esac

# --- --quiet: import and expire print errors only
mbox=$WORK/sent.mbox
printf 'From user@example.org Mon Nov 30 00:00:00 2026\nFrom: user@example.org\nTo: a@example.net\nMessage-ID: <quiet.1@example.org>\nDate: %s\nSubject: x\n\nbody\n' \
  "$(date -R)" > "$mbox"
out=$("$BSF_BIN" import -c "$RULES" --quiet "$mbox" 2>&1)
equal "import --quiet: exit 0" "$?" 0
equal "import --quiet: prints nothing" "$out" ""
contains "import --quiet: still imported" "$("$BSF_BIN" dump -c "$RULES")" "msgid quiet.1@example.org"
contains "import without --quiet reports" "$("$BSF_BIN" import -c "$RULES" "$mbox" 2>&1)" "1 messages"
out=$("$BSF_BIN" expire -c "$RULES" --quiet 2>&1)
equal "expire --quiet: exit 0" "$?" 0
equal "expire --quiet: prints nothing" "$out" ""
contains "expire without --quiet reports" "$("$BSF_BIN" expire -c "$RULES" 2>&1)" "removed 0 entries"
out=$("$BSF_BIN" import -c "$RULES" --quiet "$WORK/no-such-mailbox" 2>&1)
equal "import --quiet of a missing mailbox: exit 1" "$?" 1
contains "import --quiet still prints the error" "$out" "no-such-mailbox"
"$BSF_BIN" stats -c "$RULES" --quiet > /dev/null 2>&1
equal "--quiet with stats: usage error 64" "$?" 64

# --- dump into a closed pipe: quiet, exit 0
i=0
while [ $i -lt 3000 ]; do
  printf 'From u@example.org Mon Nov 30 00:00:00 2026\nFrom: user@example.org\nTo: r%d@example.net\nMessage-ID: <bulk.%d@example.org>\n\nx\n\n' $i $i
  i=$((i + 1))
done > "$WORK/bulk.mbox"
"$BSF_BIN" import -c "$RULES" "$WORK/bulk.mbox" > /dev/null
equal "a store of 3000 messages" "$("$BSF_BIN" dump -c "$RULES" | grep -c 'msgid bulk\.')" 3000
{ "$BSF_BIN" dump -c "$RULES" 2> "$WORK/dump.err"; echo $? > "$WORK/dump.status"; } | head -1 > /dev/null
equal "dump | head: exit 0" "$(cat "$WORK/dump.status")" 0
equal "dump | head: no write error" "$(cat "$WORK/dump.err")" ""

# --- a mistyped command or option
# From a delivery agent (stdin not a terminal): check delivers and logs it.
cp "$RULES" "$XDG_CONFIG_HOME/backscatter-filter/rules.ini"
: > "$LOG"
"$BSF_BIN" stat < "$MESSAGES/ordinary.eml" > /dev/null 2>&1
equal "unknown command from a delivery agent: delivered (exit 0)" "$?" 0
contains "unknown command from a delivery agent: logged" "$(cat "$LOG")" "unknown command 'stat'"
: > "$LOG"
"$BSF_BIN" --no-such-option < "$MESSAGES/ordinary.eml" > /dev/null 2>&1
equal "unknown option from a delivery agent: delivered (exit 0)" "$?" 0
contains "unknown option from a delivery agent: logged" "$(cat "$LOG")" "bad option '--no-such-option'"

# At a terminal: 64 at once, stdin never read (no message judged, no log).
if command -v script > /dev/null 2>&1; then
  mkfifo "$WORK/never" && exec 9<> "$WORK/never"
  for args in "stat" "--no-such-option" "check --no-such-option" "check -c" \
              "record --passthrough --no-such-option"; do
    : > "$LOG"
    # script(1) gives the command a terminal on stdin; -e: its exit status.
    # script's own stdin is a FIFO that never ends (we hold its write end),
    # so a program that read the terminal would wait there until timeout
    # ends it (124), instead of seeing an end of file.
    out=$(SHELL=/bin/sh timeout 20 script -qec "'$BSF_BIN' $args" /dev/null < "$WORK/never" 2>&1)
    status=$?
    equal "'$args' at a terminal: usage error 64" "$status" 64
    contains "'$args' at a terminal: says what is wrong" "$out" "(see --help)"
    equal "'$args' at a terminal: nothing judged or logged" "$(cat "$LOG")" ""
  done
  exec 9>&-
else
  for args in "stat" "--no-such-option" "check --no-such-option" "check -c" \
              "record --passthrough --no-such-option"; do
    skip "'$args' at a terminal: usage error 64" "script(1) not installed (bsdutils)"
  done
fi
rm "$XDG_CONFIG_HOME/backscatter-filter/rules.ini"

finish
