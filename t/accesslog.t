# SPDX-License-Identifier: Apache-2.0
# The access log's fields: %{FUNCAPP_FUNCTION}n, %{FUNCAPP_INVOCATION_ID}n
# and %{FUNCAPP_WORKER_PID}n name the function, its invocation and the pid
# of the worker that answered (the pid the function itself sees); with
# FunctionAppDebugHeaders on, and only then, the response carries the
# invocation id and that pid too.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp t_debug);
use Time::HiRes qw(sleep);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(base_url poll_get t_dir);

plan tests => 10;

my $uuid = qr/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
my $log = t_dir() . '/logs/funcapp_access_log';
my $mark = "m$$";

# The access-log line of the request with query string $q (httpd writes
# it just after the response), split into its fields.
sub logged {
    my ($q) = @_;
    for (1 .. 50) {
        if (open my $fh, '<', $log) {
            my @hit = grep { /\?\Q$q\E$/ } <$fh>;
            return split ' ', $hit[0] if @hit;
        }
        sleep 0.1;
    }
    return ();
}

my $base = base_url('host');
my $debug = base_url('host_debug');
poll_get("$_/hostapi/pid", sub { $_[0]->code == 200 }, 30) for $base, $debug;

# --- the notes ------------------------------------------------------------------

my %pids;
my @bad;
for my $i (1 .. 6) {
    my $res = GET("$base/hostapi/pid?$mark-$i");
    my @f = logged("$mark-$i");
    t_debug("line: @f; body: " . $res->content);
    $pids{$f[2] // '-'} = 1;
    push @bad, "@f != " . $res->content
        unless @f == 5 && $f[0] eq 'pid' && $f[1] =~ /^$uuid$/ && $f[2] eq $res->content
            && $f[3] eq '200';
}
ok t_cmp("@bad", '', 'function name, invocation id and the pid the function saw');
ok t_cmp(scalar(keys %pids) >= 1, 1, 'pids of the workers that answered');

my @f = logged($mark . '-1');
my @g = logged($mark . '-2');
ok t_cmp(($f[1] // 'a') ne ($g[1] // 'a'), 1, 'each invocation its own id');

GET("$base/hostapi/items/7?$mark-items");
@f = logged("$mark-items");
ok t_cmp("@f[0, 3]", 'items 200', 'a route template: the function\'s name');

GET("$base/hostapi/nothing?$mark-404");
@f = logged("$mark-404");
ok t_cmp("@f[0 .. 3]", '- - - 404', 'no function: no fields');

# --- the debug headers ------------------------------------------------------------

my $res = GET("$base/hostapi/pid?$mark-plain");
ok t_cmp(join(' ', map { $res->header($_) // '-' } qw(x-ms-invocation-id X-Funcapp-Worker)),
         '- -', 'FunctionAppDebugHeaders unset: no debug header');

$res = GET("$debug/hostapi/pid?$mark-debug");
my $id = $res->header('x-ms-invocation-id') // '';
ok t_cmp($id, qr/^$uuid$/, 'FunctionAppDebugHeaders on: the invocation id');
ok t_cmp($res->header('X-Funcapp-Worker') // '', $res->content, 'and the pid that answered');
@f = logged("$mark-debug");
ok t_cmp($f[1] // '', $id, 'the same id as in the access log');

$res = GET("$debug/hostapi/nothing");
ok t_cmp($res->code . ' ' . ($res->header('x-ms-invocation-id') // '-'), '404 -',
         'no function, no invocation: no header');
