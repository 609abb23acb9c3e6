# host.json's extensions.http.maxOutstandingRequests (2 here, 1 worker x 1
# thread): past it, 429 at once with Retry-After, without reaching a
# worker, while the admitted requests are served; the count comes back.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use Apache::TestRequest qw(GET);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(fire base_url wait_for_pids log_size log_since);

plan tests => 8;

my $base = base_url('throttle');
my $up = 0;
for (1 .. 100) {
    $up = GET("$base/api/hold/0")->code == 200 and last;
    select(undef, undef, undef, 0.1);
}
ok($up);

my $from = log_size();
my @r = fire("$base/api/hold/1", 5);
my @ok = grep { $_->{status} == 200 } @r;
my @busy = grep { $_->{status} == 429 } @r;
t_debug(join ' ', map { "$_->{status}:$_->{seconds}" } @r);
ok(@ok == 2 && @busy == 3);
ok(!grep { $_->{seconds} > 0.8 } @busy);          # at once
ok(@ok == 2 && $ok[-1]{seconds} > 1.8);           # one after the other
ok(log_since($from, qr/FA066: 2 requests outstanding \(maxOutstandingRequests\); answering 429/) == 3);

# every admitted request gave its count back
my @again = fire("$base/api/hold/0.2", 2);
ok(!grep { $_->{status} != 200 } @again);

# a refused request as a client sees it: 429, Retry-After, no body
{
    pipe(my $rd, my $wr) or die;
    my $from_held = log_size();
    my $child = fork // die;
    if (!$child) {
        close $rd;
        my @held = fire("$base/api/hold/3", 2);
        print $wr join(' ', map { $_->{status} } @held), "\n";
        exit 0;
    }
    close $wr;
    # the first is running once it has said so, and the second, sent
    # with it, admitted (a fixed wait from the start loses on a busy
    # machine)
    # (the second waits behind the first: one thread)
    log_since($from_held, qr/holding for 3 s/);
    select(undef, undef, undef, 0.3);
    my $res = GET("$base/api/hold/0");
    my $held = <$rd>;
    waitpid $child, 0;
    t_debug('refused: ' . $res->code . ' Retry-After ' . ($res->header('Retry-After') // '-')
            . "; held: $held");
    ok($res->code == 429 && ($res->header('Retry-After') // '') eq '1'
       && $res->content eq '');
    ok($held =~ /^200 200$/);
}
