# The v1 programming model (one folder per function with function.json)
# through httpd, with host.json's routePrefix.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET POST PUT);
use Apache::TestUtil qw(t_cmp);
use JSON::PP ();
use Time::HiRes ();
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(answer body_json log_since log_size);

plan tests => 35;

my $base = FuncappTest::base_url('model_v1');
my $json = JSON::PP->new->canonical;

# --- default route, methods, context ---------------------------------------------

my $res = GET "$base/v1api/v1_default?name=Zed";
my $d = body_json($res);
ok t_cmp($res->code, 200, 'no route in function.json: the folder name is the route');
ok t_cmp($d->{function_name}, 'v1_default', 'context.function_name is the folder name');
ok t_cmp($d->{function_directory}, qr{/apps/model_v1/v1_default$},
         'context.function_directory is the function folder');
ok t_cmp($d->{method} . ' ' . $d->{name}, 'GET Zed', 'request reaches main(req)');
ok t_cmp(GET("$base/v1api/V1_DEFAULT")->code, 200, 'default route matches case-insensitively');
$res = POST "$base/v1api/v1_default", content => '';
ok t_cmp($res->code . ' ' . ($res->header('Allow') // ''), '405 GET',
         'methods ["get"]: POST is 405 with Allow: GET');
ok t_cmp(GET("$base/api/v1_default")->code, 404, 'host.json routePrefix v1api replaces api');

# --- route with constraint and optional part; authLevel parsed --------------------

$res = GET "$base/v1api/orders/17";
ok t_cmp($res->code, 200, 'route from function.json (authLevel function: not enforced yet)');
ok t_cmp($json->encode(body_json($res)), '{"body":"","method":"GET","route_params":{"id":"17"}}',
         'trigger named "request", route params');
ok t_cmp($json->encode(body_json(POST "$base/v1api/orders/17/lines", content => 'pay')),
         '{"body":"pay","method":"POST","route_params":{"id":"17","part":"lines"}}',
         'POST with the optional part and a body');
$res = PUT "$base/v1api/orders/17", content => '';
ok t_cmp($res->code . ' ' . ($res->header('Allow') // ''), '405 GET, POST',
         'PUT: 405, Allow: GET, POST');
ok t_cmp(GET("$base/v1api/orders/x")->code, 404, '{id:int} refuses x');
ok t_cmp(GET("$base/v1api/v1_routed")->code, 404, 'a route replaces the folder-name route');

# --- named output binding (func.Out) -------------------------------------------------

$res = GET "$base/v1api/named";
ok t_cmp(answer($res), '202 set through func.Out', 'named http output set with func.Out');
ok t_cmp($res->header('X-Out') // '', 'named', 'with its headers');
ok t_cmp(GET("$base/v1api/named?unset=1")->code, 204, 'Out left unset: 204');

# --- scriptFile, entryPoint, relative imports -----------------------------------------

ok t_cmp(answer(GET "$base/v1api/script/hey"), '200 helper greets hey; HEY!',
         'scriptFile + entryPoint; from .helper and from ..shared_code imports');
ok t_cmp(GET("$base/v1api/v1_script")->code, 404, 'its custom route replaces the default');

# --- None, no output binding ------------------------------------------------------

$res = GET "$base/v1api/v1_none";
ok t_cmp($res->code . ' [' . $res->content . ']', '500 []',
         'None with $return: 500, as the Azure worker (its http converter takes no None)');
ok t_cmp(GET("$base/v1api/v1_none/")->code, 500, 'trailing slash');
ok t_cmp(POST("$base/v1api/v1_noout", content => 'x')->code, 204,
         'no http output binding: 204');
ok t_cmp(GET("$base/v1api/v1_noout")->code, 405, 'its methods ["post"] apply');

# --- a non-HTTP trigger has no URL -------------------------------------------

ok t_cmp(GET("$base/v1api/v1_timer")->code, 404, 'timerTrigger folder: not served');
ok t_cmp(join('|', grep { /^v1_timer:/ } @{ (FuncappTest::function_list(qr{\S*/apps/model_v1:}))[1] }),
         qr/^v1_timer: timerTrigger \([^)]+\)$/, 'a timer runs here: listed with its schedule, not as not served');
ok t_cmp(GET("$base/v1api/shared_code")->code, 404, 'a folder without function.json: nothing');

# --- one function fails to import; the others serve ---------------------------------

my $file = qr{\S+/apps/model_v1/v1_broken/__init__\.py};
my $why = qr{ModuleNotFoundError: No module named 'model_v1_no_such_module'};
for my $try (1 .. 2) {
    my $from = log_size();
    $res = GET "$base/v1api/v1_broken";
    ok t_cmp($res->code, 500, "broken function (try $try): 500");
    ok t_cmp($res->content, qr/^(?!.*(?:ModuleNotFound|model_v1))/s, 'no reason in the body');
    ok t_cmp(scalar(log_since($from, qr/v1_broken [-0-9a-f]{36}: .*$file: $why/)), 1,
             'one log line names the script and the exception');
}
# (a worker may be between its two lines: wait until they agree)
my (@ready, @startup);
for (1 .. 30) {
    @ready = log_since(0, qr{FA010: .* for \S+/apps/model_v1$});
    @startup = log_since(0, qr/cannot load function v1_broken: $file: $why/);
    last if @ready && @ready == @startup;
    Time::HiRes::sleep(0.1);
}
ok t_cmp(scalar(@startup), scalar(@ready), 'at start-up, one line per worker start');
ok t_cmp(GET("$base/v1api/v1_default")->code, 200, 'the other functions still serve');
ok t_cmp(answer(GET "$base/v1api/script/ok"), '200 helper greets ok; OK!', 'all of them');
ok t_cmp(GET("$base/v1api/nothing/here")->code, 404, 'unknown route: 404');
