# host.json's functions list, logging.logLevel and customHeaders, and CORS
# (local.settings.json Host.CORS, FunctionAppCors), as Azure's host applies
# them: what the client and the error log see.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET POST);
use Apache::TestUtil qw(t_cmp);
use HTTP::Request ();
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(log_since log_size);

plan tests => 40;

my $base = FuncappTest::base_url('httprules');
my $dir  = FuncappTest::base_url('httprules_cors');
my $KEY  = 'httprules-key';
my $ID   = qr/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

sub send_req {
    my ($method, $url, @headers) = @_;
    return Apache::TestRequest::user_agent()->request(HTTP::Request->new($method, $url, [@headers]));
}

sub preflight {
    my ($url, $origin, $method, @more) = @_;
    return send_req('OPTIONS', $url, Origin => $origin,
                    'Access-Control-Request-Method' => $method, @more);
}

# --- host.json functions -----------------------------------------------------------

my $res = GET "$base/api/get_only";
ok t_cmp($res->code . ' ' . $res->content, '200 get_only', 'a listed function runs');
ok t_cmp(GET("$base/api/unlisted")->code, 404, 'a function not in host.json "functions": 404');
ok t_cmp(GET("$base/api/verbose")->content, 'verbose', 'the list ignores case ("Verbose")');

# --- host.json customHeaders -------------------------------------------------------

