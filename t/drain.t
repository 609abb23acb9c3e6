# FunctionWorkerGracefulTimeout bounds the drain of a retired worker: a
# graceful restart while a request runs longer than the limit ends that
# request at the limit (502: it reached a worker that stopped), with one
# line from the worker and one from the parent naming why; the new
# generation serves.  A standalone httpd, so the restart touches nothing
# else.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use Apache::TestRequest qw(GET POST);
use Time::HiRes qw(time sleep);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(standalone_conf standalone_start standalone_stop t_dir
                   slurp);

plan tests => 7;

my $s = standalone_conf(config => 'FunctionApp ' . t_dir() . "/apps/async\n"
                                  . "FunctionWorkerGracefulTimeout 1\n");
ok(standalone_start($s));
my $up = 0;
for (1 .. 100) {
    $up = GET("$s->{base}/api/ssleep/0")->code == 200 and last;
    sleep 0.1;
}
ok($up);

# a 5 s request, then a graceful restart half a second into it
pipe(my $rd, my $wr) or die;
my $t0 = time;
my $child = fork // die;
if (!$child) {
    close $rd;
    my $res = POST("$s->{base}/api/ssleep/5", content => 'x');
    print $wr $res->code, ' ', time - $t0, "\n";
    close $wr;
    exit 0;
}
close $wr;
sleep 0.5;
chomp(my $httpd = slurp("$s->{dir}/httpd.pid") // '');
kill 'USR1', $httpd if $httpd;
my $line = <$rd>;
waitpid $child, 0;
my ($code, $took) = split ' ', ($line // '0 0');
t_debug("in flight across the restart: $code after $took s");
ok($code == 502);
ok($took > 1.2 && $took < 4.5);

my $log = '';
for (1 .. 30) {
    $log = slurp($s->{log}) // '';
    last if $log =~ /FA023/;
    sleep 0.1;
}
ok($log =~ /FA022: worker 0 \(pid \d+\) still has 1 request\(s\) in flight 1 s after it was told to stop \(FunctionWorkerGracefulTimeout\); exiting/);
ok($log =~ /FA023: retired worker \(pid \d+\) exited: stopped with requests in flight at its graceful timeout \(status 8\)/);

# the new generation serves
my $again = 0;
for (1 .. 100) {
    $again = GET("$s->{base}/api/ssleep/0")->code == 200 and last;
    sleep 0.1;
}
ok($again);
standalone_stop($s);
