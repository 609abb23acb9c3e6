# Recycling: FunctionWorkerMaxRequests and FunctionWorkerMaxMemory replace
# a worker by a successor that is ready before the old one stops, so no
# request fails or waits, POSTs included, also under load.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use Apache::TestRequest qw(GET);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(base_url log_size log_since poll_get);
use File::Temp ();

plan tests => 12;

sub pid_of { (split ' ', $_[0]->content)[0] }

# 5 requests a worker: 40 requests, one every 0.1 s, see several pids
# (each successor takes over once ready, in about half a second, but the
# first one after start-up often takes 1-1.5 s: 30 requests saw only 3
# pids in one run of 6, at this session's base as at its head), every one
# answered.
{
    my $base = base_url('recycle_n');
    my $from = log_size();
    ok(poll_get("$base/api/pid", sub { $_[0]->code == 200 })->code == 200);
    my (@codes, %pids);
    for (1 .. 40) {
        my $res = GET("$base/api/pid");
        push @codes, $res->code;
        $pids{ pid_of($res) }++ if $res->code == 200;
        select(undef, undef, undef, 0.1);
    }
    t_debug("codes @codes; pids " . join ' ', map { "$_:$pids{$_}" } sort keys %pids);
    ok(!grep { $_ != 200 } @codes);
    ok(keys %pids >= 3);
    # nobody served far past its limit (a successor needs a moment: 11-15
    # requests a pid in three runs on a loaded machine, 21 once in CI;
    # without recycling one pid would answer all 40)
    ok(!grep { $_ > 25 } values %pids);
    ok(log_since($from, qr/FA075: worker 0 \(pid \d+\) served 5 requests/) >= 2);
    ok(log_since($from, qr/FA077: worker 0 of .* asked to be replaced; its successor is pid \d+/) >= 2);
}

# Under load (wrk, GET and POST), a worker replaced about every 50
# requests: no error, no non-2xx answer.
{
    my $base = base_url('recycle_load');
    ok(poll_get("$base/api/pid", sub { $_[0]->code == 200 })->code == 200);
    my $lua = File::Temp->new(SUFFIX => '.lua');
    print $lua qq{wrk.method = "POST"\nwrk.body = "payload"\n};
    close $lua;
    my $from = log_size();
    my %out;
    for my $kind ('GET', 'POST') {
        my @script = $kind eq 'POST' ? ('-s', $lua->filename) : ();
        $out{$kind} = `wrk -t2 -c8 -d3s --timeout 10s @script $base/api/pid 2>&1`;
        t_debug("$kind: $out{$kind}");
    }
    my @recycled = log_since($from, qr/FA077: /, 10);
    t_debug(scalar(@recycled) . " successors started");
    ok(@recycled >= 10);
    for my $kind ('GET', 'POST') {
        my ($n) = $out{$kind} =~ /(\d+) requests in/;
        ok(($n // 0) > 200
           && $out{$kind} !~ /Non-2xx|Socket errors/);
    }
}

# Past 64 MB resident: a successor takes over, the grown worker goes.
{
    my $base = base_url('recycle_mem');
    my $first = poll_get("$base/api/pid", sub { $_[0]->code == 200 });
    my $from = log_size();
    my $grown = GET("$base/api/grow/100");
    t_debug("grow: " . $grown->code);
    my $res = poll_get("$base/api/pid",
                       sub { $_[0]->code == 200 && pid_of($_[0]) ne $grown->content }, 15);
    ok($res->code == 200 && pid_of($res) ne $grown->content);
    ok(log_since($from, qr/FA076: worker 0 \(pid \d+\) uses \d+ kB, past FunctionWorkerMaxMemory \(65536 kB\)/) == 1);
}
