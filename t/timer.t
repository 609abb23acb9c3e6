# Timer triggers of a v1 app (t/apps/timer_v1) in an httpd of our own:
# one run a tick across 3 workers that are recycled meanwhile,
# runOnStartup once per app, a tick skipped while the previous run goes
# on, past_due after httpd was stopped across ticks, running a function by
# hand with the admin API, and FunctionAppTimers off.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET POST);
use Apache::TestUtil qw(t_cmp t_debug);
use Time::HiRes qw(sleep time);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(standalone_conf standalone_start standalone_stop t_dir
                   slurp poll_get);

plan tests => 21;

my $t = t_dir();
my $key = 'timer-test-master-key-0123456789abcdefghijk';

my %base_conf;

# The standalone configuration with the app, and @a $extra.
sub conf {
    my ($s, $extra) = @_;
    $base_conf{$s} //= slurp($s->{conf});
    open my $fh, '>', $s->{conf} or die "$s->{conf}: $!";
    print $fh $base_conf{$s}, <<"CONF";
FunctionApp $t/apps/timer_v1
FunctionsWorkerProcessCount 3
FunctionWorkerMaxRequests 4
FunctionAppKey master boss $key
FunctionAppSetting TIMER_LOG $s->{dir}/ticks.log
FunctionAppSetting SLOW_LOG $s->{dir}/slow.log
FunctionAppSetting STARTUP_SCHEDULE "0 0 0 1 1 *"
$extra
CONF
    close $fh;
}

# The lines of a function's file as [name, pid, time, past_due].
sub lines {
    my ($path) = @_;
    return map { [split / /] } grep { length } split /\n/, slurp($path) // '';
}

sub ticks { grep { $_->[0] eq 'tick' } lines($_[0]) }
sub startups { grep { $_->[0] eq 'startup' } lines($_[0]) }

sub wait_for {
    my ($cond, $timeout) = @_;
    my $deadline = time + $timeout;
    until ($cond->()) {
        return 0 if time > $deadline;
        sleep 0.1;
    }
    return 1;
}

# ok() with a name that says what held
sub check {
    my ($cond, $name) = @_;
    ok t_cmp($cond ? 'yes' : 'no', 'yes', $name);
}

