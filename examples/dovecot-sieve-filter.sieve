# dovecot-sieve-filter.sieve: Pigeonhole Sieve script for Dovecot LDA/LMTP
# that runs backscatter-filter as a `filter` (vnd.dovecot.filter): the
# program's output, the message with an X-Backscatter: header added,
# replaces the message, and the script sorts on that header.
#
# Needs the sieve_extprograms plugin (see dovecot-backscatter.conf) and the
# program reachable in sieve_filter_bin_dir, e.g.
#   ln -s /usr/bin/backscatter-filter /usr/lib/dovecot/sieve-filter/
#
# With --tag the program exits 0 whenever it printed the message. If it
# fails anyway (not found, killed, timed out), `filter` fails and the
# script stops with an error: Dovecot then keeps the message in INBOX
# (implicit keep), so nothing is lost.
require ["vnd.dovecot.filter", "fileinto", "mailbox"];

# Drop any X-Backscatter header from outside first: the program puts its own
# on top and Sieve's header test looks at every field of that name.
require "editheader";
deleteheader "X-Backscatter";

filter "backscatter-filter" ["check", "--tag"];

if header :contains "X-Backscatter" "action=file" {
  fileinto :create "Backscatter";
  stop;
}
# To throw away what the rule file says to drop:
#if header :contains "X-Backscatter" "action=drop" {
#  discard;
#  stop;
#}
