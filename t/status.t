# The status page (SetHandler funcapp-status): HTML, ?json and ?metrics
# show every worker (the pids that answer requests) and every function,
# the counters move with requests (a 404 is no function's, a raising
# function counts a 5xx, a timeout a 504, a throttled request a 429), the
# metrics parse as Prometheus text, and mod_status shows the app.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use Apache::TestRequest qw(GET);
use JSON::PP ();
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(fire base_url wait_for_pids);

plan tests => 34;

my $base = base_url('status');
my $page = "$base/funcapp-status";

my @pids = wait_for_pids($base, 2);
ok(@pids == 2);

sub snapshot {
    my $res = GET("$page?json");
    die 'status ' . $res->code unless $res->code == 200;
    my $doc = JSON::PP::decode_json($res->content);
    my ($app) = grep { $_->{app} =~ m{/apps/status$} } @{ $doc->{apps} };
    return $app;
}

sub fn {
    my ($app, $name) = @_;
    my ($f) = grep { $_->{name} eq $name } @{ $app->{functions} };
    return $f;
}

# ---- JSON: its schema, every worker and function -------------------------
my $res = GET("$page?json");
ok($res->code == 200 && $res->header('Content-Type') =~ m{application/json});
my $doc = JSON::PP::decode_json($res->content);
# the page of the status vhost shows its own app only
ok(@{ $doc->{apps} } == 1 && $doc->{time} > 0);
my $app = snapshot();
ok($app && $app->{generation} >= 1);
my @w = @{ $app->{workers} };
ok(join(',', sort map { $_->{pid} } @w) eq join(',', sort @pids));
ok(!grep { $_->{state} ne 'ready' } @w);
my @wkeys = qw(slot pid generation state started uptime_seconds rss_bytes
               threads_busy threads_total queued async_tasks requests_served
               restarts last_exit);
ok(!grep { my $x = $_; grep { !exists $x->{$_} } @wkeys } @w);
ok(!grep { $_->{threads_total} != 2 || $_->{rss_bytes} < 1e6
           || $_->{uptime_seconds} <= 0 } @w);
my @names = sort map { $_->{name} } @{ $app->{functions} };
t_debug("functions: @names");
ok("@names" eq 'asleep fail pid sleep');
my $f = fn($app, 'pid');
ok(ref $f->{errors} eq 'HASH' && exists $f->{errors}{504}
   && exists $f->{latency_seconds}{p99} && exists $f->{in_flight}
   && @{ $f->{latency_seconds}{buckets} } == 16);

# ---- counters move ----------------------------------------------------------
my %before = map { $_->{name} => $_ } @{ $app->{functions} };
my $served = 0;
$served += $_->{requests_served} for @w;
my $n = 7;
my %answered;
for (1 .. $n) {
    my $r = GET("$base/api/pid");
    $answered{ $r->content }++ if $r->code == 200;
}
ok(GET("$base/api/no-such-route")->code == 404);
ok(GET("$base/api/fail")->code == 500);
ok(GET("$base/api/asleep/3")->code == 504);    # FunctionTimeout 1
my @burst = fire("$base/api/sleep/1", 5);       # maxOutstandingRequests 3
my $throttled = grep { $_->{status} == 429 } @burst;
t_debug(join ' ', map { $_->{status} } @burst);
ok($throttled >= 1);

$app = snapshot();
my %after = map { $_->{name} => $_ } @{ $app->{functions} };
ok($after{pid}{requests} - $before{pid}{requests} == $n);
# the pids that answered are the page's workers
ok(!grep { my $p = $_; !grep { $_->{pid} == $p } @{ $app->{workers} } }
   keys %answered);
my $served_now = 0;
$served_now += $_->{requests_served} for @{ $app->{workers} };
ok($served_now - $served >= $n + 1);
ok(!grep { $_ eq 'no-such-route' } keys %after);
ok($after{fail}{errors}{'5xx'} - $before{fail}{errors}{'5xx'} == 1);
ok($after{asleep}{errors}{504} - $before{asleep}{errors}{504} == 1);
ok($after{sleep}{errors}{429} - $before{sleep}{errors}{429} == $throttled);
# the 504 took a second: its p99 says so
ok($after{asleep}{latency_seconds}{p99} >= 0.5);

