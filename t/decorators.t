# SPDX-License-Identifier: Apache-2.0
# Every decorator of the real library imports: an app mixing HTTP routes, a
# timer, a warm-up, and queue / blob / event hub functions serves its HTTP
# routes (a generic httpTrigger too), lists the others once as not served,
# gives them no URL, and runs its warm-up in each worker before it serves.
# Apps Azure refuses to index are refused the same way (404, its message).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET POST);
use Apache::TestUtil qw(t_cmp);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(answer body_json log_since);

plan tests => 23;

my $base = FuncappTest::base_url('decor_mixed');
my $mixed = qr{/apps/mixed$};

# --- HTTP functions ------------------------------------------------------------

ok t_cmp(answer(GET "$base/api/hello/ann"), '200 hello ann', 'a route beside the rest: 200');
ok t_cmp(answer(GET "$base/api/generic/7"), '202 generic 7 GET',
         'generic_trigger(type="httpTrigger") with a generic http output: served');
ok t_cmp(answer(POST "$base/api/generic/8", content => ''), '202 generic 8 POST',
         'its methods apply');
ok t_cmp(GET("$base/api/generic/x")->code, 404, 'its route template applies');
ok t_cmp(GET("$base/api/generic")->code, 404, 'it is named by function_name, not routed by it');

# --- functions on other triggers: no URL ---------------------------------------

for my $name (qw(tick warm on_order on_blob on_event)) {
    ok t_cmp(GET("$base/api/$name")->code, 404, "$name (not HTTP): no route");
}

# --- the warm-up: in each worker, before it serves ------------------------------

my @warm = log_since(0, qr/warm \S+: mixed warm-up in pid \d+$/, 2);
my %warm_at;
for my $i (0 .. $#warm) {
    $warm_at{$1} //= $i if $warm[$i] =~ /mixed warm-up in pid (\d+)$/;
}
ok t_cmp(scalar(keys %warm_at) >= 2 ? 'each' : join(',', keys %warm_at), 'each',
         'the warm-up ran in both workers');
# A worker is ready (FA010) only once its warm-up is done.
my @order = log_since(0, qr/(?:mixed warm-up in pid \d+|FA010: worker \d+ \(pid \d+\) .*$mixed)$/,
                      4);
my (%seen_warm, @late);
for (@order) {
    $seen_warm{$1} = 1 if /mixed warm-up in pid (\d+)$/;
    push @late, $1 if /FA010: worker \d+ \(pid (\d+)\)/ && !$seen_warm{$1};
}
ok t_cmp("@late", '', 'every worker logged its warm-up before it was ready');
my ($ok, @bad) = (0);
for (1 .. 6) {
    my $state = body_json(GET "$base/api/state");
    my $warmed = $state->{warmed} // {};
    if (($warmed->{pid} // 0) == ($state->{pid} // -1) && $warmed->{at} < $state->{now}
        && $warmed->{context} eq 'WarmUpContext') {
        $ok++;
    }
    else {
        push @bad, JSON::PP->new->canonical->encode($state);
    }
}
ok t_cmp(@bad ? "$ok: @bad" : $ok, 6, 'each request finds the warm-up already run in its worker');

# --- the function list: once, not-served ones with their trigger types ---------

my ($head, $list) = FuncappTest::function_list(qr{\S*/apps/mixed:});
ok t_cmp(scalar(@$head), 1, 'one function list for the app (two workers)');
my @unserved = grep { /not served/ } @$list;
ok t_cmp(join("\n", @unserved),
         join("\n", 'on_order: queueTrigger, not served (needs Azure Storage)',
              'on_blob: blobTrigger, not served (needs Azure Storage)',
              'on_event: eventHubTrigger, not served (needs Azure Event Hubs)'),
         'it names each function not served with its trigger type and why');
ok t_cmp(join("\n", grep { /^(?:tick|warm|state|hello|generic_http):/ } @$list),
         qr/^warm: warmupTrigger .*\nstate: \[\*\] \S+\/api\/state\nhello: \[GET\] \S+\/api\/hello\/\{name\}\n(?s:.*)tick: timerTrigger \(\* \* \* \* \* \*\)$/,
         'and the HTTP, timer and warm-up functions as served');

# --- apps Azure refuses to index ---------------------------------------------------

my $bp = FuncappTest::base_url('decor_blueprint');
ok t_cmp(GET("$bp/api/orphan")->code, 404, 'only a Blueprint: its route answers 404');
ok t_cmp(scalar(log_since(0, qr{/apps/refused_blueprint/function_app\.py: worker failed to index }
                             . qr{functions: ValueError: Could not find top level function app }
                             . qr{instances in function_app\.py\.})) ? 'logged' : 'not logged',
         'logged', "with Azure's message in the log");
my $two = FuncappTest::base_url('decor_two');
ok t_cmp(GET("$two/api/first")->code . ' ' . GET("$two/api/second")->code, '404 404',
         'two FunctionApp instances: 404 for both');
ok t_cmp(scalar(log_since(0, qr{/apps/refused_two/function_app\.py: worker failed to index }
                             . qr{functions: ValueError: More than one FunctionApp or other top }
                             . qr{level function app instances are defined\.})) ? 'logged'
                                                                                 : 'not logged',
         'logged', "with Azure's message in the log");

# --- a v1 warm-up function that fails ---------------------------------------------

my $v1 = FuncappTest::base_url('decor_warmup_v1');
my $state = body_json(GET "$v1/api/state");
ok t_cmp(join(',', @{ $state->{warmed} // [] }), $state->{pid} // 'none',
         'v1 warmupTrigger: ran once in the worker before its request');
ok t_cmp(scalar(log_since(0, qr/warm \S+: RuntimeError: warm-up failed on purpose$/))
         ? 'logged' : 'not logged', 'logged', 'its exception is logged, and the worker serves');

# The v2 timer (@app.schedule, every second) runs here, once a tick
# across the app's two workers (t/timer.t has the details on v1 folders).
my @ticks = log_since(0, qr/FA085: Executing 'Functions\.tick' \(Reason='Timer fired at ([^']+)'/, 2);
my %fired;
$fired{$_}++ for map { /Timer fired at ([^']+)/ ? $1 : () } @ticks;
ok(@ticks >= 2 && !grep { $_ > 1 } values %fired);
