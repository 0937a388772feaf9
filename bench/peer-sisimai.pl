#!/usr/bin/perl
# SPDX-License-Identifier: GPL-3.0-or-later
# peer-sisimai.pl: Sisimai on one message from stdin, as a delivery agent
# would run it once per message (bench/run.sh peers). Prints the number of
# bounce records found.
use strict; use warnings;
use Sisimai;
local $/; my $text = <STDIN>;
my $records = Sisimai->make(\$text) || [];
print scalar(@$records), "\n";
