# More than one machine, on loopback: two backend httpds serving the same
# app with the module (keys shared by copying one key directory), a third
# (broken: its workers die while importing the app) and a front httpd with
# mod_proxy_balancer and mod_proxy_hcheck (hcuri=/admin/host/ping), as in
# conf/funcapp-balancer.conf.  Under load through the balancer, one backend
# stops (graceful-stop through its pid file): no GET fails, both backends
# served before the stop, only the other one after.  The broken node's
# health check fails (ping 503) and it gets no request.  Every httpd here
# is stopped through its pid file at the end, even when a check dies.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use File::Copy ();
use IO::Handle ();
use POSIX ();
use LWP::UserAgent ();
use Time::HiRes qw(time sleep);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(standalone_conf standalone_start t_dir slurp);

plan tests => 13;

my $app = t_dir() . '/apps/balancer';
my $mods = '/usr/lib/apache2/modules';
my $hcuri = '/admin/host/ping';
my $clients = 4;
my $load_max = 25;     # the clients' bound, in seconds
my $load_after = 1.5;  # load goes on this long after b is out of rotation
my $stop_after = 1;

my (@httpds, @kids);

# The parent pid of a standalone httpd, from its pid file.
sub httpd_pid {
    my ($s) = @_;
    my $pid = slurp("$s->{dir}/httpd.pid") // return 0;
    return $pid =~ /^(\d+)/ ? $1 : 0;
}

sub stop_all {
    kill 'TERM', @kids if @kids;
    # the pid noted at start: graceful-stop removes the pid file at once
    my @pids = grep { $_ } map { $_->{pid} || httpd_pid($_) } @httpds;
    kill 'TERM', @pids if @pids;
    for (1 .. 50) {
        last unless grep { kill 0, $_ } @pids;
        sleep 0.1;
    }
    @httpds = ();
}

END { stop_all() }

