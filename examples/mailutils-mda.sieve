# mailutils-mda.sieve: ~/.sieve for GNU Mailutils mda (or putmail), which
# can branch on a program's exact exit code with `pipe :exit N`
# (require "test-pipe"). Invoke mda with the script pattern, e.g. from the
# MTA:  mda -s '~/.sieve' -f SENDER USER
#
# backscatter-filter's default exit codes: 0 deliver, 2 file, 1 drop.
# Only the code asked for triggers an action: a crash or a missing program
# gives some other code and the message is kept (implicit keep).
#
# The target folder must exist: mda 3.15 (Debian 12) crashes with a
# segmentation fault on `fileinto` into a mailbox that does not exist yet.
# Create it once:  mkdir -p ~/Maildir/.Backscatter/cur ~/Maildir/.Backscatter/new ~/Maildir/.Backscatter/tmp
require ["fileinto", "test-pipe"];

if pipe :exit 2 "/usr/bin/backscatter-filter check" {
  fileinto "maildir://~/Maildir/.Backscatter";
  stop;
}

# Drop variant: set [actions] backscatter = drop and give drop a code that
# nothing else returns ([exit] drop = 10; 1 is what any failing program
# returns), then use this instead of the test above. Each `pipe` test runs
# the program again, so keep to one test where you can.
#if pipe :exit 10 "/usr/bin/backscatter-filter check" {
#  discard;
#  stop;
#}
