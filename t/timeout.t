# The function timeout (FunctionTimeout 1 here): a function that runs
# longer answers 504 at the limit, with one error line naming it; an async
# function's task is cancelled; the request is never sent again; the
# worker serves again afterwards.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use Apache::TestRequest qw(GET);
use Time::HiRes qw(time sleep);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(base_url wait_for_pids log_size log_since);

plan tests => 12;

my $base = base_url('timeout');
my $ID = qr/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
wait_for_pids($base, 1);

# a quick function is not affected
ok(GET("$base/api/asleep/0")->code == 200);

# async def past the limit: 504 at about 1 s, its task cancelled
{
    my $from = log_size();
    my $t0 = time;
    my $res = GET("$base/api/cancellable");
    my $took = time - $t0;
    t_debug("async: " . $res->code . " after $took s");
    ok($res->code == 504);
    ok($took >= 0.9 && $took < 3);
    my @line = log_since($from, qr/FA065: ($ID): function cancellable timed out after 1 s .* on worker 0; answering 504/);
    ok(@line == 1);
    my @seen = log_since($from, qr/cancellable ($ID): saw CancelledError in \1/);
    t_debug("cancelled: @seen");
    my ($timed_out) = map { /FA065: ($ID)/ } @line;
    my ($cancelled) = map { /CancelledError in ($ID)/ } @seen;
    ok(@seen == 1 && defined $timed_out && defined $cancelled
       && $timed_out eq $cancelled);
    ok(GET("$base/api/asleep/0")->code == 200);
}

# def past the limit: 504 at about 1 s; not sent again; the worker serves
# again once the function returns (its response is dropped)
{
    my $from = log_size();
    my $t0 = time;
    my $res = GET("$base/api/ssleep/3");
    my $took = time - $t0;
    t_debug("sync: " . $res->code . " after $took s");
    ok($res->code == 504);
    ok($took >= 0.9 && $took < 3);
    ok(log_since($from, qr/FA065: $ID: function ssleep timed out after 1 s/) == 1);
    my $code = 0;
    my $deadline = time + 15;
    while (time < $deadline) {
        $code = GET("$base/api/asleep/0")->code;
        last if $code == 200;
        sleep 0.2;
    }
    t_debug("served again after " . (time - $t0) . " s: $code");
    ok($code == 200);
    ok(!log_since($from, qr/FA053/));
    my $after = GET("$base/api/ssleep/0");
    ok($after->code == 200);
}
