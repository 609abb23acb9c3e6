# `apachectl configtest` refuses bad values with one line naming the
# directive and the accepted range; never a silent clamp.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(standalone_conf configtest t_dir);

my $app = t_dir() . '/apps/waves';
my @bad = (
    (map { ["FunctionsWorkerProcessCount $_",
            qr/^FunctionsWorkerProcessCount must be an integer from 1 to 10, not '\Q$_\E'$/m] }
         qw(0 11 -1 abc 3x)),
    (map { ["PythonThreadpoolThreadCount $_",
            qr/^PythonThreadpoolThreadCount must be an integer from 1 to 32, not '\Q$_\E'$/m] }
         qw(0 33 -1 abc 3x)),
    ["FunctionApp /nonexistent/app",
     qr/^FunctionApp: '\/nonexistent\/app' is not a directory$/m],
    ["FunctionAppSetting FUNCTIONS_WORKER_PROCESS_COUNT 11",
     qr/FA001: FUNCTIONS_WORKER_PROCESS_COUNT must be an integer from 1 to 10, not '11' \(app setting; or set FunctionsWorkerProcessCount\)$/m],
    ["FunctionAppSetting PYTHON_THREADPOOL_THREAD_COUNT 0",
     qr/FA001: PYTHON_THREADPOOL_THREAD_COUNT must be an integer from 1 to 32/m],
    ["FunctionHandler hi missing.py",
     qr/^FunctionHandler: '.*missing\.py' is not a readable file$/m],
    ["FunctionAppSetting FUNCTIONS_REQUEST_BODY_SIZE_LIMIT 2GB",
     qr/FA001: FUNCTIONS_REQUEST_BODY_SIZE_LIMIT must be an integer from 1 to 2147483647, not '2GB' \(app setting, in bytes\)$/m],
    ["FunctionTimeout 1:2",
     qr/^FunctionTimeout must be SECONDS, hh:mm:ss or off, not '1:2'$/m],
    (map { ["FunctionAppSuspend $_",
            qr/^FunctionAppSuspend must be on \[after=MS\] \[threads=PCT\] or off, MS a whole number from 0 to 1000, PCT from 0 to 100, not '\Q$_\E'$/m] }
         ('on after=1001', 'off after=5', 'maybe', 'on threads=101',
          'on threads=5 threads=6')),
    ["FunctionHandler hi function_app.py authLevel=root",
     qr/^FunctionHandler: authLevel must be anonymous, function or admin, not 'root'$/m],
);

plan tests => 2 * @bad + 6;

for my $case (@bad) {
    my ($line, $re) = @$case;
    my $s = standalone_conf(config => "FunctionApp $app\n$line\n");
    $s->{conf} =~ s/FunctionApp \Q$app\E\n(FunctionApp)/$1/;
    my ($rc, $out) = configtest($s);
    t_debug("$line => $out");
    ok($rc != 0);
    ok($out =~ $re);
}

# host.json that is not JSON, and one that is not an object
for my $json ('{"version": ', '[1]') {
    my $dir = File::Temp::tempdir(t_dir() . '/broken-XXXXXX', CLEANUP => 1);
    open my $fh, '>', "$dir/host.json" or die;
    print $fh $json;
    close $fh;
    my ($rc, $out) = configtest(standalone_conf(config => "FunctionApp $dir\n"));
    t_debug($out);
    ok($rc != 0);
    ok($out =~ /FA001: FunctionApp: \Q$dir\E\/host\.json is not a JSON object/);
}

# a good configuration passes
{
    my ($rc, $out) = configtest(standalone_conf(config =>
        "FunctionApp $app\nFunctionsWorkerProcessCount 10\n"
        . "PythonThreadpoolThreadCount 32\n"));
    ok($rc == 0);
    ok($out =~ /Syntax OK/);
}
