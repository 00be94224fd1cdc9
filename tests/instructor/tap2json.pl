#!/usr/bin/env perl
# tap2json.pl FILE - parse TAP with Perl's own TAP::Parser (the parser
# behind prove) and print what it understood as JSON: the plan, parse
# errors, and every test with its number, ok, description and YAML block.
# make instructor-test uses it to check shmgrade's tap format.
use strict;
use warnings;
use TAP::Parser;
use JSON::PP;

my $file = shift or die "usage: tap2json.pl FILE\n";
open my $fh, '<', $file or die "$file: $!\n";
my $tap = do { local $/; <$fh> };
my $parser = TAP::Parser->new({ tap => $tap, version => 13 });
my @tests;
my $last;
while (my $result = $parser->next) {
    if ($result->is_test) {
        $last = { number => $result->number + 0, ok => $result->is_ok ? JSON::PP::true : JSON::PP::false,
                  description => $result->description };
        push @tests, $last;
    } elsif ($result->is_yaml) {
        $last->{yaml} = $result->data if $last;
    }
}
print JSON::PP->new->canonical->encode({
    version      => $parser->version + 0,
    planned      => ($parser->tests_planned // -1) + 0,
    parse_errors => [ $parser->parse_errors ],
    failed       => scalar($parser->failed) + 0,
    tests        => \@tests,
});
