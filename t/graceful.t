# `apachectl graceful`: a new generation of workers runs the new code and
# configuration; a request in flight across the restart completes.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use Apache::TestRequest qw(GET_BODY);
use Time::HiRes qw(time sleep);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(base_url fire t_dir log_size log_since);

plan tests => 6;

my $base = base_url('graceful');
my $t = t_dir();

my ($version, $old_pid) = split ' ', GET_BODY("$base/api/version");
ok($version eq 'v1');

# a slow request, started before the restart, answered after it
my $from = log_size();
pipe(my $rd, my $wr) or die;
my $child = fork // die;
if (!$child) {
    close $rd;
    my ($r) = fire("$base/api/slow", 1);
    print $wr "$r->{status} $r->{body}\n";
    exit 0;
}
close $wr;
# restart once the worker runs it (a fixed wait loses on a busy machine)
log_since($from, qr/slow request started/);

# new code, then a graceful restart of httpd
my $app = "$t/apps/graceful/function_app.py";
open my $in, '<', $app or die;
my $code = do { local $/; <$in> };
close $in;
$code =~ s/VERSION = "v1"/VERSION = "v2"/;
open my $out, '>', $app or die;
print $out $code;
close $out;
open my $pf, '<', "$t/logs/httpd.pid" or die;
chomp(my $httpd = <$pf>);
close $pf;
kill 'USR1', $httpd;

my $slow = <$rd>;
waitpid $child, 0;
chomp $slow;
t_debug("in flight across the restart: $slow");
ok($slow =~ /^200 v1 done $old_pid$/);

# the new generation answers with the new code, from a new process
my ($new_version, $new_pid) = ('', 0);
my $deadline = time + 15;
while (time < $deadline) {
    ($new_version, $new_pid) = split ' ', (GET_BODY("$base/api/version") // '');
    last if ($new_version // '') eq 'v2';
    sleep 0.2;
}
t_debug("after: $new_version $new_pid (before: $old_pid)");
ok($new_version eq 'v2');
ok($new_pid && $new_pid != $old_pid);

# the old worker drained and left
my $gone = 0;
for (1 .. 50) {
    $gone = !kill(0, $old_pid);
    last if $gone;
    sleep 0.1;
}
ok($gone);

# the restarted server still serves the other apps
ok(GET_BODY(base_url() . '/api/hello?name=again') eq 'Hello, again!');
