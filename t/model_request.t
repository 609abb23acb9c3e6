# func.HttpRequest and func.Context as a function sees them through httpd:
# method, full URL, headers, params, bodies (binary, chunked, JSON, forms)
# and the invocation's context.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET POST PUT);
use Apache::TestUtil qw(t_cmp);
use Digest::SHA qw(sha256_hex);
use HTTP::Request ();
use JSON::PP ();
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(body_json);

plan tests => 44;

my $base = FuncappTest::base_url('model_v2');
my $json = JSON::PP->new->canonical;
my $UUID = qr/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

# --- method, URL, params, headers -------------------------------------------

my $traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
my $query = 'a=1&b=two%20words&a=3&empty=&u=%C3%A9';
my $ua = Apache::TestRequest::user_agent();
my $res = $ua->request(HTTP::Request->new(GET => "$base/api/echo?$query", [
    'X-Model'     => 'Mixed Case Value',
    'X-Multi'     => 'one',
    'X-Multi'     => 'two',
    'traceparent' => $traceparent,
    'tracestate'  => 'vendor=opaque',
]));
my $e = body_json($res);
ok t_cmp($res->code, 200, 'echo answers');
ok t_cmp($e->{method}, 'GET', 'method');
ok t_cmp($e->{url}, "$base/api/echo?$query", 'url: full, query string as sent');
ok t_cmp($json->encode($e->{params}),
         qq({"a":"1,3","b":"two words","empty":"","u":"\x{e9}"}),
         'params: decoded, repeats joined with ",", blanks kept');
ok t_cmp($json->encode($e->{route_params}), '{}', 'no route params on a literal route');
ok t_cmp($e->{x_model_lower}, 'Mixed Case Value', 'headers.get in lower case');
ok t_cmp($e->{x_model_upper}, 'Mixed Case Value', 'headers.get in upper case');
ok t_cmp($e->{x_model_in} ? 'yes' : 'no', 'yes', '"X-Model" in headers');
ok t_cmp($e->{headers}{'x-model'}, 'Mixed Case Value', 'header names are lower case');
ok t_cmp($e->{headers}{'x-multi'}, 'one, two', 'a repeated header is joined with ", "');
ok t_cmp($e->{headers}{host}, qr/^localhost:\d+$/, 'Host header');
ok t_cmp($e->{body_len} . ' ' . $e->{body_type}, '0 bytes', 'GET: empty bytes body');
ok t_cmp($e->{invocation_id}, $UUID, 'context.invocation_id is a UUID');
ok t_cmp($e->{function_name}, 'echo', 'context.function_name');
ok t_cmp($e->{function_directory}, qr{/apps/model_v2$},
         'context.function_directory is the app folder');
ok t_cmp($e->{trace_parent}, $traceparent, 'trace_context.trace_parent from traceparent');
ok t_cmp($e->{trace_state}, 'vendor=opaque', 'trace_context.trace_state from tracestate');

my $e2 = body_json(GET "$base/api/echo");
ok t_cmp($e2->{invocation_id}, $UUID, 'second invocation id');
ok $e2->{invocation_id} ne $e->{invocation_id};
ok t_cmp($e2->{trace_parent}, qr/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/,
         'no traceparent sent: a fresh one');
ok t_cmp($e2->{url}, "$base/api/echo", 'url without a query');
ok t_cmp($json->encode($e2->{params}), '{}', 'no params');

my $head_e = body_json(POST "$base/api/echo", content => 'abc');
ok t_cmp($head_e->{method} . ' ' . $head_e->{body_len}, 'POST 3', 'POST method and body');

# --- binary bodies ------------------------------------------------------------

srand(20240611);
my $mib = join '', map { chr(int rand 256) } 1 .. 1024 * 1024;
$mib .= "\0\0\r\n\0";
$res = POST "$base/api/binary", content => $mib,
            'Content-Type' => 'application/octet-stream';
