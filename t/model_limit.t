# Request bodies over LimitRequestBody are refused with 413 before they
# reach a worker; bodies within it are served.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET POST);
use Apache::TestUtil qw(t_cmp);
use HTTP::Request ();
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest ();

plan tests => 12;

# model_limit has no app of its own: it serves the main server's app
# (t/apps/v2) under LimitRequestBody 1000.
my $base = FuncappTest::base_url('model_limit');

sub post_len {
    my ($url, $n) = @_;
    my $res = POST $url, content => 'b' x $n;
    return $res->code . ' ' . ($res->code == 200 ? $res->content : '');
}

ok t_cmp(post_len("$base/api/hello", 900), '200 Hello, world!', '900 bytes: served');
ok t_cmp(post_len("$base/api/hello", 1000), '200 Hello, world!', '1000 bytes: the limit itself');
ok t_cmp(post_len("$base/api/hello", 1001), '413 ', '1001 bytes: 413');
ok t_cmp(post_len("$base/api/hello", 2000), '413 ', '2000 bytes: 413');

my @chunks = ('c' x 500) x 4;
my $res = Apache::TestRequest::user_agent()->request(
    HTTP::Request->new(POST => "$base/api/hello", [], sub { shift @chunks // '' }));
ok t_cmp($res->code, 413, '2000 bytes chunked (no Content-Length): 413');
@chunks = ('c' x 300) x 3;
$res = Apache::TestRequest::user_agent()->request(
    HTTP::Request->new(POST => "$base/api/hello", [], sub { shift @chunks // '' }));
ok t_cmp($res->code, 200, '900 bytes chunked: served');

ok t_cmp(GET("$base/api/hello?name=Lim")->content, 'Hello, Lim!', 'GET after a 413');
ok t_cmp(post_len('/api/hello', 2000), '200 Hello, world!',
         'the main server, same app, has no such limit');

# Azure's FUNCTIONS_REQUEST_BODY_SIZE_LIMIT app setting sets the cap (here
# lowered to 1500 bytes, under httpd's default LimitRequestBody)
my $setting = FuncappTest::base_url('body_setting');
ok t_cmp(post_len("$setting/api/hello", 1500), '200 Hello, world!', 'setting: 1500 bytes served');
ok t_cmp(post_len("$setting/api/hello", 1501), '413 ', 'setting: 1501 bytes: 413');
@chunks = ('c' x 400) x 4;
$res = Apache::TestRequest::user_agent()->request(
    HTTP::Request->new(POST => "$setting/api/hello", [], sub { shift @chunks // '' }));
ok t_cmp($res->code, 413, 'setting: 1600 bytes chunked: 413');
ok t_cmp(GET("$setting/api/hello?name=Set")->content, 'Hello, Set!', 'setting: GET served');
