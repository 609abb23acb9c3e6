# A worker that stops runs Python's shutdown before it exits: the ASGI
# lifespan shutdown of its app, then the atexit handlers, within what the
# drain left of FunctionWorkerGracefulTimeout (1 s at least).  Two apps in
# a standalone httpd, whose hooks write files: a FastAPI app (one atexit
# handler raises; the other still runs), and a raw ASGI app whose atexit
# handler never returns (the worker exits at the bound, with FA070).  A
# graceful restart retires the first generation, a stop the second.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug t_cmp);
use Apache::TestRequest qw(GET);
use Time::HiRes qw(time sleep);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(standalone_conf standalone_start standalone_stop t_dir
                   slurp free_port poll_get);

plan tests => 16;

my $t = t_dir();
my $port2 = free_port();
my $s = standalone_conf(config => <<"CONF");
FunctionApp $t/apps/shutdown_fastapi
FunctionWorkerGracefulTimeout 1
FunctionAppSetting SHUTDOWN_DIR \@OUT\@
Listen 127.0.0.1:$port2
<VirtualHost 127.0.0.1:$port2>
    FunctionApp $t/apps/shutdown_hang
</VirtualHost>
CONF
my $out = "$s->{dir}/out";
mkdir $out or die $!;
{
    # the output directory is only known once standalone_conf made it
    my $conf = slurp($s->{conf});
    $conf =~ s/\@OUT\@/$out/g;
    open my $fh, '>', $s->{conf} or die $!;
    print $fh $conf;
    close $fh;
}
my %base = (fastapi => $s->{base}, hang => "http://127.0.0.1:$port2");

# Each app's worker pid, once it answers: the first request starts the
# app's lifespan.
sub pids {
    return map {
        my $res = poll_get("$base{$_}/api/pid", sub { $_[0]->code == 200 }, 30);
        $_ => ($res->code == 200 ? $res->content : 0)
    } qw(fastapi hang);
}

sub gone_within {
    my ($pid, $seconds) = @_;
    my $deadline = time + $seconds;
    while (time < $deadline) {
        return 1 unless kill 0, $pid;
        sleep 0.05;
    }
    return 0;
}

sub file { slurp("$out/$_[0]-$_[1]") // 'missing' }

ok(standalone_start($s));
my %old = pids();
t_debug("generation 1: fastapi $old{fastapi}, hang $old{hang}");
ok($old{fastapi} && $old{hang});

# --- a graceful restart retires both workers ---------------------------------
chomp(my $httpd = slurp("$s->{dir}/httpd.pid") // '');
my $t0 = time;
kill 'USR1', $httpd if $httpd;
ok(gone_within($old{fastapi}, 10));
my $fast_took = time - $t0;
ok(gone_within($old{hang}, 10));
my $hang_took = time - $t0;
t_debug("retired workers gone after: fastapi $fast_took s, hang $hang_took s");
# the hanging one waited for its bound (1 s), then no longer than the
# drain (0.5 s at most) and a generous margin
ok($hang_took > 0.9 && $hang_took < 5);

ok t_cmp(file('lifespan', $old{fastapi}), 'fastapi shutdown',
         'FastAPI on_event("shutdown") ran');
ok t_cmp(file('atexit', $old{fastapi}), 'atexit; lifespan done before: True',
         'then atexit, after a handler that raised');
ok t_cmp(file('lifespan', $old{hang}), 'raw asgi shutdown',
         'raw ASGI lifespan shutdown ran');
ok t_cmp(file('atexit', $old{hang}), 'atexit; hanging', 'its atexit handler ran');

my $log = slurp($s->{log}) // '';
ok($log =~ /FA070: worker 0 \(pid $old{hang}\): Python's shutdown \(ASGI lifespan shutdown, atexit handlers\) did not finish within 1000 ms/);
ok($log !~ /FA070: worker \d+ \(pid $old{fastapi}\)/);
ok($log =~ /RuntimeError: atexit boom/);

# --- a stop: the second generation's hooks run too ----------------------------
my %new = pids();
t_debug("generation 2: fastapi $new{fastapi}, hang $new{hang}");
ok($new{fastapi} && $new{hang} && $new{fastapi} != $old{fastapi});
ok(standalone_stop($s));
# httpd removes its pid file before it waits for its workers (3 s at most)
for (1 .. 50) {
    $log = slurp($s->{log}) // '';
    last if -e "$out/atexit-$new{fastapi}"
            && $log =~ /FA070: worker 0 \(pid $new{hang}\)/;
    sleep 0.1;
}
ok t_cmp(file('atexit', $new{fastapi}), 'atexit; lifespan done before: True',
         'after a stop: lifespan shutdown, then atexit');
ok($log =~ /FA070: worker 0 \(pid $new{hang}\)/);
