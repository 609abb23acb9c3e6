# host.json's extensions.http.maxConcurrentRequests (2 here, on 4 workers x
# 4 threads): past it requests wait, not 429, until a running function
# ends, counted across httpd children; the wait is bounded by the function
# timeout (504, FA067).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use Apache::TestRequest qw(GET);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(fire base_url wait_for_pids log_size log_since);

plan tests => 7;

sub up {
    my ($base) = @_;
    for (1 .. 100) {
        return 1 if GET("$base/api/hold/0")->code == 200;
        select(undef, undef, undef, 0.1);
    }
    return 0;
}

# 6 parallel 1 s requests, 2 at a time: three waves, all answered
{
    my $base = base_url('concurrency');
    ok(up($base));
    my @r = fire("$base/api/hold/1", 6);
    my @t = map { $_->{seconds} } @r;
    t_debug("2 at a time: @t");
    ok((grep { $_->{status} == 200 } @r) == 6);
    ok($t[1] >= 0.9 && $t[1] < 1.7);
    ok($t[2] >= 1.8 && $t[3] < 2.7);
    ok($t[4] >= 2.8 && $t[5] < 3.9);
}

# FunctionTimeout 2: two run 1.5 s, two of the three waiting follow them,
# the last gives up at the timeout, long before a place comes free
{
    my $base = base_url('concurrency_timeout');
    up($base);
    my $from = log_size();
    my @r = fire("$base/api/hold/1.5", 5, '--stagger', '0.05');
    t_debug(join ' ', map { "$_->{status}:$_->{seconds}" } @r);
    my @late = grep { $_->{status} == 504 } @r;
    ok((grep { $_->{status} == 200 } @r) == 4 && @late == 1
       && $late[0]{seconds} >= 1.9 && $late[0]{seconds} < 2.8);
    ok(log_since($from, qr/FA067: \S+: function hold waited 2 s for one of the 2 running \(maxConcurrentRequests\) to end; answering 504/) == 1);
}
