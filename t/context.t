# The worker as Azure's: Context with the worker's attribute names, the
# app root as working directory (the handler's directory for a
# FunctionHandler-only app), the app's .venv, FunctionAppPythonHome and
# FunctionAppPythonPath on sys.path, and a venv for another Python refused
# by configtest.  One httpd of our own: the main server has only a
# FunctionHandler; two virtual hosts serve a copy of t/apps/context, one
# with its .venv and FunctionAppPythonPath, one with FunctionAppPythonHome.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp t_debug);
use File::Path ();
use File::Temp ();
use HTTP::Request ();
use Time::HiRes ();
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(standalone_conf standalone_start standalone_stop configtest
                   t_dir body_json free_port);

plan tests => 29;

my $py = '/usr/bin/python3';
chomp(my $pyver = `$py -c 'import sys; print("%d.%d" % sys.version_info[:2])'`);

sub put {
    my ($path, $text) = @_;
    (my $dir = $path) =~ s{/[^/]+$}{};
    File::Path::make_path($dir);
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh;
}

sub venv {
    my ($dir, $where) = @_;
    system($py, '-m', 'venv', '--without-pip', $dir) == 0 or die "venv $dir";
    put("$dir/lib/python$pyver/site-packages/funcapp_venv_probe.py", "WHERE = '$where'\n");
    put("$dir/lib/python$pyver/site-packages/funcapp_order_probe.py", "WHERE = '$where'\n");
}

my $tmp = File::Temp::tempdir(t_dir() . '/context-XXXXXX', CLEANUP => 1);
my $app = "$tmp/app";
system('cp', '-r', t_dir() . '/apps/context', $app) == 0 or die 'cp';
venv("$app/.venv", 'venv');
venv("$tmp/home", 'home');
put("$app/extra/funcapp_path_probe.py", "WHERE = 'path'\n");
put("$app/extra/funcapp_order_probe.py", "WHERE = 'path'\n");
# what the system lacks stays lacking: the probes are nowhere else
ok t_cmp(system("$py -c 'import funcapp_venv_probe' 2>/dev/null") != 0, 1,
         'the system has no funcapp_venv_probe');

my %port = map { $_ => free_port() } qw(venv home);
my $s = standalone_conf(config => <<"CONF");
FunctionAppKeys off
FunctionHandler cwd $app/handler/cwd.py
Listen 127.0.0.1:$port{venv}
Listen 127.0.0.1:$port{home}
<VirtualHost 127.0.0.1:$port{venv}>
FunctionApp $app
FunctionAppPythonPath extra
</VirtualHost>
<VirtualHost 127.0.0.1:$port{home}>
FunctionApp $app
FunctionAppPythonHome $tmp/home
</VirtualHost>
CONF
ok standalone_start($s);
my %base = (main => $s->{base}, map { $_ => "http://127.0.0.1:$port{$_}" } keys %port);
for my $b (values %base) {   # each app's worker imports at start-up
    for (1 .. 100) {
        last if GET("$b/api/cwd")->code != 503;
        Time::HiRes::sleep(0.1);
    }
}

# --- Context, as the function sees it -----------------------------------------------

my $tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
my $res = Apache::TestRequest::user_agent()->request(HTTP::Request->new(
    GET => "$base{venv}/api/ctx", [traceparent => $tp, tracestate => 'congo=t61']));
my $c = body_json($res);
t_debug($res->content);
ok t_cmp($res->code, 200, 'the Context route answers');
ok t_cmp($c->{Traceparent}, $tp, 'trace_context.Traceparent (the worker name)');
ok t_cmp($c->{Tracestate}, 'congo=t61', 'trace_context.Tracestate');
ok t_cmp(ref $c->{Attributes}, 'HASH', 'trace_context.Attributes: a dict');
ok t_cmp("$c->{trace_parent} $c->{trace_state}", "$tp congo=t61",
         'the library names: trace_parent, trace_state');
ok t_cmp("$c->{retry_count}/$c->{max_retry_count}", '0/0', 'retry_context: counts 0');
ok t_cmp("[$c->{exception_message}][$c->{rpc_exception_source}]", '[][]',
         'retry_context.exception / rpc_exception: empty');