# standalone_stop, then until the httpd parent is gone: it holds its
# listeners while its workers drain
sub stopped {
    my ($s) = @_;
    chomp(my $pid = slurp("$s->{dir}/httpd.pid") // '');
    my $ok = standalone_stop($s);
    wait_for(sub { !($pid && kill 0, $pid) }, 10);
    return $ok && !($pid && kill 0, $pid);
}

sub admin_run {
    my ($base, $name, @headers) = @_;
    return POST("$base/admin/functions/$name", content => '{"input": "by hand"}',
                'Content-Type' => 'application/json', @headers)->code;
}

my $s = standalone_conf(config => '');
conf($s, '');
my $log = "$s->{dir}/ticks.log";
my $base = $s->{base};

# --- every second, once a tick, in one of 3 workers -----------------------------------

check standalone_start($s), 'httpd starts';
check wait_for(sub { ticks($log) >= 1 }, 20), 'the timer fires';
my $t0 = time;
sleep 4.5;
my @ticks = ticks($log);
my @gaps = map { $ticks[$_][2] - $ticks[$_ - 1][2] } 1 .. $#ticks;
my %pids = map { $_->[1] => 1 } @ticks;
t_debug(sprintf "%d ticks in %.1f s, gaps %s, by %d worker(s)", scalar @ticks,
        time - $t0, join(' ', map { sprintf '%.2f', $_ } @gaps), scalar keys %pids);
check @ticks >= 4 && @ticks <= 7, 'about one run a second';
ok t_cmp(scalar(grep { $_ < 0.5 } @gaps), 0, 'no tick runs twice (3 workers)');
ok t_cmp(scalar(grep { $_ > 2.5 } @gaps), 0, 'no gap beyond one tick, while workers recycle');
ok t_cmp(scalar(grep { $_->[3] ne 'False' } @ticks), 0, 'none past due');
my $log_text = slurp($s->{log}) // '';
# the other workers never try to run a tick one of them claimed (they
# would find it running, and say so)
ok t_cmp(scalar(() = $log_text =~ /FA087: timer tick:/g), 0, 'no tick claimed twice');
check $log_text =~ /FA085: Executing 'Functions\.tick' \(Reason='Timer fired at [^']+', Id=[0-9a-f-]{36}\)/,
   'logged as Azure logs it, with an invocation id';
check $log_text =~ /FA086: Executed 'Functions\.tick' \(Succeeded, Id=[0-9a-f-]{36}, Duration=\d+ms\)/,
   'and its end';

# --- runOnStartup: once per app, not per worker ----------------------------------------

my @startups = startups($log);
ok t_cmp(join(' ', scalar @startups, map { $_->[3] } @startups), '1 False',
         'runOnStartup: one run, not past due');

# --- a tick that finds its previous run going is skipped -------------------------------

my @slow = map { $_->[2] } lines("$s->{dir}/slow.log");
my @slow_gaps = map { $slow[$_] - $slow[$_ - 1] } 1 .. $#slow;
check @slow >= 1 && !grep({ $_ < 2.4 } @slow_gaps),
   'a 2.5 s async timer every second runs every 3 s or so';
check $log_text =~ /FA087: timer slow: the tick of \S+ is skipped: its previous run is still going/,
   'the skipped ticks are logged';

# --- the admin API runs a function by hand ----------------------------------------------

my $before = startups($log);
ok t_cmp(admin_run($base, 'startup', 'x-functions-key' => $key), 202,
         'POST /admin/functions/startup with the master key: 202');
# the 202 comes before the run, as Azure answers
wait_for(sub { startups($log) > $before }, 10);
@startups = startups($log);
ok t_cmp(join(' ', scalar(@startups) - $before, $startups[-1][3]), '1 False',
         'and it has run, not past due');
ok t_cmp(join(' ', admin_run($base, 'startup'),
              admin_run($base, 'startup', 'x-functions-key' => 'wrong'),
              admin_run($base, 'nosuch', 'x-functions-key' => $key),
              GET("$base/admin/functions/startup", 'x-functions-key' => $key)->code),
         '401 401 404 405', 'no key, a wrong key: 401; unknown function 404; GET 405');

# --- past due after a stop across ticks ------------------------------------------------

check stopped($s), 'httpd stops';
my $stopped = time;
sleep 2.5;
my $seen = ticks($log);
check standalone_start($s), 'and starts again 2.5 s later';
wait_for(sub { ticks($log) > $seen }, 20);
my $first = (ticks($log))[$seen];
ok t_cmp($first && $first->[3], 'True', 'its first tick is past due (useMonitor)');

# --- FunctionAppTimers off ---------------------------------------------------------------

stopped($s);
conf($s, 'FunctionAppTimers off');
my $lines = lines($log);
standalone_start($s);
poll_get("$base/api/pid", sub { $_[0]->code == 200 }, 20);
sleep 2.5;
ok t_cmp(scalar(lines($log)) - $lines, 0, 'FunctionAppTimers off: no tick, no start-up run');
my $accepted = admin_run($base, 'startup', 'x-functions-key' => $key);
wait_for(sub { lines($log) > $lines }, 10);
ok t_cmp($accepted . ' ' . (scalar(lines($log)) - $lines), '202 1',
         'the admin API still runs it');
# the 202 comes before the run: the 2.5 s function answers at once
my $admin_asked = time;
my $slow_code = admin_run($base, 'slow', 'x-functions-key' => $key);
my $took = time - $admin_asked;
ok t_cmp(join(' ', $slow_code, $took < 1.5 ? 'at once' : sprintf('after %.1f s', $took)),
         '202 at once', 'the admin API answers 202 before the function runs');
stopped($s);
