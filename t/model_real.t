# An app that ships its own azure.functions (here a small stand-in for
# the real package, without mod_funcapp's marker) gets that package, and
# works: v2 indexing, requests, responses, headers checked by mod_funcapp.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET POST);
use Apache::TestUtil qw(t_cmp);
use HTTP::Request ();
use JSON::PP ();
use Time::HiRes ();
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(body_json log_since log_size);

plan tests => 22;

my $base = FuncappTest::base_url('model_real');
my $json = JSON::PP->new->canonical;
my $ID = qr/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

my $traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
my $res = Apache::TestRequest::user_agent()->request(
    HTTP::Request->new(GET => "$base/api/which", [traceparent => $traceparent]));
my $w = body_json($res);
ok t_cmp($res->code, 200, 'the app answers');
ok t_cmp($w->{file},
         qr{/apps/model_real/\.python_packages/lib/site-packages/azure/functions/__init__\.py$},
         'func.__file__ is the shipped package');
ok t_cmp($w->{marker} // '', 'model_real stand-in', 'its own attributes');
ok t_cmp($w->{compat} ? 'compat' : 'real', 'real', 'no _MOD_FUNCAPP_COMPAT');
ok t_cmp($w->{request_class}, 'azure.functions.HttpRequest', "the request is the package's class");
ok t_cmp($w->{context_is_package_context} ? 1 : 0, 1, "the context subclasses the package's Context");
ok t_cmp($w->{function_name}, 'which', 'context.function_name');
ok t_cmp($w->{invocation_id}, qr/^$ID$/, 'context.invocation_id');
ok t_cmp($w->{trace_parent}, $traceparent, 'context.trace_context');

$res = POST "$base/api/echo/9?q=1&q=2", content => '{"k": [true, null]}',
            'Content-Type' => 'application/json', 'X-Model' => 'Real';
ok t_cmp($res->code, 201, "the package's HttpResponse status");
ok t_cmp($res->header('X-Real') // '', 'yes', 'its headers');
ok t_cmp($res->header('Content-Type') // '', 'application/json', 'its mimetype');
ok t_cmp($json->encode(body_json($res)),
         '{"header":"Real","json":{"k":[true,null]},"method":"POST","params":{"q":"1,2"},"route_params":{"id":"9"}}',
         'request built with the real constructor: headers, params, route params, body');
$res = GET "$base/api/echo/9";
ok t_cmp($res->code . ' ' . ($res->header('Allow') // ''), '405 POST', 'methods from its decorators');
ok t_cmp(GET("$base/api/echo/x")->code, 404, 'route constraint from its decorators');

$res = GET "$base/api/str";
ok t_cmp($res->code . ' ' . $res->content, "200 plain str from the real package's app",
         'str return value');
ok t_cmp($res->header('Content-Type') // '', 'text/plain; charset=utf-8', 'as text/plain');

my $from = log_size();
$res = GET "$base/api/crlf";
ok t_cmp($res->code, 500, 'CR/LF in a header the package let through: 500');
ok t_cmp(($res->header('X-Injected') // $res->header('X-Split')) // 'absent', 'absent',
         'not written through');
ok t_cmp(scalar(log_since($from, qr/FA031: $ID: refused response header 'X-Split'/)), 1,
         'refusal logged');

$from = log_size();
ok t_cmp(GET("$base/api/raise")->code, 500, 'an exception: 500');
ok t_cmp(scalar(log_since($from, qr/boom $ID: ValueError: real-package boom/)), 1,
         'its traceback in the error log');
