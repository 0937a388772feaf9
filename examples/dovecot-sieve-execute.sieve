# dovecot-sieve-execute.sieve: Pigeonhole Sieve script that asks
# backscatter-filter for its verdict with `execute :pipe :output`
# (vnd.dovecot.execute) and acts on the one-line answer
# "VERDICT ACTION" (e.g. "backscatter file"), leaving the message unchanged.
#
# Needs the sieve_extprograms plugin (see dovecot-backscatter.conf) and the
# program reachable in sieve_execute_bin_dir, e.g.
#   ln -s /usr/bin/backscatter-filter /usr/lib/dovecot/sieve-execute/
#
# Pigeonhole's `execute` is true only when the program exits 0, and a
# non-zero exit discards its output. So the test below reads the output
# whatever the test result was, and an empty answer (program missing or
# failing) means deliver: nothing is lost.
require ["vnd.dovecot.execute", "variables", "fileinto", "mailbox"];

set "bsf" "";
if execute :pipe :output "bsf" "backscatter-filter" ["check", "--verdict"] {
  # exit 0 (deliver)
}
if string :matches "${bsf}" "* file*" {
  fileinto :create "Backscatter";
  stop;
}
# To throw away what the rule file says to drop:
#if string :matches "${bsf}" "* drop*" {
#  discard;
#  stop;
#}
