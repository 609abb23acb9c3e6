# Python logging and print reach httpd's error log with the function name
# and invocation id, honouring LogLevel; an app that fails to import
# answers 500 and says why in one line.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET POST);
use Apache::TestUtil qw(t_cmp);
use Time::HiRes ();
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(log_since log_size);

plan tests => 25;

my $ID = qr/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

# --- LogLevel warn funcapp:info (extra.conf.in) --------------------------------

my $base = FuncappTest::base_url('model_v2');
my $pid = GET("$base/api/pid")->content;
my $tag = "t$$" . int(rand 1e6);
my $res = GET "$base/api/logs?tag=$tag";
my $id = $res->content;
ok t_cmp($id, qr/^$ID$/, 'the function returns its invocation id');
my @lines = log_since(0, qr/\Q$id\E/, 4);
my $where = qr/\[pid $pid:tid \d+\] logs \Q$id\E: /;
ok t_cmp(scalar(grep { /\[funcapp:info\] $where\Qinfo-line $tag\E$/ } @lines), 1,
         'logging.info: an info line with function name and invocation id');
ok t_cmp(scalar(grep { /\[funcapp:warn\] $where\Qwarning-line $tag\E$/ } @lines), 1,
         'logging.warning (a child logger): a warn line');
ok t_cmp(scalar(grep { /\[funcapp:info\] $where\Qprint-line $tag\E$/ } @lines), 1,
         'print: an info line');
ok t_cmp(scalar(grep { /\[funcapp:warn\] $where\Qstderr-line $tag\E$/ } @lines), 1,
         'print to sys.stderr: a warn line');
ok t_cmp(scalar(grep { /debug-line/ } @lines), 0, 'logging.debug below LogLevel: absent');
ok t_cmp(scalar(@lines), 4, 'nothing else carries the invocation id');

# --- LogLevel funcapp:warn in the virtual host -----------------------------------

my $quiet = FuncappTest::base_url('model_quiet');
$tag = "q$$" . int(rand 1e6);
$id = GET("$quiet/api/logs?tag=$tag")->content;
ok t_cmp($id, qr/^$ID$/, 'quiet vhost: the function ran');
@lines = log_since(0, qr/\Q$id\E/, 2);
ok t_cmp(scalar(grep { /\[funcapp:warn\] .* logs \Q$id\E: \Qwarning-line $tag\E$/ } @lines), 1,
         'quiet vhost: logging.warning still logged');
ok t_cmp(scalar(grep { /\[funcapp:warn\] .* logs \Q$id\E: \Qstderr-line $tag\E$/ } @lines), 1,
         'quiet vhost: stderr still logged');
ok t_cmp(scalar(grep { /info-line|print-line/ } @lines), 0,
         'quiet vhost: logging.info and print are not');
ok t_cmp(scalar(@lines), 2, 'quiet vhost: only the two warnings');

# --- an app that fails to import -------------------------------------------------

my $broken = FuncappTest::base_url('model_broken');
my $file = qr{\S+/apps/model_broken/function_app\.py};
my $why = qr{ModuleNotFoundError: No module named 'model_broken_missing_dependency'};
for my $case (['GET', '/api/fine'], ['GET', '/api/'], ['POST', '/api/any/thing']) {
    my ($method, $path) = @$case;
    my $from = log_size();
    $res = $method eq 'GET' ? GET("$broken$path") : POST("$broken$path", content => 'x');
    ok t_cmp($res->code, 500, "broken app: $method $path answers 500");
    ok t_cmp($res->content, qr/^(?!.*(?:ModuleNotFound|Traceback|model_broken))/s,
             'no reason in the body');
    my @why = log_since($from, qr/$file: $why/);
    ok t_cmp(scalar(@why), 1, 'one error-log line names the file and the exception');
}
ok t_cmp(GET("$broken/other/path")->code, 404, 'broken app: outside the prefix, plain 404');

# Once per worker start: one line with file and exception (the traceback
# that follows names each on its own line).
# (a worker may be between its two lines: wait until they agree)
my (@ready, @startup);
for (1 .. 30) {
    @ready = log_since(0, qr{FA010: .* for \S+/apps/model_broken$});
    @startup = log_since(0, qr/cannot load function function_app: $file: $why/);
    last if @ready && @ready == @startup;
    Time::HiRes::sleep(0.1);
}
ok t_cmp(scalar(@startup), scalar(@ready), 'at start-up, one line per worker start');
ok @ready >= 1;
ok t_cmp(GET("$base/api/ret/str")->code, 200, 'other apps unaffected');
