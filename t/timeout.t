# The function timeout (FunctionTimeout 1 here): a function that runs
# longer answers 504 at the limit, with one error line naming it; an async
# function's task is cancelled; a def function gets a FunctionTimeoutError
# in its thread, and its worker is retired and replaced when the thread is
# blocked in C; the request is never sent again; the worker serves again
# afterwards.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use Apache::TestRequest qw(GET);
use Time::HiRes qw(time sleep);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(base_url log_size log_since poll_get);

plan tests => 27;

my $base = base_url('timeout');
my $ID = qr/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
poll_get("$base/api/asleep/0", sub { $_[0]->code == 200 });

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
# again once the function returns, within the 2 s grace (its exception
# raised as the sleep ends, its response dropped)
{
    my $from = log_size();
    my $t0 = time;
    my $res = GET("$base/api/ssleep/2");
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
    ok(log_since($from, qr/FA072: function ssleep \(invocation $ID\)/) == 1);
    sleep 2.5 - (time - $t0) if time - $t0 < 2.5;
    ok(!log_since($from, qr/FA073/, 0));
}

# def in a Python loop: 504; FA072 with its stack, down to the loop's line;
# the exception unwinds the thread: the same worker's one thread answers
# the next def request at once, and it is not retired
{
    my $pid = GET("$base/api/ssleep/0")->content;
    my $from = log_size();
    my $t0 = time;
    my $res = GET("$base/api/spin");
    t_debug("spin: " . $res->code . " after " . (time - $t0) . " s");
    ok($res->code == 504);
    my @line = log_since($from, qr/FA072: function spin \(invocation $ID\) on worker 0 \(pid \d+\) still running past its 1 s timeout/);
    t_debug("FA072: @line");
    ok(@line == 1);
    ok(@line && $line[0] =~ /pid $pid\b.*innermost first: File "[^"]*function_app\.py", line \d+, in spin: (while True|pass)/);
    my $next = GET("$base/api/ssleep/0");
    my $took = time - $t0;
    t_debug("next: " . $next->code . " " . $next->content . " after $took s");
    ok($next->code == 200 && $next->content eq $pid);
    ok($took < 3);
    ok(log_since($from, qr/function raised FunctionTimeoutError/) >= 1);
    sleep 3.5 - (time - $t0) if time - $t0 < 3.5;
    ok(GET("$base/api/ssleep/0")->content eq $pid);
    ok(!log_since($from, qr/FA073/, 0));
}

# def blocked in C (time.sleep(3600)): 504; FA072, then FA073 two seconds
# later, and the worker is retired: after its one-second drain
# (FunctionWorkerGracefulTimeout 1) another pid answers
{
    my $rbase = base_url('timeout_retire');
    my $first = poll_get("$rbase/api/ssleep/0", sub { $_[0]->code == 200 });
    my $pid = $first->content;
    my $from = log_size();
    my $t0 = time;
    my $res = GET("$rbase/api/stuck");
    t_debug("stuck: " . $res->code . " after " . (time - $t0) . " s");
    ok($res->code == 504);
    my $next = poll_get("$rbase/api/ssleep/0",
                        sub { $_[0]->code == 200 && $_[0]->content ne $pid }, 20);
    my $took = time - $t0;
    t_debug("replaced: " . $next->code . " " . $next->content . " after $took s");
    ok($next->code == 200 && $next->content =~ /^\d+$/ && $next->content ne $pid);
    ok($took > 3 && $took < 10);
    ok(log_since($from, qr/FA072: function stuck \(invocation $ID\) on worker 0 \(pid $pid\).*in stuck: time\.sleep\(3600\)/) == 1);
    ok(log_since($from, qr/FA073: function stuck \(invocation $ID\) on worker 0 \(pid $pid\) has not returned 2 s after/) == 1);
}
