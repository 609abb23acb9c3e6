# The module under each MPM (event, worker, prefork), in an httpd of its
# own: requests are served, the waves hold, the MaxRequestWorkers warning
# is given when httpd would be the bottleneck, and `stop` leaves no worker.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use Time::HiRes qw(sleep);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(standalone_conf standalone_start standalone_stop fire
                   wait_for_pids t_dir);

my @mpms = qw(event worker prefork);
plan tests => 7 * @mpms;

my $app = t_dir() . '/apps/waves';

sub log_text {
    my ($s) = @_;
    open my $fh, '<', $s->{log} or return '';
    local $/;
    return <$fh>;
}

for my $mpm (@mpms) {
    # prefork: 4 processes for 2 workers x 4 threads, so the warning is due
    my $extra = $mpm eq 'prefork'
        ? "StartServers 4\nMinSpareServers 4\nMaxRequestWorkers 4\n"
          . "FunctionsWorkerProcessCount 2\nPythonThreadpoolThreadCount 4\n"
        : '';
    my $s = standalone_conf(mpm => $mpm,
                            config => "FunctionApp $app\n$extra");
    ok(standalone_start($s));
    my @pids = wait_for_pids($s->{base}, $mpm eq 'prefork' ? 2 : 1);
    t_debug("$mpm workers: @pids");
    ok(@pids == ($mpm eq 'prefork' ? 2 : 1));

    my @r = fire("$s->{base}/api/sleep/0.5", 3);
    my @t = map { $_->{seconds} } @r;
    t_debug("$mpm waves: @t");
    ok((grep { $_->{status} == 200 } @r) == 3);
    if ($mpm eq 'prefork') {
        ok($t[-1] < 1.0);             # 8 slots: one wave
    }
    else {
        ok($t[-1] >= 1.4 && $t[1] - $t[0] >= 0.35);   # 1 x 1: one by one
    }

    my $warned = log_text($s) =~ /FA002: MaxRequestWorkers \(4\) is lower than FunctionsWorkerProcessCount x PythonThreadpoolThreadCount \(2 x 4\)/;
    ok($mpm eq 'prefork' ? $warned : !$warned);

    my %all = map { $_ => 1 } log_text($s) =~ /FA010: worker \d+ \(pid (\d+)\)/g;
    ok(standalone_stop($s));
    my @left;
    for (1 .. 30) {
        @left = grep { kill 0, $_ } keys %all;
        last unless @left;
        sleep 0.1;
    }
    t_debug("$mpm workers left after stop: @left");
    ok(!@left && %all);
}
