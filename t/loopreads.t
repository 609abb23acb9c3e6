# An app with only async functions: the worker's event loop reads the
# requests itself (no thread between the socket and the task).  Many
# awaiting requests at once, a loop blocked by a function, a large body
# read in pieces by the loop, a client going away, one request after
# another on the same connections.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use Apache::TestRequest qw(GET GET_BODY POST);
use Time::HiRes qw(sleep);
use Digest::SHA qw(sha256_hex);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(fire base_url wait_for_pids log_size log_since);

plan tests => 11;

my $base = base_url('async_only');
my $ID = qr/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
my ($pid) = wait_for_pids($base, 1);
ok(defined $pid);

# 50 awaiting requests at once on 1 worker x 1 thread: one wave
{
    my @r = fire("$base/api/sleep/1", 50);
    my $ok = grep { $_->{status} == 200 } @r;
    my $last = $r[-1]{seconds};
    t_debug("50 sleeps: $ok answered, the last after $last s");
    ok($ok == 50);
    ok($last < 2.5);
}

# a function that blocks the loop delays the others, which are all read
# and answered once it returns
{
    my $kid = fork // die "fork: $!";
    if (!$kid) {
        fire("$base/api/block/1.5", 1);
        exit 0;
    }
    sleep 0.3;
    my @r = fire("$base/api/sleep/0", 10);
    waitpid($kid, 0);
    my $ok = grep { $_->{status} == 200 } @r;
    t_debug("behind a blocked loop: $ok of 10 answered, the first after "
            . "$r[0]{seconds} s, the last after $r[-1]{seconds} s");
    ok($ok == 10 && $r[0]{seconds} > 0.5 && $r[-1]{seconds} < 5);
}

# a body larger than one read, read by the loop as it comes
{
    my $body = join '', map { chr(65 + $_ % 26) } 0 .. 8 * 1024 * 1024 - 1;
    my $res = POST("$base/api/echo", content => $body);
    t_debug('echo: ' . $res->code . ' ' . $res->content);
    ok($res->code == 200);
    ok($res->content eq length($body) . ' ' . sha256_hex($body));
}

# the client goes away: the task is cancelled, nothing is left on the loop
{
    my $from = log_size();
    my ($r) = fire("$base/api/cancellable", 1, '--timeout', '0.5');
    ok($r->{status} == 0);
    my @seen = log_since($from, qr/cancellable ($ID): saw CancelledError in \1/);
    t_debug("cancelled: @seen");
    ok(@seen == 1);
    ok(log_since($from, qr/FA063: $ID: the client went away; function cancellable/) == 1);
    ok(GET_BODY("$base/api/tasks") eq '1');
}

# many short requests in a row on the same connections, all answered by
# the one worker
{
    my $ok = 0;
    for (1 .. 4) {
        $ok += grep { $_->{status} == 200 && $_->{body} eq $pid }
               fire("$base/api/sleep/0", 50);
    }
    t_debug("short requests: $ok of 200");
    ok($ok == 200);
}
