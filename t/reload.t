# Reloading one app (FunctionAppReload, POST /admin/host/restart), in an
# httpd of its own with two apps the test writes and edits: "a"
# (FunctionAppReload touch) and "b" (watch; its functions in a blueprint
# module).  A reload answers the new code within seconds, lets a request
# in flight finish with the old code, adds a new function to the routes,
# leaves the other app's worker alone, survives a broken edit, and
# leaves no process behind after a stop.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use LWP::UserAgent ();
use Time::HiRes ();
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(standalone_conf standalone_start standalone_stop free_port
                   slurp configtest);

plan tests => 23;

my $key = 'reload-master-key-0123456789';
my $ua = LWP::UserAgent->new(timeout => 30);

sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>', "$path.tmp" or die "$path: $!";
    print $fh $text;
    close $fh;
    rename "$path.tmp", $path or die "$path: $!";
}

# An app whose functions say which code they run ($word), with a 2 s
# function that logs when it starts, and optionally one more function.
sub app_a {
    my ($word, $extra) = @_;
    return <<"PY" . ($extra ? <<"PY2" : '');
import logging
import os
import time
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


\@app.route(route="v")
def v(req):
    return "$word"


\@app.route(route="pid")
def pid(req):
    return str(os.getpid())


\@app.route(route="slow")
def slow(req):
    logging.warning("slow %s started", req.params.get("n"))
    time.sleep(2)
    return "slow $word"
PY


\@app.route(route="added")
def added(req):
    return "added $word"
PY2
}

sub bp_b {
    my ($word, $extra) = @_;
    return <<"PY" . ($extra ? <<"PY2" : '');
import os
import azure.functions as func

bp = func.Blueprint()


\@bp.route(route="v")
def v(req):
    return "$word"


\@bp.route(route="pid")
def pid(req):
    return str(os.getpid())
PY


\@bp.route(route="bpnew")
def bpnew(req):
    return "bpnew $word"
PY2
}

# a bad value fails configtest, naming the directive
my ($status, $out) = configtest(standalone_conf(
    config => "FunctionApp " . Apache::Test::vars('t_dir')
              . "/apps/v2\nFunctionAppReload sometimes\n"));
ok($status != 0 && $out =~ /FunctionAppReload must be off, touch \[FILE\.\.\.\] or watch, not 'sometimes'/);

