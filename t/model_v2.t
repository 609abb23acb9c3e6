# The v2 programming model through httpd: @app.route, methods, auth_level,
# @app.function_name, default routes, Blueprints, route templates, 405 and
# HEAD; app settings (FunctionAppSetting, local.settings.json).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET POST HEAD PUT);
use HTTP::Request ();
use Apache::TestUtil qw(t_cmp);
use JSON::PP ();
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(answer body_json);

plan tests => 62;

my $base = FuncappTest::base_url('model_v2');
my $json = JSON::PP->new->canonical;

# Apache::TestRequest has no DELETE.
sub DELETE {
    my ($url) = @_;
    return Apache::TestRequest::user_agent()->request(HTTP::Request->new(DELETE => $url));
}

# --- methods, names, default routes, Blueprint ------------------------------

ok t_cmp(answer(GET "$base/api/methods"), '200 GET via get_or_post', 'GET allowed');
ok t_cmp(answer(POST "$base/api/methods", content => 'x'), '200 POST via get_or_post',
         'POST allowed');
my $res = PUT "$base/api/methods", content => 'x';
ok t_cmp($res->code, 405, 'PUT not in methods: 405');
ok t_cmp($res->header('Allow'), 'GET, POST', 'Allow lists exactly the methods');
$res = DELETE "$base/api/methods";
ok t_cmp($res->code . ' ' . ($res->header('Allow') // ''), '405 GET, POST', 'DELETE: 405, same Allow');

$res = HEAD "$base/api/methods";
ok t_cmp($res->code, 200, 'HEAD on a GET route');
ok t_cmp($res->content, '', 'HEAD answer has no body');
ok t_cmp($res->header('Content-Length') // '', length('HEAD via get_or_post'),
         'HEAD Content-Length is that of the body the function made');
ok t_cmp($res->header('Content-Type') // '', qr{^text/plain}, 'HEAD keeps Content-Type');

ok t_cmp(answer(GET "$base/api/things"), '200 things_get', 'GET function of a shared route');
ok t_cmp(answer(PUT "$base/api/things", content => ''), '200 things_put',
         'PUT function of the same route');
$res = POST "$base/api/things", content => '';
ok t_cmp($res->code . ' ' . ($res->header('Allow') // ''), '405 GET, PUT',
         'Allow merges the methods of every function on the route');

ok t_cmp(answer(GET "$base/api/secured"), '200 secured, keys off here',
         'auth_level=ADMIN answers without a key under FunctionAppKeys off');
ok t_cmp(answer(GET "$base/api/level/function"), '200 function level',
         'auth_level given as a string');

ok t_cmp(answer(GET "$base/api/renamed"), '200 function_name=Renamed',
         '@app.function_name names the function');
ok t_cmp(GET("$base/api/python_name_of_renamed")->code, 404,
         'the Python name is not a route');
ok t_cmp(answer(GET "$base/api/default_route"), '200 default route of default_route',
         'no route: the route is the function name');
ok t_cmp(answer(GET "$base/api/NamedDefault"), '200 default route of NamedDefault',
         'no route under @app.function_name: the route is the given name');
ok t_cmp(answer(GET "$base/api/nameddefault"), '200 default route of NamedDefault',
         'default route matches case-insensitively');
ok t_cmp(GET("$base/api/named_default_python")->code, 404,
         'the Python name of a renamed function is not a route');
ok t_cmp(answer(GET "$base/api/bp/hello?who=Ann"), '200 blueprint says hi to Ann',
         'Blueprint function registered with register_functions');
ok t_cmp(POST("$base/api/bp/hello", content => '')->code, 405,
         'Blueprint function keeps its methods');
ok t_cmp(answer(GET "$base/api/BpNamed"), '200 function_name=BpNamed',
         'Blueprint @function_name and default route');

# --- route templates --------------------------------------------------------

$res = GET "$base/api/items/42";
ok t_cmp($res->code, 200, '{id:int} matches 42');
ok t_cmp($json->encode(body_json($res)),
         '{"function":"item_by_id","route_params":{"id":"42"}}', 'route_params from the URL');
ok t_cmp(answer(GET "$base/api/items/abc"), qr/^404/, '{id:int} refuses abc: 404');
ok t_cmp(GET("$base/api/items/12345678901")->code, 404, '{id:int} refuses a 64-bit value');
ok t_cmp($json->encode(body_json(GET "$base/api/items/abc/detail")),
         '{"function":"item_by_name","route_params":{"name":"abc"}}',
         '{name:alpha} with a literal after it');
ok t_cmp(GET("$base/api/items/ab1/detail")->code, 404, '{name:alpha} refuses ab1');

$res = GET "$base/API/Items/7";
ok t_cmp($res->code . ' ' . $json->encode(body_json($res)->{route_params}),
         '200 {"id":"7"}', 'literals (and the prefix) match case-insensitively');
$res = GET "$base/api/items/7/";
ok t_cmp($res->code . ' ' . $json->encode(body_json($res)->{route_params}),
         '200 {"id":"7"}', 'trailing slash tolerated');
ok t_cmp(answer(GET "$base/api/methods/"), '200 GET via get_or_post',
         'trailing slash on a literal route');

ok t_cmp($json->encode(body_json(GET "$base/api/optional")), '{"route_params":{}}',
         '{name?} absent: no route param');
ok t_cmp($json->encode(body_json(GET "$base/api/optional/x1")), '{"route_params":{"name":"x1"}}',
         '{name?} present');
ok t_cmp($json->encode(body_json(GET "$base/api/defaulted")),
         '{"route_params":{"lang":"en","level":"3"}}', 'defaults fill absent segments');
ok t_cmp($json->encode(body_json(GET "$base/api/defaulted/fr/5")),
         '{"route_params":{"lang":"fr","level":"5"}}', 'given values win over defaults');
ok t_cmp(GET("$base/api/defaulted/fr/6")->code, 404, 'range(1,5) refuses 6');

ok t_cmp($json->encode(body_json(GET "$base/api/files/a/b/c.txt")),
         '{"route_params":{"path":"a/b/c.txt"}}', '{*path} takes the rest, slashes kept');
ok t_cmp($json->encode(body_json(GET "$base/api/files/dir%20name/%C3%A9.txt")),
         qq({"route_params":{"path":"dir name/\x{e9}.txt"}}), 'catch-all values are URL-decoded');
ok t_cmp($json->encode(body_json(GET "$base/api/files")), '{"route_params":{}}',
         '{*path} may be empty');

my $guid = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';
ok t_cmp($json->encode(body_json(GET "$base/api/guid/$guid/10")),
         qq({"route_params":{"id":"$guid","n":"10"}}), 'guid and min(10)');
ok t_cmp(GET("$base/api/guid/not-a-guid/10")->code, 404, 'guid refuses not-a-guid');
ok t_cmp(GET("$base/api/guid/$guid/9")->code, 404, 'min(10) refuses 9');

ok t_cmp(GET("$base/api/no/such/function")->code, 404, 'unknown route: 404');
ok t_cmp(GET("$base/api")->code, 404, 'the bare prefix is no function');
ok t_cmp(GET("$base/apix/items/1")->code, 404, 'a longer first segment is not the prefix');

# --- FunctionHandler beside the app folder -----------------------------------

$res = GET "$base/api/handled/5";
my $h = body_json($res);
ok t_cmp($res->code, 200, 'FunctionHandler FILE:CALLABLE beside FunctionApp');
ok t_cmp($h->{function_name}, 'handled', 'its name is the file stem');
ok t_cmp($json->encode($h->{route_params}), '{"id":"5"}', 'its route template applies');
ok t_cmp($h->{function_directory}, qr{/apps/model_v2/handlers$},
         'FILE is relative to the FunctionApp folder');
ok t_cmp(answer(DELETE "$base/api/handled/5"), qr/^200 .*"method": "DELETE"/,
         'methods= is case-insensitive (delete)');
$res = POST "$base/api/handled/5", content => '';
ok t_cmp($res->code . ' ' . ($res->header('Allow') // ''), '405 GET, DELETE',
         'methods= restricts, Allow lists them');
ok t_cmp(GET("$base/api/handled/x")->code, 404, 'the handler route constraint applies');
ok t_cmp(answer(GET "$base/api/handled-main"), '200 handled main',
         'default callable main; leading slash of ROUTE dropped');
ok t_cmp(answer(POST "$base/api/handled-main", content => ''), '200 handled main',
         'no methods=: every method');

# --- app settings -----------------------------------------------------------

my $env = body_json(GET "$base/api/env");
ok t_cmp($env->{MODEL_SETTING}, 'from-httpd-conf', 'FunctionAppSetting in os.environ');
ok t_cmp($env->{MODEL_LOCAL}, 'from-local-settings', 'local.settings.json Values in os.environ');
ok t_cmp($env->{MODEL_BOTH}, 'httpd-conf-wins', 'httpd.conf wins over local.settings.json');
ok t_cmp($env->{MODEL_SPACES}, 'two  words', 'a quoted setting keeps its spaces');
ok t_cmp($env->{FUNCTIONS_WORKER_RUNTIME}, 'python', 'other Values arrive too');

# The vhost model_quiet serves the same folder with its own workers and
# without the FunctionAppSetting lines of model_v2.
my $quiet = body_json(GET FuncappTest::base_url('model_quiet') . '/api/env');
ok t_cmp($quiet->{MODEL_SETTING}, undef, 'settings belong to their virtual host');
ok t_cmp($quiet->{MODEL_BOTH}, 'local-settings-loses',
         'without FunctionAppSetting, local.settings.json applies');
