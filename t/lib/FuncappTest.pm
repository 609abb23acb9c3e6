# Helpers shared by mod_funcapp's Apache::Test files.
package FuncappTest;
use strict;
use warnings FATAL => 'all';

use Apache::Test ();
use Apache::TestRequest ();
use JSON::PP ();
use Time::HiRes ();
use Exporter 'import';

our @EXPORT_OK = qw(fire base_url worker_pids wait_for_pids t_dir error_log);

sub t_dir { Apache::Test::vars('t_dir') }

# Says why a check failed, on stderr as a TAP comment: CI keeps only the
# tail of a failing run, where t_debug's lines (shown with -verbose) are
# not.
sub why {
    print STDERR map { "# $_\n" } map { split /\n/ } @_;
    return;
}

push @EXPORT_OK, 'why';

sub error_log { t_dir() . '/logs/error_log' }

# http://host:port of a virtual host of extra.conf.in (or the main server).
sub base_url {
    my ($vhost) = @_;
    Apache::TestRequest::module($vhost // 'default');
    my $hp = Apache::TestRequest::hostport();
    Apache::TestRequest::module('default');
    return "http://$hp";
}

# N requests released together; returns the list of
# {status, seconds, body} sorted by completion time.
sub fire {
    my ($url, $n, @opts) = @_;
    my $bin = t_dir() . '/bin/waves';
    my $out = `/usr/bin/python3 $bin --json @opts '$url' $n`;
    die "fire failed: $?" if $?;
    return @{ JSON::PP::decode_json($out)->{results} };
}

# The distinct worker pids that answer /api/pid on $base, asked $n at a
# time with a short sleep so every worker gets some.
sub worker_pids {
    my ($base, $n) = @_;
    my %pids = map { $_->{body} => 1 }
               grep { $_->{status} == 200 }
               fire("$base/api/sleep/0.3", $n);
    return sort keys %pids;
}

# Waits until $want distinct workers answer (they start in parallel, but
# Python start-up takes a moment); returns them.
sub wait_for_pids {
    my ($base, $want, $timeout) = @_;
    my $deadline = Time::HiRes::time() + ($timeout // 20);
    my @pids;
    while (Time::HiRes::time() < $deadline) {
        @pids = worker_pids($base, $want);
        return @pids if @pids >= $want;
        Time::HiRes::sleep(0.2);
    }
    return @pids;
}

1;

package FuncappTest;

use Time::Local ();

# Error-log records as [epoch seconds, line] for lines matching $re.
sub log_lines {
    my ($re) = @_;
    my %mon = (Jan => 0, Feb => 1, Mar => 2, Apr => 3, May => 4, Jun => 5,
               Jul => 6, Aug => 7, Sep => 8, Oct => 9, Nov => 10, Dec => 11);
    open my $fh, '<', error_log() or return ();
    my @found;
    while (my $line = <$fh>) {
        next unless $line =~ $re;
        next unless $line =~ /^\[\w+ (\w+) +(\d+) (\d+):(\d+):(\d+)(\.\d+)? (\d+)\]/;
        my $t = Time::Local::timelocal($5, $4, $3, $2, $mon{$1}, $7)
              + ($6 // 0);
        push @found, [$t, $line];
    }
    return @found;
}

push @EXPORT_OK, 'log_lines';

1;

package FuncappTest;

use File::Temp ();
use IO::Socket::INET ();

# A throw-away httpd of our own (for configtest, other MPMs, stop), beside
# the Apache::Test one.  Returns {dir, port, conf, log}.
sub standalone_conf {
    my (%o) = @_;
    my $mpm = $o{mpm} // 'event';
    my $t = t_dir();
    my $dir = File::Temp::tempdir("$t/standalone-XXXXXX", CLEANUP => 1);
    my $port = free_port();
    my $mods = '/usr/lib/apache2/modules';
    open my $fh, '>', "$dir/httpd.conf" or die $!;
    print $fh <<"CONF";
ServerRoot $dir
DefaultRuntimeDir $dir
PidFile $dir/httpd.pid
ErrorLog $dir/error_log
LogLevel warn funcapp:info
Listen 127.0.0.1:$port
ServerName 127.0.0.1
LoadModule mpm_${mpm}_module $mods/mod_mpm_${mpm}.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule funcapp_module $t/../mod_funcapp.so
$o{config}
CONF
    close $fh;
    return { dir => $dir, port => $port, conf => "$dir/httpd.conf",
             log => "$dir/error_log", base => "http://127.0.0.1:$port" };
}

sub httpd_bin { Apache::Test::vars('httpd') }

# `httpd -t`: (exit status, output)
sub configtest {
    my ($s) = @_;
    my $bin = httpd_bin();
    my $out = `$bin -t -f $s->{conf} 2>&1`;
    return ($? >> 8, $out);
}

# Starts $s and waits for its port; on failure says what httpd said.
# 30 s, not the 1-2 s it takes here: a loaded CI machine is slower.
sub standalone_start {
    my ($s) = @_;
    my $bin = httpd_bin();
    my $said = `$bin -f $s->{conf} -k start 2>&1`;
    if ($? == 0) {
        for (1 .. 300) {
            return 1 if IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                              PeerPort => $s->{port});
            Time::HiRes::sleep(0.1);
        }
    }
    my @log = split /\n/, slurp($s->{log}) // '(no error_log)';
    why("httpd -k start (exit $?) did not answer on port $s->{port}: $said",
        @log > 20 ? @log[-20 .. -1] : @log);
    return 0;
}

sub standalone_stop {
    my ($s) = @_;
    my $bin = httpd_bin();
    system("$bin -f $s->{conf} -k stop");
    for (1 .. 100) {
        return 1 unless -e "$s->{dir}/httpd.pid";
        Time::HiRes::sleep(0.1);
    }
    return 0;
}

push @EXPORT_OK, qw(standalone_conf configtest standalone_start
                    standalone_stop);

1;

package FuncappTest;

# Response helpers of the programming-model tests.
my $json = JSON::PP->new->canonical;

# The JSON body of a response, or {undecodable => "code body"}.
sub body_json {
    my ($res) = @_;
    my $data = eval { $json->decode($res->content) };
    return $data // { undecodable => $res->code . ' ' . $res->content };
}

sub answer {
    my ($res) = @_;
    return $res->code . ' ' . $res->content;
}

sub log_size { -s error_log() || 0 }

# Error-log lines since byte $from matching $re, waiting a little for $want
# of them: workers write the log from another process.
sub log_since {
    my ($from, $re, $want) = @_;
    my @found;
    for (1 .. 30) {
        open my $fh, '<', error_log() or die "error_log: $!";
        seek $fh, $from, 0;
        @found = grep { $_ =~ $re } <$fh>;
        close $fh;
        last if @found >= ($want // 1);
        Time::HiRes::sleep(0.1);
    }
    return @found;
}

push @EXPORT_OK, qw(body_json answer log_size log_since);

1;

package FuncappTest;

# Helpers of t/keys.t: more ports for the virtual hosts of a standalone
# httpd, a file's bytes, and polling a URL until it answers as wanted.

# A free TCP port on 127.0.0.1 (for another Listen of a standalone httpd),
# never one this test was given before: the kernel may hand out a port
# again once its probe is closed, and two Listens of one httpd on the same
# port stop it from starting.
my %ports_given;

sub free_port {
    for (1 .. 100) {
        my $probe = IO::Socket::INET->new(Listen => 1,
                                          LocalAddr => '127.0.0.1',
                                          LocalPort => 0) or die $!;
        my $port = $probe->sockport;
        close $probe;
        return $port if !$ports_given{$port}++;
    }
    die "no new free port in 100 tries\n";
}

sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or return undef;
    local $/;
    return scalar <$fh>;
}

# GETs $url (with the request headers @headers) until $ok->($res) holds or
# $timeout seconds pass; returns the last response.
sub poll_get {
    my ($url, $ok, $timeout, @headers) = @_;
    my $deadline = Time::HiRes::time() + ($timeout // 20);
    my $res;
    while (1) {
        $res = Apache::TestRequest::GET($url, @headers);
        return $res if $ok->($res) || Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.2);
    }
}

push @EXPORT_OK, qw(free_port slurp poll_get);

1;

package FuncappTest;

# The function list at start of the app whose directory matches $app_re:
# its FA095 lines, and the FA096 lines of the worker that logged the
# first (lines of several apps interleave; a worker's pid tells them
# apart).  Waits a little for them.
sub function_list {
    my ($app_re) = @_;
    for (1 .. 50) {
        my @head = grep { /FA095: function app $app_re/ } log_since(0, qr/FA095: /, 0);
        if (@head && $head[0] =~ /\[pid (\d+)/) {
            my $pid = $1;
            my @lines = grep { /\[pid $pid\b/ } log_since(0, qr/FA096: /, 0);
            return (\@head, [map { /FA096: (.*)$/ ? $1 : () } @lines]);
        }
        Time::HiRes::sleep(0.1);
    }
    return ([], []);
}

push @EXPORT_OK, 'function_list';

1;

package FuncappTest;

# One response read as it streams (t/bin/stream_read): {status, headers,
# head_s, chunks [[s, bytes]...], bytes, complete, total_s, body,
# rss_growth_kb}.
sub read_stream {
    my ($url, @opts) = @_;
    my $bin = t_dir() . '/bin/stream_read';
    my $out = `/usr/bin/python3 $bin '$url' @opts`;
    die "stream_read failed: $?" if $?;
    return JSON::PP::decode_json($out);
}

push @EXPORT_OK, qw(read_stream);

1;