my $s = standalone_conf(mpm => $ENV{FUNCAPP_MPM} // 'event', config => '');
my $dir = $s->{dir};
my $port_b = free_port();
for my $app (qw(a b)) {
    mkdir "$dir/$app" or die $!;
    write_file("$dir/$app/host.json", qq({"version": "2.0"}\n));
}
write_file("$dir/a/function_app.py", app_a('a1'));
write_file("$dir/b/function_app.py", <<'PY');
import azure.functions as func
from bp import bp

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(bp)
PY
write_file("$dir/b/bp.py", bp_b('b1'));
mkdir "$dir/b/__pycache__";

open my $fh, '>>', $s->{conf} or die $!;
print $fh <<"CONF";
Listen 127.0.0.1:$port_b
<VirtualHost 127.0.0.1:$s->{port}>
FunctionApp $dir/a
FunctionAppReload touch
FunctionAppKey master boss $key
</VirtualHost>
<VirtualHost 127.0.0.1:$port_b>
FunctionApp $dir/b
FunctionAppReload watch
FunctionAppKey master boss $key
</VirtualHost>
CONF
close $fh;
my $a = $s->{base};
my $b = "http://127.0.0.1:$port_b";

sub body { my $r = $ua->get($_[0]); $r->code . ' ' . $r->content }

# GETs $url until its body is $want; how long that took, or undef.
sub wait_body {
    my ($url, $want, $timeout) = @_;
    my $t0 = Time::HiRes::time();
    while (Time::HiRes::time() - $t0 < ($timeout // 20)) {
        return Time::HiRes::time() - $t0 if body($url) eq "200 $want";
        Time::HiRes::sleep(0.1);
    }
    t_debug("$url still answers " . body($url));
    return undef;
}

sub log_has {
    my ($re, $timeout) = @_;
    my $t0 = Time::HiRes::time();
    while (Time::HiRes::time() - $t0 < ($timeout // 10)) {
        return 1 if (slurp($s->{log}) // '') =~ $re;
        Time::HiRes::sleep(0.1);
    }
    return 0;
}

# The 2 s function in a process of its own, once it is running; the
# answer comes back through a pipe.
my $slow_n = 0;
sub slow_in_flight {
    my $n = ++$slow_n;
    my $pid = open(my $pipe, '-|') // die "fork: $!";
    if (!$pid) {
        my $r = LWP::UserAgent->new(timeout => 30)->get("$a/api/slow?n=$n");
        print $r->code, ' ', $r->content;
        exit 0;
    }
    log_has(qr/slow $n started/) or t_debug("slow $n never started");
    return $pipe;
}

sub slow_answer { my ($pipe) = @_; local $/; my $r = <$pipe>; close $pipe; $r }

ok(standalone_start($s));
ok(defined wait_body("$a/api/v", 'a1', 30) && defined wait_body("$b/api/v", 'b1', 30));
my $b_pid = body("$b/api/pid");
my $a_pid = body("$a/api/pid");

# touch: function_app.py edited while a request runs; a function added
my $pipe = slow_in_flight();
write_file("$dir/a/function_app.py", app_a('a2', 1));
my $took = wait_body("$a/api/v", 'a2');
t_debug(sprintf 'touch: new answer after %.2f s', $took // -1);
ok(defined $took && $took < 10);
ok(slow_answer($pipe), '200 slow a1');
# every httpd child routes the new function once it has the new table,
# fetched from a new worker: within a moment of the first new answer
ok(defined wait_body("$a/api/added", 'added a2', 5));
ok(body("$b/api/pid"), $b_pid);
ok(log_has(qr/FA098: reloading \Q$dir\E\/a \(function_app\.py changed\): 1 new worker/));
# touch does not follow other files
write_file("$dir/a/notes.py", "x = 1\n");
Time::HiRes::sleep(1.5);
my @reloads = slurp($s->{log}) =~ /FA098: reloading \Q$dir\E\/a /g;
ok(scalar(@reloads), 1);

# watch: a module the app imports, a new function in it
$a_pid = body("$a/api/pid");
ok(body("$b/api/bpnew") =~ /^404/);
write_file("$dir/b/bp.py", bp_b('b2', 1));
$took = wait_body("$b/api/v", 'b2');
t_debug(sprintf 'watch: new answer after %.2f s', $took // -1);
ok(defined $took && $took < 10);
ok(defined wait_body("$b/api/bpnew", 'bpnew b2', 5));
ok(body("$a/api/pid"), $a_pid);

# admin restart: the master key, POST only, old request finished
my $old_pid = body("$a/api/pid");
ok($ua->post("$a/admin/host/restart")->code, 401);
ok($ua->get("$a/admin/host/restart", 'x-functions-key' => $key)->code, 405);
$pipe = slow_in_flight();
my $res = $ua->post("$a/admin/host/restart", 'x-functions-key' => $key);
ok($res->code . ' ' . $res->content_type, '200 application/json');
my $t0 = Time::HiRes::time();
my $new_pid = $old_pid;
while (Time::HiRes::time() - $t0 < 20 && $new_pid eq $old_pid) {
    Time::HiRes::sleep(0.1);
    $new_pid = body("$a/api/pid");
}
ok($new_pid =~ /^200 \d+$/ && $new_pid ne $old_pid);
ok(slow_answer($pipe), '200 slow a2');

# a broken edit: the old code serves on, the error is logged; a fix
# reloads again
write_file("$dir/b/bp.py", bp_b('b3', 1) . "def broken(:\n");
ok(log_has(qr/FA099: the successor of worker 0 of \Q$dir\E\/b/, 20));
ok(body("$b/api/v"), '200 b2');
write_file("$dir/b/bp.py", bp_b('b4', 1));
ok(defined wait_body("$b/api/v", 'b4'));

# stop: no worker or watcher left
my $parent = slurp("$dir/httpd.pid") // '';
chomp $parent;
my @ours = grep {
    (slurp("/proc/$_/stat") // '') =~ /^\d+ \((funcapp-[^)]*)\) \S+ $parent /
} map { m{/proc/(\d+)$} ? $1 : () } glob '/proc/[0-9]*';
t_debug("processes of httpd $parent: @ours");
ok(scalar(@ours) >= 3);  # two workers, two watchers, the bell
my $stopped = standalone_stop($s);
# gone, or a zombie that init is about to reap
my @left;
for (1 .. 30) {
    @left = grep { (slurp("/proc/$_/stat") // '') =~ /^\d+ \([^)]*\) [^Z]/ }
            @ours;
    last unless @left;
    Time::HiRes::sleep(0.1);
}
t_debug('left after stop: ' . join ' ', map { slurp("/proc/$_/stat") } @left);
ok($stopped && !@left);