# ---- HTML ---------------------------------------------------------------------
$res = GET($page);
my $html = $res->content;
ok($res->code == 200 && $res->header('Content-Type') =~ m{text/html});
ok(!grep { index($html, ">$_<") < 0 } map { $_->{pid} } @{ $app->{workers} });
ok(!grep { index($html, ">$_<") < 0 } qw(pid sleep asleep fail));
ok($html =~ /name="viewport"/ && $html =~ /http-equiv="refresh" content="5"/
   && $html !~ m{(?:src|href)="?https?:});
ok(GET("$page?refresh=17")->content =~ /content="17"/
   && GET("$page?refresh=0")->code == 400);

# ---- metrics --------------------------------------------------------------------
$res = GET("$page?metrics");
ok($res->header('Content-Type') =~ m{^text/plain; version=0\.0\.4});
my (@bad, %bucket, %count, %requests, %typed);
my $label = qr/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"/;
for my $line (split /\n/, $res->content) {
    if ($line =~ /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/) {
        $typed{$2} = $3 if $1 eq 'TYPE';
        next;
    }
    if ($line !~ /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:$label,?)*)\})? (-?[0-9.e+]+|\+Inf|NaN)$/) {
        push @bad, $line;
        next;
    }
    my ($name, $labels, $value) = ($1, $2 // '', $3);
    my ($base_name) = $name =~ /^(.*?)(?:_bucket|_sum|_count)?$/;
    push @bad, "untyped: $line" unless $typed{$name} || $typed{$base_name};
    next unless $labels =~ m{app=".*/apps/status"};
    my ($fn) = $labels =~ /function="([^"]*)"/;
    if ($name eq 'funcapp_function_duration_seconds_bucket') {
        push @{ $bucket{$fn} }, $value;
    }
    $count{$fn} = $value if $name eq 'funcapp_function_duration_seconds_count';
    $requests{$fn} = $value if $name eq 'funcapp_function_requests_total';
}
t_debug("bad: $_") for @bad;
ok(!@bad && $typed{funcapp_function_duration_seconds} eq 'histogram');
ok(4 == grep {
       my @b = @{ $bucket{$_} };
       my $up = !grep { $b[$_] < $b[$_ - 1] } 1 .. $#b;
       $up && @b == 17 && $b[-1] == $count{$_}
           && $count{$_} == $requests{$_};
   } qw(pid sleep asleep fail));

# ---- a worker killed mid-request: restarted, its exit said, nothing left
# busy (a POST is not retried: it gets its 502) ----------------------------
my $child = fork // die;
if (!$child) {
    Apache::TestRequest::POST("$base/api/sleep/3", content => 'x');
    exit 0;
}
my $victim;
for (1 .. 50) {
    ($victim) = grep { $_->{threads_busy} == 1 } @{ snapshot()->{workers} };
    last if $victim;
    select(undef, undef, undef, 0.1);
}
ok($victim);
kill 'KILL', $victim->{pid} if $victim;
waitpid $child, 0;
my $again = {};
for (1 .. 100) {
    last unless $victim;
    $again = snapshot()->{workers}[ $victim->{slot} ];
    last if $again->{pid} != $victim->{pid} && $again->{state} eq 'ready';
    select(undef, undef, undef, 0.1);
}
t_debug(JSON::PP->new->canonical->encode($again));
ok($victim && $again->{pid} != $victim->{pid}
   && $again->{restarts} == $victim->{restarts} + 1
   && ($again->{last_exit} // '') eq 'status 9'
   && $again->{threads_busy} == 0 && $again->{requests_served} == 0);

# ---- mod_status ---------------------------------------------------------------
$res = GET("$base/server-status?auto");
my $auto = $res->content;
my ($i) = $auto =~ m{^FuncApp(\d+)Name: \S*/apps/status$}m;
ok(defined $i && $auto =~ /^FuncApp${i}WorkersReady: 2$/m
   && $auto =~ /^FuncApp${i}Requests: [1-9]/m);
ok(GET("$base/server-status")->content =~ m{Function apps.*apps/status}s);
