# Whole WSGI and ASGI apps through httpd: FastAPI behind AsgiFunctionApp,
# Flask behind WsgiFunctionApp (routePrefix ""), and both behind the
# middlewares called from v1 functions with `{*route}` routes.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET POST PUT);
use Apache::TestUtil qw(t_cmp t_debug);
use JSON::PP ();
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(answer base_url fire log_size log_since);

plan tests => 40;

my $json = JSON::PP->new->canonical->utf8;
my $json_type = 'application/json';

# The UTF-8 JSON body of a response, decoded; {} when it is not JSON.
sub data_of { eval { $json->decode($_[0]->content) } // {} }

# That body re-encoded canonically (sorted keys, compact).
sub json_of { $json->encode(data_of($_[0])) }

sub status_json { $_[0]->code . ' ' . json_of($_[0]) }

sub cookie_names {
    my ($res) = @_;
    return join ',', map { (split /=/)[0] } $res->header('Set-Cookie');
}

# --- FastAPI behind AsgiFunctionApp (routePrefix api) -------------------------

my $asgi = base_url('asgi_fastapi');

my $res = GET "$asgi/api/items/42?q=x";
ok t_cmp(status_json($res), '200 {"id":42,"q":"x"}',
         'ASGI: path parameter and query string through {*route}');
ok t_cmp($res->header('Content-Type'), $json_type, 'ASGI: the app\'s Content-Type');

$res = POST "$asgi/api/items", content => '{"name": "pen", "price": 1.5}',
            'Content-Type' => $json_type;
ok t_cmp($res->code, 201, 'ASGI: JSON body, 201 from the app');
ok t_cmp(json_of($res), '{"id":7,"name":"pen","price":1.5}', 'ASGI: the app parsed the body');
ok t_cmp($res->header('Location'), '/api/items/7', 'ASGI: response header');

$res = GET "$asgi/api/items/abc";
ok t_cmp($res->code, 422, 'ASGI: FastAPI validation answers 422');
ok t_cmp(data_of($res)->{detail}[0]{loc}[1] // '', 'item_id', 'ASGI: with its detail');

$res = POST "$asgi/api/items", content => '{"name": "pen"}', 'Content-Type' => $json_type;
ok t_cmp($res->code, 422, 'ASGI: body missing a field: 422');

ok t_cmp(GET("$asgi/api/nothing/here")->code, 404, 'ASGI: unknown path: 404 from FastAPI');
ok t_cmp(PUT("$asgi/api/items/1", content => '')->code, 405,
         'ASGI: method the app does not take: 405 from FastAPI');

$res = GET "$asgi/api/cookies";
ok t_cmp(cookie_names($res), 'a,b', 'ASGI: two Set-Cookie headers stay two');
ok t_cmp($res->header('X-Custom') // '', 'yes', 'ASGI: custom header');

$res = GET "$asgi/api/path/a%20b/caf%C3%A9?x=1&y=%20";
my $path = data_of($res);
ok t_cmp($path->{rest}, "a b/caf\x{e9}", 'ASGI: percent-decoded path parameter');
ok t_cmp($path->{path}, "/api/path/a b/caf\x{e9}", 'ASGI: scope path is the URL path, decoded');
ok t_cmp($path->{raw_path}, '/api/path/a%20b/caf%C3%A9', 'ASGI: raw_path as sent');
ok t_cmp("$path->{root_path}|$path->{query_string}|$path->{scheme}", '|x=1&y=%20|http',
         'ASGI: root_path empty, raw query string, scheme');
ok t_cmp("$path->{function} $path->{startups}", 'http_app_func 1',
         'ASGI: function http_app_func; lifespan startup ran once');

my $binary = join '', map { chr } 0 .. 255;
$res = POST "$asgi/api/echo", content => $binary, 'Content-Type' => 'application/octet-stream';
ok t_cmp($res->content eq $binary ? 'same' : 'differs', 'same', 'ASGI: binary body both ways');

my $from = log_size();
$res = GET "$asgi/api/boom";
ok t_cmp($res->code, 500, 'ASGI: app raising: 500');
ok t_cmp(scalar log_since($from, qr/http_app_func \S+: ZeroDivisionError: fastapi boom/), 1,
         'ASGI: its traceback in the error log, with the invocation');

# The app runs on the worker's event loop: 10 awaiting requests overlap on
# the one worker (1 x 1).
my @r = fire("$asgi/api/asleep?seconds=0.5", 10);
t_debug('asleep: ' . join ' ', map { $_->{seconds} } @r);
ok t_cmp(scalar(grep { $_->{status} == 200 } @r), 10, 'ASGI: 10 parallel requests answered');
ok $r[-1]{seconds} < 1.2;

# --- Flask behind WsgiFunctionApp (routePrefix "") ---------------------------

my $wsgi = base_url('wsgi_flask');

$res = GET "$wsgi/items/42?q=x&tag=a&tag=b";
ok t_cmp(status_json($res), '200 {"id":42,"q":"x","tags":["a","b"]}',
         'WSGI: path parameter and repeated query parameters');

$res = POST "$wsgi/items", content => '{"name": "pen"}', 'Content-Type' => $json_type;
ok t_cmp(status_json($res), '201 {"id":7,"name":"pen"}',
         'WSGI: JSON body, 201 from the app');
ok t_cmp($res->header('Location') // '', qr{/items/7$}, 'WSGI: response header');

ok t_cmp(GET("$wsgi/api/items/42")->code, 404,
         'WSGI: with routePrefix "" the app sees no /api: 404 from Flask');
ok t_cmp(POST("$wsgi/items/42", content => '')->code, 405, 'WSGI: 405 from Flask');

$res = GET "$wsgi/cookies";
ok t_cmp(cookie_names($res), 'a,b', 'WSGI: two Set-Cookie headers stay two');
ok t_cmp($res->header('X-Custom') // '', 'yes', 'WSGI: custom header');

$res = GET "$wsgi/environ/a%20b?x=1&y=%20";
ok t_cmp(json_of($res),
         '{"function":"http_app_func","multithread":true,"path_info":"/environ/a b",'
         . '"query_string":"x=1&y=%20","rest":"a b","scheme":"http","script_name":""}',
         'WSGI: environ from the URL');

$res = POST "$wsgi/echo", content => $binary, 'Content-Type' => 'application/octet-stream';
ok t_cmp($res->content eq $binary ? 'same' : 'differs', 'same', 'WSGI: binary body both ways');

$res = GET "$wsgi/unavailable";
ok t_cmp(answer($res) . ' ' . ($res->header('Retry-After') // ''), '503 try later 5',
         'WSGI: a 5xx of the app is passed through');

$from = log_size();
$res = GET "$wsgi/boom";
ok t_cmp($res->code, 500, 'WSGI: app raising: Flask\'s 500');
ok t_cmp(scalar log_since($from, qr/http_app_func \S+: ZeroDivisionError: flask boom/), 1,
         'WSGI: the traceback Flask logs, with the invocation');

# --- the middlewares called from v1 functions ----------------------------------

my $mw = base_url('gateway_middleware');

ok t_cmp(status_json(GET "$mw/api/asgi/items/5?q=v1"), '200 {"id":5,"q":"v1","via":"asgi"}',
         'AsgiMiddleware.handle_async from an async v1 function');
ok t_cmp(status_json(GET "$mw/api/wsgi/items/6?q=v1"), '200 {"id":6,"q":"v1","via":"wsgi"}',
         'WsgiMiddleware.handle from a sync v1 function');
ok t_cmp(status_json(PUT "$mw/api/asgi/items/7", content => '[1,2]',
                     'Content-Type' => $json_type),
         '201 {"body":[1,2],"id":7,"via":"asgi"}', 'ASGI middleware: PUT with a JSON body');
ok t_cmp(status_json(PUT "$mw/api/wsgi/items/8", content => '[3]', 'Content-Type' => $json_type),
         '201 {"body":[3],"id":8,"via":"wsgi"}', 'WSGI middleware: PUT with a JSON body');
ok t_cmp(GET("$mw/api/asgi/items/x")->code, 422, 'ASGI middleware: 422 from FastAPI');
ok t_cmp(GET("$mw/api/wsgi/nothing")->code, 404, 'WSGI middleware: 404 from Flask');
