# Helpers shared by mod_funcapp's Apache::Test files.
package FuncappTest;
use strict;
use warnings FATAL => 'all';

use Apache::Test ();
use Apache::TestRequest ();
use JSON::PP ();
use Time::HiRes ();
use Exporter 'import';

our @EXPORT_OK = qw(fire base_url worker_pids wait_for_pids t_dir error_log);

sub t_dir { Apache::Test::vars('t_dir') }

sub error_log { t_dir() . '/logs/error_log' }

# http://host:port of a virtual host of extra.conf.in (or the main server).
sub base_url {
    my ($vhost) = @_;
    Apache::TestRequest::module($vhost // 'default');
    my $hp = Apache::TestRequest::hostport();
    Apache::TestRequest::module('default');
    return "http://$hp";
}

# N requests released together; returns the list of
# {status, seconds, body} sorted by completion time.
sub fire {
    my ($url, $n, @opts) = @_;
    my $bin = t_dir() . '/bin/fire';
    my $out = `/usr/bin/python3 $bin @opts '$url' $n`;
    die "fire failed: $?" if $?;
    return @{ JSON::PP::decode_json($out)->{results} };
}

# The distinct worker pids that answer /api/pid on $base, asked $n at a
# time with a short sleep so every worker gets some.
sub worker_pids {
    my ($base, $n) = @_;
    my %pids = map { $_->{body} => 1 }
               grep { $_->{status} == 200 }
               fire("$base/api/sleep/0.3", $n);
    return sort keys %pids;
}

# Waits until $want distinct workers answer (they start in parallel, but
# Python start-up takes a moment); returns them.
sub wait_for_pids {
    my ($base, $want, $timeout) = @_;
    my $deadline = Time::HiRes::time() + ($timeout // 20);
    my @pids;
    while (Time::HiRes::time() < $deadline) {
        @pids = worker_pids($base, $want);
        return @pids if @pids >= $want;
        Time::HiRes::sleep(0.2);
    }
    return @pids;
}

1;

package FuncappTest;

use Time::Local ();

# Error-log records as [epoch seconds, line] for lines matching $re.
sub log_lines {
    my ($re) = @_;
    my %mon = (Jan => 0, Feb => 1, Mar => 2, Apr => 3, May => 4, Jun => 5,
               Jul => 6, Aug => 7, Sep => 8, Oct => 9, Nov => 10, Dec => 11);
    open my $fh, '<', error_log() or return ();
    my @found;
    while (my $line = <$fh>) {
        next unless $line =~ $re;
        next unless $line =~ /^\[\w+ (\w+) +(\d+) (\d+):(\d+):(\d+)(\.\d+)? (\d+)\]/;
        my $t = Time::Local::timelocal($5, $4, $3, $2, $mon{$1}, $7)
              + ($6 // 0);
        push @found, [$t, $line];
    }
    return @found;
}

push @EXPORT_OK, 'log_lines';

1;
