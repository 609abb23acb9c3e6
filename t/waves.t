# The concurrency table of DESIGN.md, sync rows, with S = 1 s:
# N requests on P workers x T threads finish in ceil(N / (P*T)) waves.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(fire base_url wait_for_pids);
use JSON::PP ();
use Time::HiRes ();

plan tests => 19;

sub waves_of {
    my @r = @_;
    return map { $_->{seconds} } @r;
}

# 1 x 1, 4 requests: one after another, last ~ 4 s.
{
    my $base = base_url('waves_1x1');
    wait_for_pids($base, 1);
    my @r = fire("$base/api/sleep/1", 4);
    my @t = waves_of(@r);
    ok((grep { $_->{status} == 200 } @r) == 4);
    t_debug("1x1: @t");
    ok($t[0] >= 0.9 && $t[0] < 1.8);
    # each finishes about a second after the previous one
    ok(!grep { $t[$_] - $t[$_ - 1] < 0.7 } 1 .. 3);
    ok($t[3] >= 3.8 && $t[3] < 6);

    # while the only thread is busy, requests queue in arrival order
    my @q = fire("$base/api/sleep/0.5", 4, '--stagger', '0.1');
    my @order = map { $_->{index} } @q;
    t_debug("1x1 completion order: @order");
    ok("@order" eq "0 1 2 3");
}

# 10 workers x 1 thread, 10 requests: one wave.
{
    my $base = base_url('waves_10x1');
    my @pids = wait_for_pids($base, 10);
    ok(@pids == 10);
    my @r = fire("$base/api/sleep/1", 10);
    my @t = waves_of(@r);
    t_debug("10x1: @t");
    ok((grep { $_->{status} == 200 } @r) == 10);
    ok($t[-1] < 1.9);
    # least-busy dispatch: each worker took exactly one
    my %by_pid = map { $_->{body} => 1 } @r;
    ok(keys %by_pid == 10);
}

# 1 worker x 32 threads, 50 requests: 32 at ~S, then 18 at ~2S.
{
    my $base = base_url('waves_1x32');
    wait_for_pids($base, 1);
    my @r = fire("$base/api/sleep/1", 50);
    my @t = waves_of(@r);
    t_debug("1x32: @t");
    ok((grep { $_->{status} == 200 } @r) == 50);
    my $first = grep { $_ < 1.6 } @t;
    my $second = grep { $_ >= 1.8 && $_ < 3.2 } @t;
    t_debug("first wave $first, second wave $second");
    ok($first == 32);
    ok($second == 18);
}

# A quick request behind blocked ones: the few threads that run requests
# while the queue moves (4) are all asleep, and the quick one gets a thread
# of its own within milliseconds, not when they wake a second later.
{
    my $base = base_url('waves_1x32');
    my $bin = Apache::Test::vars('t_dir') . '/bin/waves';
    open(my $slow, '-|', "/usr/bin/python3 $bin --json '$base/api/sleep/1' 4")
        or die "waves: $!";
    Time::HiRes::sleep(0.3);
    my @quick = fire("$base/api/sleep/0", 1);
    my $out = do { local $/; <$slow> };
    close $slow;
    my @slow = @{ JSON::PP::decode_json($out)->{results} };
    t_debug("quick behind 4 blocked: $quick[0]{seconds} s");
    ok($quick[0]{status} == 200 && $quick[0]{seconds} < 0.3);
    ok((grep { $_->{status} == 200 } @slow) == 4);
    # they did block meanwhile: the quick one really was behind them
    ok(!grep { $_->{seconds} < 0.9 } @slow);
}

# 2 workers x 32 threads, 50 requests: one wave.
{
    my $base = base_url('waves_2x32');
    my @pids = wait_for_pids($base, 2);
    ok(@pids == 2);
    my @r = fire("$base/api/sleep/1", 50);
    my @t = waves_of(@r);
    t_debug("2x32: @t");
    ok((grep { $_->{status} == 200 } @r) == 50);
    ok($t[-1] < 1.9);
    my %n;
    $n{$_->{body}}++ for @r;
    t_debug("2x32 per worker: " . join(' ', values %n));
    ok(keys %n == 2 && !grep { $_ > 32 } values %n);
}
