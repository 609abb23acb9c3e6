# What a function returns, as the client and the error log see it:
# HttpResponse (status, headers, mimetype, charset), str, None, values that
# are no response, several Set-Cookie headers, header injection, exceptions.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use Time::HiRes ();
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(log_since log_size);

plan tests => 73;

my $base = FuncappTest::base_url('model_v2');
my $ID = qr/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

# --- HttpResponse -------------------------------------------------------------

my $res = GET "$base/api/ret/full";
ok t_cmp($res->code, 201, 'status_code');
ok t_cmp($res->header('Content-Type') // '', 'text/html; charset=iso-8859-1',
         'mimetype and charset make the Content-Type');
ok t_cmp($res->content, "<p>caf\xe9</p>", 'str body encoded with the charset');
ok t_cmp($res->header('X-Model') // '', 'full', 'headers');
ok t_cmp($res->header('Content-Length') // '', 11, 'Content-Length of the encoded body');

$res = GET "$base/api/ret/status";
ok t_cmp($res->code, 418, 'any status code');
ok t_cmp($res->header('Content-Type') // '', 'application/x-tea',
         'a Content-Type header wins over mimetype');
ok t_cmp($res->header('X-Model') // '', 'tea', 'header beside Content-Type');

for my $code (299, 451, 499, 599) {
    $res = GET "$base/api/ret/code/$code";
    ok t_cmp($res->code . ' ' . $res->content, "$code status $code",
             "status $code, unknown to httpd or not, reaches the client");
}
for my $code (100, 101, 199) {
    my $from = log_size();
    $res = GET "$base/api/ret/code/$code";
    ok t_cmp($res->code, 500, "status $code (interim only) refused: 500");
    ok t_cmp(scalar(log_since($from, qr/ret_code $ID: .*invalid status_code $code/)), 1,
             'and logged');
}

$res = GET "$base/api/ret/bytes";
ok t_cmp($res->content, join('', map { chr } 0 .. 255), 'bytes body, exact');
ok t_cmp($res->header('Content-Type') // '', 'image/x-raw', 'non-text mimetype: no charset');

# --- other return values --------------------------------------------------------

$res = GET "$base/api/ret/str";
ok t_cmp($res->code, 200, 'str: 200');
ok t_cmp($res->header('Content-Type') // '', 'text/plain; charset=utf-8', 'str: text/plain');
ok t_cmp($res->content, "just a str \xe2\x9c\x93", 'str: UTF-8 body');

$res = GET "$base/api/ret/no_body";
ok t_cmp($res->code . ' [' . $res->content . ']', '200 []', 'HttpResponse() without a body: 200, empty');
ok t_cmp($res->header('Content-Type') // '', 'text/plain; charset=utf-8',
         'HttpResponse() without a body: its default mimetype');

# As the Azure worker: its http converter encodes an HttpResponse or a str,
# and fails the invocation (500) on anything else, None and bytes included.
for my $case (['none', 'NoneType'], ['raw_bytes', 'bytes'], ['dict', 'dict'],
              ['list', 'list'], ['int', 'int']) {
    my ($route, $type) = @$case;
    my $from = log_size();
    $res = GET "$base/api/ret/$route";
    ok t_cmp($res->code, 500, "$type returned: 500");
    ok t_cmp($res->content, qr/^(?!.*(?:TypedData|unsupported|returned))/s, "$type: no reason in the body");
    my @lines = log_since($from, qr/\] ret_$route $ID: unable to encode outgoing TypedData: unsupported type "http" for Python type "$type"/);
    ok t_cmp(scalar(@lines), 1, "$type: one error-log line says why, with name and invocation id");
}

# --- Set-Cookie ------------------------------------------------------------------

$res = GET "$base/api/ret/cookies";
my @cookies = $res->header('Set-Cookie');
ok t_cmp(scalar(@cookies), 3, 'three Set-Cookie headers stay three headers');
ok t_cmp(join(' | ', @cookies), 'a=1; Path=/ | b=2, c; Path=/; HttpOnly | d=4',
         'each Set-Cookie intact and in order');

my $from = log_size();
$res = GET "$base/api/ret/empty_cookie";
ok t_cmp($res->code . ' ' . $res->content, '200 empty cookie', 'an empty Set-Cookie: still 200');
ok t_cmp(join(' | ', $res->header('Set-Cookie')), 'kept=1', 'the empty Set-Cookie is not sent, the other is');
ok t_cmp(scalar(log_since($from, qr/ret_empty_cookie $ID: empty Set-Cookie header not sent: it holds no cookie/)),
         1, 'the log line says why');

# --- header injection ---------------------------------------------------------------

$from = log_size();
$res = GET "$base/api/ret/crlf";
ok t_cmp($res->code, 500, 'CR/LF in a func.HttpResponse header value: 500');
ok t_cmp($res->header('X-Injected') // 'absent', 'absent', 'nothing injected');
ok t_cmp($res->header('X-Split') // 'absent', 'absent', 'the header is not written');
ok t_cmp(scalar(log_since($from, qr/\] ret_crlf $ID: .*ValueError: Header values must not contain newline/)),
         1, 'the ValueError is logged');

for my $case (['raw_crlf', 'X-Split'], ['raw_name', 'X Bad Name'], ['raw_nul', 'X-Nul']) {
    my ($route, $name) = @$case;
    $from = log_size();
    $res = GET "$base/api/ret/$route";
    ok t_cmp($res->code, 500, "$route: a header the package let through: 500");
    ok t_cmp($res->header('X-Injected') // 'absent', 'absent', "$route: nothing injected");
    ok t_cmp(($res->header('X-Split') // $res->header('X-Nul')) // 'absent', 'absent',
             "$route: the header is not written");
    ok t_cmp(scalar(log_since($from, qr/$ID: refused response header '\Q$name\E'/)), 1,
             "$route: refusal logged with the header name");
}

# --- exceptions --------------------------------------------------------------------

my $pid = GET('/api/pid')->content;   # the main server's worker, for contrast
my $v2_pid = GET("$base/api/pid")->content;
my $tag = "tag$$" . int(rand 1e6);
$from = log_size();
$res = GET "$base/api/ret/raise?tag=$tag";
ok t_cmp($res->code, 500, 'an exception: 500');
ok t_cmp($res->content, qr/^(?!.*(?:Traceback|RuntimeError|secret-detail|$tag))/s,
         'no traceback, exception or message in the body');
my @raised = log_since($from, qr/ret_raise $ID: /, 4);
ok t_cmp(scalar(grep { /ret_raise $ID: function raised RuntimeError/ } @raised), 1,
         'error log: the function raised');
ok t_cmp(scalar(grep { /ret_raise $ID: Traceback \(most recent call last\):/ } @raised), 1,
         'error log: the traceback, each line tagged with the invocation');
ok t_cmp(scalar(grep { /ret_raise $ID:   File ".*function_app\.py", line \d+, in ret_raise/ } @raised),
         1, 'error log: the frame of the function');
ok t_cmp(scalar(grep { /ret_raise $ID: RuntimeError: boom $tag secret-detail/ } @raised), 1,
         'error log: the exception and its message');
my %ids = map { /ret_raise ($ID):/ ? ($1 => 1) : () } @raised;
ok t_cmp(scalar(keys %ids), 1, 'all those lines carry one invocation id');
ok t_cmp(scalar(grep { /_funcapp_loader/ } @raised), 0,
         'the traceback starts at the user code, not in the loader');

$res = GET "$base/api/pid";
ok t_cmp($res->code . ' ' . $res->content, "200 $v2_pid",
         'the same worker answers the next request');
ok t_cmp(GET("$base/api/ret/str")->code, 200, 'and the one after');

ok t_cmp(GET('/api/hello')->content, 'Hello, world!', 'other apps unaffected');
ok $pid ne $v2_pid || $pid eq '';
