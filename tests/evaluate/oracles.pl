#!/usr/bin/perl
# SPDX-License-Identifier: GPL-3.0-or-later
# oracles.pl: what two independent bounce parsers say about each message
# file, for tests/evaluate/evaluate.sh and tests/e2e/corpus.sh to compare
# backscatter-filter against. The parsers are oracles only, never dependencies
# of the program: Sisimai (Debian libsisimai-perl, 4.x API: Sisimai->make
# returns Sisimai::Data records whose `messageid` is the original's
# Message-ID) and Mail::DeliveryStatus::BounceParser (Debian
# libmail-deliverystatus-bounceparser-perl: ->new($text)->is_bounce and
# ->orig_message_id).
#
# Usage: oracles.pl [--strip PREFIX] FILE...
# Prints a header line, then one TSV line per file:
#   file  sisimai_status  sisimai_ids  sisimai_reasons  bp_status  bp_is_bounce  bp_id
# status: ok (parsed), none (Sisimai: no record, i.e. not a bounce to it),
# error (the parser died or took longer than the per-file limit);
# ids/reasons: comma-separated, "-" when empty. Message-IDs are normalised:
# angle brackets stripped, domain part (after the last @) lowercased; a
# token without "@" is no plausible ID (mailid.h rejects it too) and dropped.
# Each file is read whole (at most 8 MiB) and handed to each parser as one
# message; a leading mbox "From " line is dropped so Sisimai does not split
# on body lines that start with "From "; a file with CRs and no LF
# (classic Mac OS) has its CRs made LF.
use strict;
use warnings;

my $file_limit = 8 * 1024 * 1024;
my $seconds_per_oracle = 30;

my $strip = '';
if (@ARGV >= 2 && $ARGV[0] eq '--strip') {
    shift @ARGV;
    $strip = shift @ARGV;
}

my $have_sisimai = eval { require Sisimai; 1 };
my $have_bounceparser = eval { require Mail::DeliveryStatus::BounceParser; 1 };
die "oracles.pl: neither Sisimai nor Mail::DeliveryStatus::BounceParser is installed\n"
    unless $have_sisimai || $have_bounceparser;

sub normalise_id {
    my ($id) = @_;
    return '' unless defined $id;
    $id =~ s/[\r\n]+/ /g;
    $id = $1 if $id =~ /<([^<>\s]+)>/;
    $id =~ s/^\s+|\s+$//g;
    $id =~ s/^<|>$//g;
    $id = $1 if $id =~ /^(\S+)\s/;   # junk after the ID
    return '' unless $id =~ /\@/;   # not a plausible ID (as in mailid.h)
    $id =~ s/\@([^@]*)$/'@' . lc $1/e;
    return $id;
}

# Run CODE with a time limit; returns (value, error). Warnings are dropped:
# both parsers warn freely on the broken messages this corpus holds.
sub guarded {
    my ($code) = @_;
    my @value;
    local $SIG{__WARN__} = sub { };
    local $SIG{ALRM} = sub { die "timeout\n" };
    my $ok = eval {
        alarm $seconds_per_oracle;
        @value = $code->();
        alarm 0;
        1;
    };
    alarm 0;
    return $ok ? (\@value, '') : (undef, ($@ || 'died') =~ s/\s+/ /gr);
}

sub sisimai_says {
    my ($text) = @_;
    return ('error', '-', 'not-installed') unless $have_sisimai;
    my ($value, $error) = guarded(sub { Sisimai->make(\$text) });
    return ('error', '-', '-') unless $value;
    my $records = $value->[0];
    return ('none', '-', '-') unless $records && @$records;
    my (%seen_id, @ids, %seen_reason, @reasons);
    for my $record (@$records) {
        my $id = normalise_id($record->messageid);
        push @ids, $id if length $id && !$seen_id{$id}++;
        my $reason = $record->reason // '';
        push @reasons, $reason if length $reason && !$seen_reason{$reason}++;
    }
    return ('ok', (@ids ? join(',', @ids) : '-'),
            (@reasons ? join(',', @reasons) : '-'));
}

sub bounceparser_says {
    my ($text) = @_;
    return ('error', '-', '-') unless $have_bounceparser;
    my ($value, $error) = guarded(sub {
        my $bounce = Mail::DeliveryStatus::BounceParser->new($text);
        return ($bounce->is_bounce ? 1 : 0, $bounce->orig_message_id);
    });
    return ('error', '-', '-') unless $value;
    my $id = normalise_id($value->[1]);
    return ('ok', $value->[0], length $id ? $id : '-');
}

print join("\t", qw(file sisimai_status sisimai_ids sisimai_reasons
                    bp_status bp_is_bounce bp_id)), "\n";
for my $path (@ARGV) {
    my $name = $path;
    $name = substr($name, length $strip) if length $strip
        && substr($name, 0, length $strip) eq $strip;
    my $text = '';
    if (open(my $fh, '<:raw', $path)) {
        read($fh, $text, $file_limit);
        close $fh;
    } else {
        print join("\t", $name, 'error', '-', 'unreadable', 'error', '-', '-'), "\n";
        next;
    }
    # Classic-Mac (CR-only) files: neither parser splits lines at a CR
    # alone. Normalised here for the oracles only; the program is given the
    # file as it is.
    $text =~ tr/\r/\n/ if index($text, "\n") < 0;
    $text =~ s/\AFrom [^\n]*\n//;
    print join("\t", $name, sisimai_says($text), bounceparser_says($text)), "\n";
}
