# The start-up burst under each MPM (event, worker, prefork), in an httpd
# of its own: 10 workers x 1 thread, and 10 parallel 1 s requests fired as
# soon as the first worker answers, while the others still import the app.
# They finish in one wave: none waits behind a busy worker while another
# is about to be ready, so each worker takes exactly one.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use LWP::UserAgent ();
use Time::HiRes ();
use Time::Local ();
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(standalone_conf standalone_start standalone_stop fire
                   t_dir);

my @mpms = qw(event worker prefork);
plan tests => 5 * @mpms;

my $app = t_dir() . '/apps/burst';

sub log_text {
    my ($s) = @_;
    open my $fh, '<', $s->{log} or return '';
    local $/;
    return <$fh>;
}

# Epoch time of the last "FA010: ... ready" line of $log (the last worker
# to finish importing), from httpd's microsecond timestamps.
sub last_ready {
    my ($log) = @_;
    my %mon = (Jan => 0, Feb => 1, Mar => 2, Apr => 3, May => 4, Jun => 5,
               Jul => 6, Aug => 7, Sep => 8, Oct => 9, Nov => 10, Dec => 11);
    my $last = 0;
    open my $fh, '<', $log or return 0;
    while (my $line = <$fh>) {
        next unless $line =~ /FA010: /;
        next unless $line =~ /^\[\w+ (\w+) +(\d+) (\d+):(\d+):(\d+)(\.\d+)? (\d+)\]/;
        my $t = Time::Local::timelocal($5, $4, $3, $2, $mon{$1}, $7) + ($6 // 0);
        $last = $t if $t > $last;
    }
    return $last;
}

for my $mpm (@mpms) {
    # prefork: one request a process, so httpd needs 10 ready at once
    my $extra = $mpm eq 'prefork'
        ? "StartServers 12\nMinSpareServers 12\nMaxSpareServers 24\n"
        : '';
    my $s = standalone_conf(mpm => $mpm, config => "FunctionApp $app\n"
        . "FunctionsWorkerProcessCount 10\nPythonThreadpoolThreadCount 1\n"
        . $extra);
    ok(standalone_start($s));

    # As soon as the first worker is ready (its FA010 line), one request
    # to it, and the burst right after its answer.
    for (1 .. 3000) {
        last if log_text($s) =~ /FA010: /;
        Time::HiRes::sleep(0.02);
    }
    my $ua = LWP::UserAgent->new(timeout => 60);
    my $first = $ua->get("$s->{base}/api/pid");
    my $fired = Time::HiRes::time();
    my @r = fire("$s->{base}/api/sleep/1", 10);
    my @t = map { $_->{seconds} } @r;
    my %n;
    $n{$_->{body}}++ for @r;
    # the workers still starting when the burst came delay it that much
    my $startup = last_ready($s->{log}) - $fired;
    $startup = 0 if $startup < 0;
    t_debug(sprintf "$mpm burst: @t; per worker: %s; start-up after the "
            . "first answer %.2f s", join(' ', values %n), $startup);
    ok($first->code == 200
       && (grep { $_->{status} == 200 } @r) == 10);
    ok(keys %n == 10 && !grep { $_ != 1 } values %n);
    ok($t[-1] < 1.9 + $startup);
    ok(standalone_stop($s));
}
