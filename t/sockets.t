# The worker sockets: in httpd's runtime directory, mode 0600, owned by the
# workers' user, and gone once their generation is.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use Apache::TestRequest qw(GET_BODY);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(t_dir base_url);

plan tests => 4;

my @socks = glob(t_dir() . '/logs/funcapp.*.sock');
t_debug("sockets: @socks");
ok(@socks >= 1);
ok(!grep { ((stat $_)[2] & 07777) != 0600 } @socks);
ok(!grep { (stat $_)[4] != $> } @socks);
# a worker answers whoever owns the socket (here: httpd's user)
ok(GET_BODY(base_url() . '/api/hello') eq 'Hello, world!');
