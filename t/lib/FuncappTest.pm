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
