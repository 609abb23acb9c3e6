# SPDX-License-Identifier: Apache-2.0
# Azure's host endpoints: /admin/host/ping without a key (200 with a worker
# ready, 503 when none is: an app that dies while importing), quickly and
# never cached; /admin/host/status with the master key only, its JSON;
# 405 with Allow for other methods.  And the function list at start: the
# app's line, each function with its methods and URL, a timer with its
# schedule, one not served and why; once for two workers.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET POST PUT);
use Apache::TestUtil qw(t_cmp t_debug);
use JSON::PP ();
use Time::HiRes qw(time);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(base_url poll_get function_list log_since);

plan tests => 21;

my $base = base_url('host');
my $master = 'host-master-key';

# --- ping ----------------------------------------------------------------------

my $res = poll_get("$base/admin/host/ping", sub { $_[0]->code == 200 }, 30);
ok t_cmp($res->code, 200, 'ping, no key: 200 once a worker is ready');
ok t_cmp($res->header('Cache-Control') // '', 'no-store', 'never cached');
ok t_cmp(length($res->content), 0, 'empty body');
ok t_cmp(POST("$base/admin/host/ping", content => '')->code, 200, 'POST too, as on Azure');
my $put = PUT("$base/admin/host/ping", content => '');
ok t_cmp($put->code . ' ' . ($put->header('Allow') // ''), '405 GET, HEAD, POST',
         'other methods: 405 with Allow');

# fast: answered from shared memory, however busy the workers are
my $t0 = time;
GET("$base/admin/host/ping") for 1 .. 20;
my $each = (time - $t0) / 20;
t_debug(sprintf 'ping: %.2f ms each', $each * 1000);
ok $each < 0.05;

# an app whose workers die while importing never has one ready
my $crash = base_url('crashloop');
my @codes = map { GET("$crash/admin/host/ping")->code } 1 .. 3;
ok t_cmp("@codes", '503 503 503', 'ping: 503 when no worker is ready');
ok t_cmp(GET("$base/admin/host/ping", 'x-functions-key' => 'wrong')->code, 200,
         'a wrong key changes nothing: ping takes none');

# --- status ---------------------------------------------------------------------

ok t_cmp(GET("$base/admin/host/status")->code, 401, 'status without a key: 401');
$res = GET("$base/admin/host/status", 'x-functions-key' => $master);
ok t_cmp($res->code, 200, 'status with the master key: 200');
ok t_cmp($res->header('Content-Type') // '', qr{^application/json}, 'JSON');
my $st = eval { JSON::PP::decode_json($res->content) } // {};
t_debug('status: ' . $res->content);
ok t_cmp(join(' ', map { $_ // '-' } @$st{qw(state version)}),
         qr/^Running \d+\.\d+\.\d+$/, 'state Running, a version');
ok t_cmp(join(' ', map { $st->{workers}{$_} // '-' } qw(configured ready starting down)),
         '2 2 0 0', 'workers: 2 configured, 2 ready');
ok t_cmp(($st->{threadsPerWorker} // 0) . ' ' . (($st->{processUptime} // -1) > 0 ? 'up' : 'no')
         . ' ' . ($st->{versionDetails} // ''), qr{^2 up mod_funcapp/\S+ Apache/\S+.* Python/3},
         'threads per worker, uptime in ms, version details');
$res = POST("$base/admin/host/status", 'x-functions-key' => $master, content => '');
ok t_cmp($res->code . ' ' . ($res->header('Allow') // ''), '405 GET, HEAD',
         'status: other methods 405 with Allow');
$res = GET("$crash/admin/host/status");
ok t_cmp($res->code, 401, 'crashloop (no keys): status is still the master key\'s');

# --- the function list at start -------------------------------------------------

my ($head, $list) = function_list(qr{\S*/apps/host: 5 functions, 2 workers x 2 threads$});
my $port = ($base =~ /:(\d+)$/)[0];
# once a generation (the suite may have restarted httpd gracefully): as
# many lists for the 2 x 2 app as for the 1 x 1 one of host_debug
my @heads = log_since(0, qr/FA095: function app \S*\/apps\/host: /, 0);
my $two = grep { /2 workers x 2 threads$/ } @heads;
my $one = grep { /1 worker x 1 thread$/ } @heads;
ok t_cmp("$two", "$one", 'one FA095 line a generation for the 2 x 2 app (not one a worker)');
t_debug("list: $_") for @$list;
ok t_cmp(join("\n", @$list[0 .. 2]),
         join("\n", "pid: [GET] http://localhost:$port/hostapi/pid",
              "items: [GET,POST] http://localhost:$port/hostapi/items/{id:int?}",
              "secret: [*] http://localhost:$port/hostapi/secret"),
         'HTTP functions: methods and full URL, under the routePrefix');
ok t_cmp($list->[3] // '', 'nightly: timerTrigger (0 0 3 * * *)', 'a timer, its schedule');
ok t_cmp($list->[4] // '', 'onblob: blobTrigger, not served (needs Azure Storage)',
         'a function not served, and why');
ok t_cmp(scalar(log_since(0, qr/FA081: /, 0)), 0, 'said once: no separate not-served line');
