# FunctionHandler in a virtual host with no FunctionApp of its own (it
# inherits the main server's) and in an httpd with no FunctionApp at all:
# FILE relative to ServerRoot, FILE:CALLABLE, methods=, authLevel= (these
# httpds run with FunctionAppKeys off; t/keys.t checks enforcement).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET POST PUT);
use Apache::TestUtil qw(t_cmp);
use HTTP::Request ();
use JSON::PP ();
use Time::HiRes ();
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(standalone_conf standalone_start standalone_stop t_dir body_json);

plan tests => 29;

my $base = FuncappTest::base_url('model_handlers');
my $json = JSON::PP->new->canonical;

my $res = GET "$base/api/greet?name=Bo";
my $g = body_json($res);
ok t_cmp($res->code, 200, 'FunctionHandler without FunctionApp serves');
ok t_cmp($g->{text}, 'Greetings, Bo', 'callable main by default; a module beside it imports');
ok t_cmp($g->{function_name}, 'greet', 'function name: the file stem');
ok t_cmp($g->{function_directory}, qr{/apps/model_handlers$}, 'FILE relative to ServerRoot');
ok t_cmp($res->header('Content-Type') // '', 'text/plain; charset=utf-8', 'str: text/plain');
ok t_cmp(body_json(POST "$base/api/greet", content => '')->{method}, 'POST',
         'no methods=: any method');
ok t_cmp(GET("$base/api/GREET/")->code, 200, 'route case-insensitive, trailing slash');

$res = POST "$base/api/shout/hello", content => 'xyz';
ok t_cmp($res->code, 200, 'FILE:CALLABLE with methods=POST');
ok t_cmp($json->encode(body_json($res)), '{"body":"xyz","function_name":"tools","shout":"HELLO"}',
         'the named callable, route params, body; name is the stem');
ok t_cmp($res->header('Content-Type') // '', 'application/json', 'its HttpResponse mimetype');
$res = GET "$base/api/shout/hello";
ok t_cmp($res->code . ' ' . ($res->header('Allow') // ''), '405 POST', 'GET: 405, Allow: POST');
ok t_cmp(POST("$base/api/shout/h3llo", content => '')->code, 404, '{word:alpha} applies');

$res = GET "$base/api/info/a/b/c";
ok t_cmp($json->encode(body_json($res)), '{"method":"GET","route_params":{"rest":"a/b/c"}}',
         'second callable of the same file, catch-all (authLevel=admin, keys off)');
ok t_cmp(body_json(PUT "$base/api/info/x", content => '')->{method}, 'PUT', 'methods=GET,PUT');
$res = Apache::TestRequest::user_agent()->request(HTTP::Request->new(DELETE => "$base/api/info/x"));
ok t_cmp($res->code . ' ' . ($res->header('Allow') // ''), '405 GET, PUT', 'DELETE: 405');

ok t_cmp(GET("$base/api/tools")->code, 404, 'no route from the file name when ROUTE is given');
ok t_cmp(GET("$base/api/main")->code, 404, 'an unregistered callable is not served');
ok t_cmp(GET("$base/api/hello")->content, 'Hello, world!',
         "the vhost inherits the main server's FunctionApp beside its handlers");
ok t_cmp(GET('/api/greet')->code, 404, "the main server does not get the vhost's handlers");

# --- an httpd with no FunctionApp anywhere -----------------------------------------

# (keys off: both handlers are function-level and called without a key)
my $s = standalone_conf(config => <<'CONF');
FunctionAppKeys off
FunctionHandler greet ../apps/model_handlers/greet.py
FunctionHandler tools/{word:alpha} ../apps/model_handlers/tools.py:shout methods=POST authLevel=function
CONF
ok standalone_start($s);
my $alone = $s->{base};
for (1 .. 50) {   # the worker imports the handlers at start-up
    last if GET("$alone/api/greet")->code != 503;
    Time::HiRes::sleep(0.1);
}
$res = GET "$alone/api/greet?name=Solo";
$g = body_json($res);
ok t_cmp($res->code, 200, 'no FunctionApp anywhere: the handler serves');
ok t_cmp($g->{text}, 'Greetings, Solo', 'FILE relative to ServerRoot, callable main');
ok t_cmp($g->{function_name}, 'greet', 'named after the file stem');
ok t_cmp($g->{function_directory}, qr{/apps/model_handlers$}, 'its directory');
$res = POST "$alone/api/tools/abc", content => 'q';
ok t_cmp($json->encode(body_json($res)), '{"body":"q","function_name":"tools","shout":"ABC"}',
         'FILE:CALLABLE, route template');
ok t_cmp(GET("$alone/api/tools/abc")->code, 405, 'methods=POST');
ok t_cmp(GET("$alone/api/hello")->code, 404, 'nothing else is served');
ok t_cmp(GET("$alone/elsewhere")->code, 404, 'outside the route prefix: 404');
ok standalone_stop($s);
