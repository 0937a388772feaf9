#!/usr/bin/perl
# SPDX-License-Identifier: GPL-3.0-or-later
# peer-bounceparser.pl: Mail::DeliveryStatus::BounceParser on one message
# from stdin (bench/run.sh peers). Prints is_bounce.
use strict; use warnings;
use Mail::DeliveryStatus::BounceParser;
local $/; my $text = <STDIN>;
my $bounce = eval { Mail::DeliveryStatus::BounceParser->new($text) };
print $bounce && $bounce->is_bounce ? 1 : 0, "\n";