ok t_cmp($res->header('X-Content-Type-Options') // '', 'nosniff', 'customHeaders on a function response');
ok t_cmp($res->header('X-Frame-Options') // '', 'DENY', 'every customHeader');
$res = GET "$base/api/unlisted";
ok t_cmp($res->header('X-Content-Type-Options') // '', 'nosniff', 'and on the 404');
$res = GET "$base/api/keyed";
ok t_cmp($res->code . ' ' . ($res->header('X-Content-Type-Options') // ''), '401 nosniff',
         'and on the 401');
$res = GET "$base/api/own_header";
ok t_cmp(join(',', $res->header('X-Frame-Options')), 'SAMEORIGIN',
         "a header the function sets wins over customHeaders (sent once)");
ok t_cmp($res->header('X-Content-Type-Options') // '', 'nosniff', 'the others still added');
ok t_cmp(GET('/api/hello')->header('X-Content-Type-Options') // 'absent', 'absent',
         'not on another app');

# --- host.json logLevel ------------------------------------------------------------

my $tag = "t$$" . int(rand 1e6);
my $from = log_size();
GET "$base/api/verbose?tag=$tag";
GET "$base/api/terse?tag=$tag";
ok t_cmp(scalar(log_since($from, qr/verbose $ID: verbose-debug $tag/)), 1,
         'Function.verbose.User Debug: its debug line is logged');
ok t_cmp(scalar(log_since($from, qr/terse $ID: terse-warning $tag/)), 1,
         'Function.terse Warning: its warning is logged');
ok t_cmp(scalar(log_since($from, qr/terse-debug $tag/)), 0, 'but not its debug line');
ok t_cmp(scalar(log_since(0, qr/function unlisted: not in host.json's functions list, not served/)) >= 1
         ? 'logged' : 'not logged', 'logged', 'the unlisted function is named at start');

# --- CORS preflight, local.settings.json Host.CORS + CORSCredentials ---------------

$res = preflight("$base/api/get_only", 'https://allowed.example', 'PUT',
                 'Access-Control-Request-Headers' => 'content-type,x-custom');
ok t_cmp($res->code, 204, 'preflight from an allowed origin: 204');
ok t_cmp($res->header('Access-Control-Allow-Origin') // '', 'https://allowed.example', 'its origin allowed');
ok t_cmp($res->header('Access-Control-Allow-Methods') // '', 'PUT',
         'the requested method, though the route allows only GET');
ok t_cmp($res->header('Access-Control-Allow-Headers') // '', 'content-type,x-custom',
         'the requested headers');
ok t_cmp($res->header('Access-Control-Allow-Credentials') // '', 'true', 'CORSCredentials true');
ok t_cmp($res->header('Vary') // '', qr/Origin/, 'Vary: Origin');
ok t_cmp($res->header('Access-Control-Max-Age') // 'absent', 'absent', 'no Max-Age, as the host');
ok t_cmp($res->content, '', 'no body');

$res = preflight("$base/api/keyed", 'http://also.example:8080', 'POST');
ok t_cmp($res->code . ' ' . ($res->header('Access-Control-Allow-Origin') // ''),
         '204 http://also.example:8080', 'a key-protected route: preflight answered without a key');

$res = preflight("$base/api/get_only", 'https://evil.example', 'PUT');
ok t_cmp($res->code, 204, 'preflight from a refused origin: 204 too');
ok t_cmp(join(',', grep { /^Access-Control-/i } $res->headers->header_field_names), '',
         'but no CORS header at all');

$res = send_req('OPTIONS', "$base/api/get_only", Origin => 'https://allowed.example');
ok t_cmp($res->code, 405, 'OPTIONS without Access-Control-Request-Method is no preflight: 405');

# --- CORS simple / actual requests ------------------------------------------------

$res = GET "$base/api/get_only", Origin => 'https://allowed.example';
ok t_cmp($res->code . ' ' . $res->content, '200 get_only', 'a request from an allowed origin runs');
ok t_cmp($res->header('Access-Control-Allow-Origin') // '', 'https://allowed.example',
         'and gets Access-Control-Allow-Origin');
ok t_cmp($res->header('Access-Control-Allow-Credentials') // '', 'true', 'and -Credentials');
ok t_cmp($res->header('Vary') // '', qr/Origin/, 'and Vary: Origin');
$res = GET "$base/api/get_only", Origin => 'https://evil.example';
ok t_cmp($res->code . ' ' . ($res->header('Access-Control-Allow-Origin') // 'none'), '200 none',
         'a refused origin: the function runs, no CORS header');
$res = GET "$base/api/own_header", Origin => 'https://allowed.example';
ok t_cmp(join(',', $res->header('Access-Control-Allow-Origin')), 'https://own.example',
         "the function's own Access-Control-Allow-Origin wins");
$res = GET "$base/api/keyed", Origin => 'https://allowed.example', 'x-functions-key' => $KEY;
ok t_cmp($res->code . ' ' . ($res->header('Access-Control-Allow-Origin') // ''),
         '200 https://allowed.example', 'with the key: runs, CORS header');

# --- FunctionAppCors --------------------------------------------------------------

$res = preflight("$dir/api/get_only", 'https://directive.example', 'DELETE');
ok t_cmp($res->code . ' ' . ($res->header('Access-Control-Allow-Origin') // ''),
         '204 https://directive.example', 'FunctionAppCors: its origin allowed');
ok t_cmp($res->header('Access-Control-Allow-Credentials') // 'absent', 'absent',
         'no credentials unless asked');
ok t_cmp($res->header('Access-Control-Allow-Methods') // '', 'DELETE', 'the requested method');
$res = preflight("$dir/api/get_only", 'https://allowed.example', 'DELETE');
ok t_cmp($res->header('Access-Control-Allow-Origin') // 'none', 'none',
         'FunctionAppCors replaces Host.CORS');
$res = GET "$dir/api/get_only", Origin => 'https://directive.example';
ok t_cmp($res->header('Access-Control-Allow-Origin') // '', 'https://directive.example',
         'actual request from the directive origin');

# --- no CORS configured ---------------------------------------------------------

$res = preflight('/api/hello', 'https://allowed.example', 'GET');
ok t_cmp($res->header('Access-Control-Allow-Origin') // 'none', 'none',
         'an app without CORS: no CORS header');
ok t_cmp($res->code == 204 ? 'answered' : 'passed on', 'passed on',
         'and its OPTIONS goes to the functions as before');