sub start {
    my ($s) = @_;
    push @httpds, $s;
    if (standalone_start($s)) {
        # the port answers before the parent writes its pid file
        for (1 .. 100) {
            return 1 if ($s->{pid} = httpd_pid($s));
            sleep 0.05;
        }
    }
    my (undef, $out) = FuncappTest::configtest($s);
    t_debug("$s->{conf} did not start: $out" . (slurp($s->{log}) // ''));
    return 0;
}

# A node serving the app with 1 worker, its keys in DIR/keys.
sub node {
    my ($extra) = @_;
    my $s = standalone_conf(config => "FunctionApp $app\n"
        . "FunctionsWorkerProcessCount 1\nFunctionAppKeys keys\n"
        . ($extra // ''));
    mkdir "$s->{dir}/keys", 0700 or die $!;
    return $s;
}

my $ua = LWP::UserAgent->new(timeout => 10);

sub body_of {
    my ($url, @h) = @_;
    my $res = $ua->get($url, @h);
    return $res->code == 200 ? $res->content : undef;
}

# The pid of the worker of a node, asked directly.
sub worker_pid {
    my ($s) = @_;
    for (1 .. 150) {
        my $pid = body_of("$s->{base}/api/pid");
        return $pid if defined $pid;
        sleep 0.1;
    }
    return undef;
}

# Node a makes the keys; b gets a copy of a's key directory, as another
# machine would.
my $na = node();
ok(start($na));
my $keys_a = "$na->{dir}/keys";
my $nb = node();
File::Copy::copy("$keys_a/host.json", "$nb->{dir}/keys/host.json") or die $!;
chmod 0600, "$nb->{dir}/keys/host.json";
ok(start($nb));
my $nc = node("FunctionAppSetting BALANCER_BROKEN 1\nFunctionAppTimers off\n");
ok(start($nc));

# The front: the <VirtualHost> of conf/funcapp-balancer.conf with the
# nodes' addresses and a shorter health-check interval, and beside it a
# balancer over a and the broken node c.
my $example = slurp(t_dir() . '/../conf/funcapp-balancer.conf') // die;
my ($vhost) = $example =~ m{^(<VirtualHost \*:80>.*?^</VirtualHost>)}ms
    or die 'no <VirtualHost> in conf/funcapp-balancer.conf';
my $front = standalone_conf(config => '');
$vhost =~ s{<VirtualHost \*:80>}{<VirtualHost *:$front->{port}>} or die;
$vhost =~ s{10\.0\.0\.11:80}{127.0.0.1:$na->{port}} or die;
$vhost =~ s{10\.0\.0\.12:80}{127.0.0.1:$nb->{port}} or die;
$vhost =~ s{hcinterval=5 hcpasses=1 hcfails=2}
           {hcinterval=1 hcpasses=1 hcfails=1} or die;
my $member = "hcmethod=GET hcuri=$hcuri hcinterval=1 hcpasses=1 hcfails=1";
open my $conf_fh, '>>', $front->{conf} or die $!;
print $conf_fh join "\n",
    (map { "LoadModule ${_}_module $mods/mod_$_.so" }
         qw(authz_host slotmem_shm proxy proxy_http proxy_balancer
            lbmethod_byrequests proxy_hcheck)),
    '<Proxy "balancer://broken">',
    "    BalancerMember http://127.0.0.1:$na->{port} $member",
    "    BalancerMember http://127.0.0.1:$nc->{port} $member",
    '</Proxy>',
    'ProxyPass /broken/ balancer://broken/',
    $vhost, '';
close $conf_fh;
ok(start($front));

my $pid_a = worker_pid($na) // 'none';
my $pid_b = worker_pid($nb) // 'none';
t_debug("worker pids: a $pid_a, b $pid_b");

# The balancer-manager's view of a member: its Status cell ("Init Ok",
# "Init Err", "Init HcFl", ...).  The page is HTML only (no ?xml in 2.4).
sub member_status {
    my ($balancer, $port) = @_;
    my $html = body_of("$front->{base}/balancer-manager") // '';
    my ($part) = $html =~ m{balancer://$balancer</a>(.*?)(?:<hr />|\z)}s;
    return '' unless defined $part;
    # the row's cells: URL, Route, RouteRedir, Factor, Set, Status
    return $part =~ m{>http://127\.0\.0\.1:$port</a></td>
                      (?:<td>[^<]*</td>){4}<td>([^<]*)</td>}x ? $1 : '';
}

# The shared key opens "keyed" on both nodes, through the balancer.
my ($key) = (slurp("$keys_a/host.json") // '')
    =~ /"functionKeys".*?"value"\s*:\s*"([^"]+)"/s;
my %keyed;
for (1 .. 10) {
    my $pid = body_of("$front->{base}/api/keyed",
                      'x-functions-key' => $key // '');
    $keyed{$pid // 'failed'}++;
}
t_debug('keyed through the balancer: ' . join ' ', %keyed);
ok($keyed{$pid_a} && $keyed{$pid_b} && !$keyed{failed});

# Draining through balancer-manager, as README says: b set to N (Drain)
# gets no new request at once; set back, it gets them again.
sub manager_set {
    my ($port, $flag, $on) = @_;
    my $url = "$front->{base}/balancer-manager";
    my ($nonce) = (body_of($url) // '') =~ /b=funcapp&amp;nonce=([-0-9a-f]+)/;
    return $ua->post($url, Referer => $url,
        Content => [b => 'funcapp', w => "http://127.0.0.1:$port",
                    "w_status_$flag" => $on, nonce => $nonce // ''])->code;
}

sub spread {
    my %n;
    $n{body_of("$front->{base}/api/pid") // 'failed'}++ for 1 .. 10;
    return \%n;
}
my @set = (manager_set($nb->{port}, 'N', 1),
           member_status('funcapp', $nb->{port}));
my $drained = spread();
push @set, manager_set($nb->{port}, 'N', 0),
           member_status('funcapp', $nb->{port});
my $back = spread();
t_debug("drain: @set; drained " . join(' ', %$drained) . '; back '
        . join(' ', %$back));
ok($drained->{$pid_a} && keys %$drained == 1 && $set[1] =~ /Drn/
   && $back->{$pid_a} && $back->{$pid_b});

# Load: $clients clients, each a loop of GETs on one keep-alive connection
# until DIR/stop exists (or $load_max s), writing "start end status body"
# a line.
my $dir = $front->{dir};
my $t0 = time;
my $end = $t0 + $load_max;
for my $n (1 .. $clients) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my $cua = LWP::UserAgent->new(timeout => 10, keep_alive => 1);
        open my $fh, '>', "$dir/load.$n" or die $!;
        $fh->autoflush(1);
        while (time < $end && !-e "$dir/stop") {
            my $s = time;
            my $res = $cua->get("$front->{base}/api/pid");
            # When a node closes a pooled connection just as the front
            # sends on it, httpd's mod_proxy closes the client's
            # keep-alive connection without an answer, for the client to
            # send the GET again (RFC 9112 9.3.1), as browsers and curl
            # do; LWP does not, so the test does, once.
            if ($res->code == 500 && ($res->header('Client-Warning') // '')
                    eq 'Internal response'
                && $res->message =~ /closed connection without sending/) {
                printf $fh "retry %.4f\n", time;
                $res = $cua->get("$front->{base}/api/pid");
            }
            my $body = $res->content // '';
            $body =~ s/\s+/_/g;
            printf $fh "%.4f %.4f %d %s\n", $s, time, $res->code,
                substr($body, 0, 40);
        }
        close $fh;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}

# Once both nodes have answered the clients (at least $stop_after s in),
# the stop, then when the balancer shows b out of rotation (the load goes
# on $load_after s more), and when b's parent is gone.
sub answered {
    my %n;
    for my $n (1 .. $clients) {
        open my $fh, '<', "$dir/load.$n" or next;
        $n{(split ' ', $_)[3] // ''}++ while <$fh>;
    }
    return \%n;
}
while (time < $t0 + 15) { # a loaded machine may take a while to share
    my $n = answered();
    last if time > $t0 + $stop_after && ($n->{$pid_a} // 0) >= 10
            && ($n->{$pid_b} // 0) >= 10;
    sleep 0.1;
}
my $b_parent = $nb->{pid};
my $t_stop = time;
system(FuncappTest::httpd_bin(), '-f', $nb->{conf}, '-k', 'graceful-stop');
my ($t_gone, $t_out, $status_out, $t_end);
while (time < $t_stop + 12) {
    $t_gone //= time unless kill 0, $b_parent;
    if (!defined $t_out) {
        my $st = member_status('funcapp', $nb->{port});
        ($t_out, $status_out) = (time, $st) if $st =~ /Err|HcFl/;
    }
    if (defined $t_out && time > $t_out + $load_after && @kids) {
        open my $fh, '>', "$dir/stop" or die $!;
        close $fh;
        waitpid $_, 0 for @kids;
        @kids = ();
        $t_end = time;
    }
    last if defined $t_gone && !@kids;
    sleep 0.05;
}
open my $stop_fh, '>', "$dir/stop" or die $!;
waitpid $_, 0 for @kids;
@kids = ();
$t_end //= time;

my (@all, %before, %after, %codes);
my $retries = 0;
for my $n (1 .. $clients) {
    open my $fh, '<', "$dir/load.$n" or next;
    while (<$fh>) {
        $retries++, next if /^retry /;
        my ($s, $e, $code, $body) = split ' ', $_, 4;
        chomp $body;
        push @all, [$s, $e, $code, $body];
        $codes{$code}++;
        $before{$body}++ if $e < $t_stop;
        $after{$body}++ if defined $t_out && $s > $t_out;
    }
}
my $errors = grep { $_->[2] != 200 } @all;
my ($last_b) = sort { $b <=> $a } map { $_->[1] }
               grep { $_->[3] eq $pid_b } @all;
t_debug(sprintf 'load: %d GETs in %.1f s from %d clients, %d not 200 (%s), '
    . '%d sent again on a new connection', scalar @all, $t_end - $t0,
    $clients, $errors, join(' ', %codes), $retries);
t_debug(sprintf 'before the stop: %s; after the balancer took b out: %s',
    join(' ', %before), join(' ', %after));
t_debug(sprintf 'after the stop: last answer from b at +%.2f s, b exited '
    . 'at +%s s, balancer shows b "%s" at +%s s',
    ($last_b // $t_stop) - $t_stop,
    defined $t_gone ? sprintf('%.2f', $t_gone - $t_stop) : 'never',
    $status_out // '',
    defined $t_out ? sprintf('%.2f', $t_out - $t_stop) : 'never');
if ($errors) { # what the nodes said about it
    t_debug("node a's log:\n" . (slurp($na->{log}) // ''));
    t_debug("node b's log:\n" . (slurp($nb->{log}) // ''));
    t_debug("the front's log:\n" . (slurp($front->{log}) // ''));
    t_debug('not 200: ' . join ' | ', map { "@$_" } grep { $_->[2] != 200 } @all);
}
ok(@all >= 50);
ok($errors == 0);
ok($before{$pid_a} && $before{$pid_b});
ok(defined $t_out && $after{$pid_a} >= 5 && keys %after == 1);
ok(defined $t_gone);

# The broken node: its ping says 503, the health check takes it out, and
# every GET through its balancer reaches a.
my $broken_ok = 0;
for (1 .. 30) {
    last if ($broken_ok = member_status('broken', $nc->{port}) =~ /HcFl/);
    sleep 0.1;
}
my $ping_c = $ua->get("$nc->{base}$hcuri")->code;
my $ping_a = $ua->get("$na->{base}$hcuri")->code;
t_debug("ping: a $ping_a, broken node $ping_c; balancer status \""
        . member_status('broken', $nc->{port}) . '"');
ok($broken_ok && $ping_c == 503 && $ping_a == 200);
my %broken;
$broken{body_of("$front->{base}/broken/api/pid") // 'failed'}++ for 1 .. 20;
t_debug('through the broken balancer: ' . join ' ', %broken);
ok(keys %broken == 1 && $broken{$pid_a});
t_debug(sprintf 'the file took %.1f s', time - $^T);
