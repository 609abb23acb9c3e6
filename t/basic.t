# The thinnest end-to-end path: a v2 function answered by a worker.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);

plan tests => 3;

my $res = GET '/api/hello?name=Ann';
ok $res->code == 200;
ok $res->content eq 'Hello, Ann!';
ok $res->header('Content-Type') =~ m{^text/plain};
