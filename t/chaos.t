# Chaos under load: a worker SIGKILLed every second, or one SIGSTOPped.
# Every GET is answered 2xx (a GET a dead or stopped worker had is sent
# again to another); a POST that reached a killed worker gets 502, and
# nothing else is lost; a stopped worker is found out by its missing
# heartbeat, killed and replaced.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use Apache::TestRequest qw(GET);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(base_url log_size log_since poll_get t_dir);
use JSON::PP ();
use Time::HiRes qw(sleep);

plan tests => 10;

my $base = base_url('chaos');

sub a_worker_pid {
    my $res = GET("$base/api/pid");
    return $res->code == 200 ? (split ' ', $res->content)[0] : undef;
}

# Runs $cmd in the background while $chaos runs; returns its output.
sub under_load {
    my ($cmd, $chaos) = @_;
    open my $out, '-|', $cmd or die "$cmd: $!";
    my @acts = $chaos->();
    local $/;
    my $text = <$out>;
    close $out;
    return ($text, @acts);
}

# Kills a worker (SIGKILL) every second, $n times; returns the pids.
sub killer {
    my ($n) = @_;
    return sub {
        my @killed;
        for (1 .. $n) {
            sleep 1;
            my $pid = a_worker_pid() or next;
            kill 'KILL', $pid and push @killed, $pid;
        }
        return @killed;
    };
}

ok(poll_get("$base/api/pid", sub { $_[0]->code == 200 })->code == 200);

# GETs while workers are killed: all 2xx.
{
    my ($wrk, @killed) = under_load(
        "wrk -t2 -c8 -d5s --timeout 10s $base/api/pid 2>&1", killer(4));
    t_debug("killed @killed; wrk: $wrk");
    my ($n) = $wrk =~ /(\d+) requests in/;
    ok(@killed >= 3);
    ok(($n // 0) > 100);
    ok($wrk !~ /Non-2xx|Socket errors/);
}

# POSTs while workers are killed: 200, or 502 for those a killed worker
# had (at most its 4 threads' worth a kill), never an error or a hang.
{
    my $load = t_dir() . '/bin/load';
    my ($json, @killed) = under_load(
        "/usr/bin/python3 $load $base/api/pid 5 4 POST", killer(4));
    t_debug("killed @killed; load: $json");
    my $r = JSON::PP::decode_json($json);
    my %st = %{ $r->{statuses} };
    ok($r->{ok} > 50);
    ok(!grep { $_ ne '200' && $_ ne '502' } keys %st);
    ok(($st{502} // 0) <= 4 * @killed);
}

# GETs while a worker is stopped: it is found out, killed and replaced;
# the GETs it had are answered by the other.
{
    my $from = log_size();
    my $stopped;
    my ($wrk) = under_load(
        "wrk -t2 -c8 -d7s --timeout 15s $base/api/pid 2>&1",
        sub { sleep 1; $stopped = a_worker_pid(); kill 'STOP', $stopped; });
    t_debug("stopped $stopped; wrk: $wrk");
    ok($wrk !~ /Non-2xx|Socket errors/ && $wrk =~ /\d+ requests in/);
    my $gone = !kill(0, $stopped);
    kill 'CONT', $stopped unless $gone;    # leave nothing stopped behind
    ok($gone);
    ok(log_since($from, qr/FA080: worker \d of .* \(pid $stopped\) has not run for over 3 s/) == 1);
}
