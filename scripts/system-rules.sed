# SPDX-License-Identifier: GPL-3.0-or-later
# system-rules.sed: the shipped example rule file -> the system rule file
# (installed as SYSCONFDIR/backscatter-filter/rules.ini, the Debian
# conffile): the same text with every section and key commented out, so
# the file is inert until the admin edits it. Blank lines and comments
# stay as they are.
1i\
# @sysconfdir@/backscatter-filter/rules.ini: the system rule file of\
# backscatter-filter, used by every user without a rule file of their own\
# (~/.config/backscatter-filter/rules.ini replaces this file, it is not\
# merged with it) and by delivery agents that run the program with -c.\
# Every section and key below is commented out, so the built-in defaults\
# apply: uncomment and edit, then check with\
#   backscatter-filter configtest -c @sysconfdir@/backscatter-filter/rules.ini\
# The full description: backscatter-filter.rules(5).\
#
/^[[:space:]]*$/b
/^[[:space:]]*[#;]/b
s/^/;/