ok t_cmp($res->code, 200, '1 MiB of random bytes POSTed');
ok t_cmp($res->header('X-Body-Length') // '', length($mib), 'function saw every byte');
ok t_cmp($res->header('X-Body-Sha256') // '', sha256_hex($mib), 'function saw the same bytes');
ok $res->content eq $mib;   # echoed back byte for byte (NULs included)
ok t_cmp($res->header('Content-Type') // '', 'application/octet-stream',
         'application/octet-stream answer, no charset');

my $zeros = "\0" x 4096;
$res = PUT "$base/api/binary", content => $zeros;
ok t_cmp(($res->header('X-Body-Sha256') // '') . ' ' . length($res->content),
         sha256_hex($zeros) . ' 4096', 'PUT of NULs only');

$res = POST "$base/api/binary", content => '';
ok t_cmp($res->code . ' ' . ($res->header('X-Body-Length') // ''), '200 0', 'empty POST');

# Chunked: no Content-Length, the body streams in.
my @chunks = map { chr($_ % 256) x 10000 } 1 .. 30;
my $chunked_body = join '', @chunks;
$res = $ua->request(HTTP::Request->new(POST => "$base/api/binary",
    ['Content-Type' => 'application/octet-stream'],
    sub { shift @chunks // '' }));
ok t_cmp($res->header('X-Body-Sha256') // 'none', sha256_hex($chunked_body),
         'chunked request body arrives whole');

# --- JSON ---------------------------------------------------------------------

$res = POST "$base/api/json", content => '{"n": [1, 2, {"x": null}], "s": "\u00e9t\u00e9"}',
            'Content-Type' => 'application/json';
ok t_cmp($res->code, 200, 'get_json on valid JSON');
ok t_cmp($json->encode(body_json($res)), qq({"got":{"n":[1,2,{"x":null}],"s":"\x{e9}t\x{e9}"},"type":"dict"}),
         'get_json returns the parsed value');
$res = POST "$base/api/json", content => '[1, 2', 'Content-Type' => 'application/json';
ok t_cmp($res->code, 400, 'invalid JSON: the function handles the ValueError');
ok t_cmp($res->content, qr/^bad JSON: /, 'with its own message');
$res = POST "$base/api/json", content => "\xff\xfe", 'Content-Type' => 'application/json';
ok t_cmp($res->code, 400, 'non-UTF-8 body: ValueError as well');

# --- forms --------------------------------------------------------------------

$res = POST "$base/api/form",
            'Content-Type' => 'application/x-www-form-urlencoded',
            content => 'name=Ann+Lee&tag=a&tag=b&empty=&enc=%C3%A9t%C3%A9';
ok t_cmp($json->encode(body_json($res)),
         qq({"files":{},"form":{"empty":[""],"enc":["\x{e9}t\x{e9}"],"name":["Ann Lee"],"tag":["a","b"]}}),
         'urlencoded form');

my $upload = join '', map { chr(int rand 256) } 1 .. 70000;
$upload .= "\r\n--not-the-boundary\r\n\0";
$res = POST "$base/api/form", Content_Type => 'form-data', Content => [
    field  => 'plain value',
    field  => 'second',
    upload => [undef, 'data.bin', 'Content-Type' => 'application/octet-stream',
               Content => $upload],
    notes  => [undef, 'notes.txt', 'Content-Type' => 'text/plain', Content => "line 1\nline 2\n"],
];
ok t_cmp($res->code, 200, 'multipart form');
my $f = body_json($res);
ok t_cmp($json->encode($f->{form}), '{"field":["plain value","second"]}',
         'multipart: fields (repeated ones kept)');
ok t_cmp($f->{files}{upload}[0]{filename} // '', 'data.bin', 'multipart: file name');
ok t_cmp($f->{files}{upload}[0]{content_type} // '', 'application/octet-stream',
         'multipart: file content type');
ok t_cmp($f->{files}{upload}[0]{size} // '', length($upload), 'multipart: file size');
ok t_cmp($f->{files}{upload}[0]{sha256} // '', sha256_hex($upload),
         'multipart: file bytes exact');
ok t_cmp($f->{files}{notes}[0]{sha256} // '', sha256_hex("line 1\nline 2\n"),
         'multipart: second file');