ok t_cmp($c->{invocation_id}, qr/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
         'invocation_id: a GUID');
ok t_cmp($c->{tls_invocation_id}, $c->{invocation_id},
         'thread_local_storage.invocation_id is the invocation');
my $c2 = body_json(GET "$base{venv}/api/ctx");
ok t_cmp($c2->{tls_invocation_id} ne $c->{invocation_id}
         && $c2->{tls_invocation_id} eq $c2->{invocation_id}, 1, '... set per invocation');
ok t_cmp("$c->{function_name} $c->{function_directory}", "ctx $app",
         'function_name, function_directory');

# --- the working directory -------------------------------------------------------

ok t_cmp($c->{cwd}, $app, 'os.getcwd() is the app root');
ok t_cmp($c->{data}, "beside function_app.py\n", 'open("data.txt") beside function_app.py');
$res = GET "$base{main}/api/cwd";
ok t_cmp($res->content, "$app/handler beside cwd.py\n",
         "FunctionHandler-only: the handler file's directory");

# --- venvs and FunctionAppPythonPath ---------------------------------------------

my $site = "lib/python$pyver/site-packages";
$res = GET "$base{venv}/api/probe/funcapp_venv_probe";
ok t_cmp($res->content, "venv $app/.venv/$site", "the app's .venv: a package the system lacks");
$res = GET "$base{venv}/api/probe/funcapp_path_probe";
ok t_cmp($res->content, "path $app/extra", 'FunctionAppPythonPath, relative to the app root');
$res = GET "$base{venv}/api/probe/funcapp_order_probe";
ok t_cmp($res->content, "path $app/extra", 'FunctionAppPythonPath comes before the venv');
$res = GET "$base{home}/api/probe/funcapp_venv_probe";
ok t_cmp($res->content, "home $tmp/home/$site", 'FunctionAppPythonHome wins over the .venv');
ok t_cmp(GET("$base{home}/api/probe/funcapp_path_probe")->code, 500,
         'without FunctionAppPythonPath, its directory is not on sys.path');
ok t_cmp(GET("$base{home}/api/ctx")->code, 200, 'the other app serves too');
ok standalone_stop($s);

# --- configtest: a venv for another Python, a missing directory ---------------------

File::Path::remove_tree("$app/.venv");
put("$app/.venv/pyvenv.cfg", "home = /usr/bin\ninclude-system-site-packages = false\n"
    . "version = 3.9.1\n");
File::Path::make_path("$app/.venv/lib/python3.9/site-packages");
my ($rc, $out) = configtest(standalone_conf(config => "FunctionApp $app\n"));
t_debug($out);
my @lines = grep { /3\.9/ } split /\n/, $out;
ok t_cmp($rc != 0, 1, 'a venv for Python 3.9: configtest fails');
ok t_cmp(scalar @lines, 1, '... with one line');
ok t_cmp($lines[0] // '', qr/FA091: FunctionApp: the virtual environment \Q$app\E\/\.venv is for Python 3\.9, but mod_funcapp runs Python \Q$pyver\E/,
         '... naming both versions');

# the same for FunctionAppPythonHome, told by its lib/python3.9 alone
File::Path::make_path("$tmp/old/lib/python3.9/site-packages");
($rc, $out) = configtest(standalone_conf(config =>
    "FunctionApp $app\nFunctionAppPythonHome $tmp/old\n"));
t_debug($out);
ok t_cmp($out, qr/FA091: FunctionAppPythonHome: the virtual environment \Q$tmp\E\/old is for Python 3\.9, but mod_funcapp runs Python \Q$pyver\E/,
         'FunctionAppPythonHome for Python 3.9: refused, both versions named');

($rc, $out) = configtest(standalone_conf(config =>
    "FunctionApp $app\nFunctionAppPythonHome $tmp/home\nFunctionAppPythonPath extra nowhere\n"));
t_debug($out);
ok t_cmp($out, qr/FA091: FunctionAppPythonPath: '\Q$app\E\/nowhere' is not a directory/,
         'FunctionAppPythonPath naming no directory: refused');
# (the same app with its 3.9 .venv passes when FunctionAppPythonHome names
# a good one: the .venv is then not looked at)
ok t_cmp($rc != 0, 1, '... configtest fails');
