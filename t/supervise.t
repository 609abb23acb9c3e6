# Supervision: a killed worker is replaced at once while the others serve;
# retries hide the kill from GETs; a request that takes down two workers
# is a 502; a worker failing at start-up is restarted with back-off.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use Apache::TestRequest qw(GET POST);
use JSON::PP ();
use Time::HiRes qw(time sleep);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(base_url wait_for_pids log_lines t_dir);

plan tests => 12;

my $base = base_url('supervise');
my @pids = wait_for_pids($base, 2);
ok(@pids == 2);

# kill -9 one worker under a steady light load of GETs
{
    my $load = t_dir() . '/bin/load';
    my $pid = open(my $out, '-|', "/usr/bin/python3 $load $base/api/pid 4 4")
        // die "cannot start load: $!";
    sleep 1.5;
    my $killed_at = time;
    kill 'KILL', $pids[0];
    my $report = JSON::PP::decode_json(join '', <$out>);
    close $out;
    t_debug("load: " . JSON::PP::encode_json($report));
    ok($report->{ok} > 50);
    ok($report->{failed} == 0);

    # the replacement logged "ready" within a second of the kill
    my @ready = grep { $_->[0] > $killed_at } log_lines(qr/FA010: .*apps\/waves/);
    t_debug("ready after kill: " . join(' ', map { $_->[0] - $killed_at } @ready));
    ok(@ready == 1 && $ready[0][0] - $killed_at < 1.0);
    my @now = wait_for_pids($base, 2);
    ok(@now == 2 && !grep { $_ == $pids[0] } @now);
    @pids = @now;
}

# Deaths of waves workers logged so far; waits up to 3 s for at least
# $want (httpd notices a dead child within about a second).
sub deaths {
    my ($want) = @_;
    my $n = 0;
    for (1 .. 30) {
        $n = () = log_lines(qr/FA011: .*apps\/waves/);
        last if !defined $want || $n >= $want;
        sleep 0.1;
    }
    return $n;
}

# a POST that kills its worker is not retried: 502, one worker lost
{
    my $deaths = deaths();
    my $res = POST "$base/api/crash", content => 'x';
    ok($res->code == 502);
    my $after = deaths($deaths + 1);
    sleep 0.5;
    $after = deaths();
    t_debug("deaths: $deaths -> $after");
    ok($after - $deaths == 1);
    @pids = wait_for_pids($base, 2);
}

# a GET that kills its worker is retried once, on another worker, which
# dies too: 502, two workers lost; then both are back
{
    my $deaths = deaths();
    my $res = GET "$base/api/crash";
    ok($res->code == 502);
    my $after = deaths($deaths + 2);
    sleep 0.5;
    $after = deaths();
    t_debug("deaths: $deaths -> $after");
    ok($after - $deaths == 2);
    ok(wait_for_pids($base, 2) == 2);
}

# start-up failure: restarted with growing delays, not in a hot loop (a
# graceful restart elsewhere in the suite starts the back-off afresh, so
# look at the gaps between deaths, not their number)
{
    my @deaths = log_lines(qr/FA011: .*apps\/crashloop/);
    my @delays = map { $_->[1] =~ /restarting in (\d+) ms/ ? $1 : () } @deaths;
    my @gaps = map { $deaths[$_][0] - $deaths[$_ - 1][0] } 1 .. $#deaths;
    t_debug("crashloop delays: @delays; gaps: @gaps");
    ok(@deaths >= 2 && !grep { $_ < 0.09 } @gaps);
    ok(@delays >= 2 && $delays[1] > $delays[0]);
}
