# Function keys, end to end, in an httpd of our own at LogLevel trace8:
# which key opens which level (header, `code`, their precedence), keys in
# Azure's file layout (t/keys/) and from FunctionAppKey (literal, file:,
# env:), the generated host.json, the secure default and `off`, /admin/,
# FunctionHandler and v1 functions alike, a graceful restart reloading the
# keys, configtest refusing what cannot be used, and no key in the log.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET POST);
use Apache::TestUtil qw(t_cmp t_debug);
use Digest::SHA qw(sha256_hex);
use File::Copy ();
use JSON::PP ();
use Time::HiRes qw(sleep);
use URI::Escape qw(uri_escape);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(standalone_conf standalone_start standalone_stop configtest
                   t_dir free_port slurp poll_get);

plan tests => 72;

my $t = t_dir();
my $app = "$t/apps/keys";
my $appv1 = "$t/apps/keys_v1";
my $fixtures = "$t/keys";
my $json = JSON::PP->new->canonical;

# --- keys ---------------------------------------------------------------------------

my $az_host = $json->decode(slurp("$fixtures/azure/host.json"));
my %key = (
    master   => $az_host->{masterKey}{value},
    host     => $az_host->{functionKeys}[0]{value},
    ci       => $az_host->{functionKeys}[1]{value},      # Azure's older form: + / ==
    system   => $az_host->{systemKeys}[0]{value},
    fa       => $json->decode(slurp("$fixtures/azure/fa.json"))->{keys}[0]{value},
    github   => $json->decode(slurp("$fixtures/azure/fa.json"))->{keys}[1]{value},
    fb       => $json->decode(slurp("$fixtures/azure/fb.json"))->{keys}[0]{value},
    mixed    => $json->decode(slurp("$fixtures/azure/mixed.json"))->{keys}[0]{value},
    tool     => $json->decode(slurp("$fixtures/azure/tool.json"))->{keys}[0]{value},
    fmaster  => $json->decode(slurp("$fixtures/azure/master.json"))->{keys}[0]{value},
    fb_new   => '9kFMZd9ZFagpGAcmoEGXc78RT6d0lYWlKQKoMVPs3wZD4txeD7yhxQ',
    v1file   => 'X5TESJlYXcG33xQ6fTQb2h3r9wpYAWXnXUlAGGkOMrsAsEVYx94K1Q',
    v1new    => 'uUAexEoq7ux8wu-yOTOuLzNL2G_LZkrfF9OF5vW4RT6URojleGu1iQ',
    v1env    => '7AyYLFZTXZw5W7Fl9Oeoi1S4AN-skJEPYihqjxS_PbFrfEnenBucSA',
    v1master => 'vc8m1zG64lgMAapqBh54TlvGOVHcpwBNqjVP6_N1rdzRWrzZBO7ulQ',
);
my $wrong = 'not-a-key-at-all-0000000000000000000000000';

# --- helpers ------------------------------------------------------------------------

# A standalone httpd configuration; @DIR@ in it is its own directory.
sub conf_in_dir {
    my ($config) = @_;
    my $s = standalone_conf(config => $config);
    my $text = slurp($s->{conf});
    $text =~ s/\@DIR\@/$s->{dir}/g;
    open my $fh, '>', $s->{conf} or die "$s->{conf}: $!";
    print $fh $text;
    close $fh;
    return $s;
}

sub write_file {
    my ($path, $text, $mode) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh;
    chmod $mode, $path or die "chmod $path: $!";
}

# A copy of a fixture directory of t/keys, every file 0600.
sub copy_keys {
    my ($from, $to) = @_;
    mkdir $to, 0700 or die "$to: $!";
    for my $f (glob "$fixtures/$from/*.json") {
        (my $name = $f) =~ s{.*/}{};
        File::Copy::copy($f, "$to/$name") or die "copy $f: $!";
        chmod 0600, "$to/$name";
    }
}

sub get {
    my ($url, $k) = @_;
    return GET($url, defined $k ? ('x-functions-key' => $k) : ());
}

sub code_of { get(@_)->code }

sub q_code { 'code=' . uri_escape($_[0]) }

sub log_text {
    my ($s) = @_;
    return slurp($s->{log}) // '';
}

# Lines of $s's error log matching $re, waiting up to 3 s for $want.
sub log_grep {
    my ($s, $re, $want) = @_;
    my @lines;
    for (1 .. 30) {
        @lines = grep { $_ =~ $re } split /\n/, log_text($s);
        last if @lines >= ($want // 1);
        sleep 0.1;
    }
    return @lines;
}

# standalone_start, and when httpd does not come up, why (its log's end)
sub started {
    my ($s) = @_;
    return 1 if standalone_start($s);
    my @tail = (split /\n/, log_text($s))[-15 .. -1];
    t_debug(join "\n", 'httpd did not start:', grep { defined } @tail);
    return 0;
}

# standalone_stop, then until the httpd parent is gone: it removes its pid
# file first, and holds its listeners while its workers drain
sub stopped {
    my ($s) = @_;
    chomp(my $pid = slurp("$s->{dir}/httpd.pid") // '');
    my $ok = standalone_stop($s);
    for (1 .. 100) {
        last unless $pid && kill 0, $pid;
        sleep 0.1;
    }
    return $ok && !($pid && kill 0, $pid);
}

sub fn_of {
    my ($res) = @_;
    my $data = eval { $json->decode($res->content) } // {};
    return $data;
}

# --- one httpd: the secure default, generated keys, Azure's files, -----------------
# --- FunctionAppKey, and off ---------------------------------------------------------

my %port = map { $_ => free_port() } qw(gen azure v1 off);
$ENV{FUNCAPP_T_KEY} = $key{v1env};
my $s = conf_in_dir(<<"CONF");
LogLevel trace8
# the main server: no key directive anywhere, the secure default
FunctionApp $app
Listen 127.0.0.1:$port{gen}
Listen 127.0.0.1:$port{azure}
Listen 127.0.0.1:$port{v1}
Listen 127.0.0.1:$port{off}
<VirtualHost 127.0.0.1:$port{gen}>
    FunctionApp $app
    FunctionAppKeys \@DIR\@/generated
</VirtualHost>
<VirtualHost 127.0.0.1:$port{azure}>
    FunctionApp $app
    FunctionAppKeys \@DIR\@/azure
    FunctionHandler tool handlers/tool.py
    FunctionHandler pkg handlers/pkg/__init__.py authLevel=admin
</VirtualHost>
<VirtualHost 127.0.0.1:$port{v1}>
    FunctionApp $appv1
    FunctionAppKey v1key own file:\@DIR\@/v1key.secret
    FunctionAppKey host shared env:FUNCAPP_T_KEY
    FunctionAppKey master boss $key{v1master}
</VirtualHost>
<VirtualHost 127.0.0.1:$port{off}>
    FunctionApp $app
    FunctionAppKeys off
</VirtualHost>
CONF
my $dir = $s->{dir};
mkdir "$dir/generated", 0700 or die $!;
copy_keys('azure', "$dir/azure");
chmod 0644, "$dir/azure/fb.json";     # readable by others: FA005
write_file("$dir/v1key.secret", "$key{v1file}\n", 0600);
my $gen_file = "$dir/generated/host.json";

my ($rc, $out) = configtest($s);
t_debug("configtest: $out");
ok t_cmp($rc, 0, 'the configuration passes configtest');
ok t_cmp(-e $gen_file ? 'written' : 'absent', 'absent', 'configtest writes no host.json');

ok started($s);
my %base = (def => $s->{base}, map { $_ => "http://127.0.0.1:$port{$_}" } keys %port);
my @ready = map {
    my $url = $_ eq 'v1' ? "$base{$_}/api/v1open" : "$base{$_}/api/open";
    poll_get($url, sub { $_[0]->code == 200 }, 30)->code
} qw(def gen azure v1 off);
ok t_cmp("@ready", '200 200 200 200 200', 'every app answers its anonymous function');

# --- generated keys ------------------------------------------------------------------

my @st = stat $gen_file;
ok t_cmp(@st ? sprintf('%04o', $st[2] & 07777) : 'missing', '0600', 'host.json generated, mode 0600');
ok t_cmp(@st ? $st[4] : -1, $>, 'owned by the user httpd runs as');
my $gen = eval { $json->decode(slurp($gen_file) // '') } // {};
my $b64 = qr/^[A-Za-z0-9_-]{43}$/;
my $gm = $gen->{masterKey} // {};
my @gf = @{ $gen->{functionKeys} // [] };
t_debug('generated: ' . join(' ', map { "$_->{name}" } $gm, @gf));
ok(($gm->{name} // '') eq 'master' && ($gm->{value} // '') =~ $b64
   && !$gm->{encrypted});
ok(@gf == 1 && $gf[0]{name} eq 'default' && $gf[0]{value} =~ $b64
   && !$gf[0]{encrypted} && $gf[0]{value} ne ($gm->{value} // ''));
$key{gen_master} = $gm->{value} // 'none';
$key{gen_default} = @gf ? $gf[0]{value} : 'none';
my $gen_sum = sha256_hex(slurp($gen_file) // '');   # not the keys: they would be printed
my @fa004 = log_grep($s, qr/FA004:/);
t_debug("FA004: @fa004");
ok(@fa004 == 1 && $fa004[0] =~ /wrote new keys/ && index($fa004[0], $gen_file) >= 0);
ok t_cmp(code_of("$base{gen}/api/a", $key{gen_default}), 200, 'the generated default key opens a function');
ok t_cmp(code_of("$base{gen}/api/boss", $key{gen_master}), 200, 'the generated master key opens admin');
ok t_cmp(code_of("$base{gen}/api/boss", $key{gen_default}), 401, 'the default key does not');

# --- keys in Azure's file layout ---------------------------------------------------

my $az = $base{azure};
my $res = get("$az/api/a");
ok t_cmp($res->code . " [" . $res->content . "]", '401 []', 'no key: 401, empty body');
$res = get("$az/api/a", $key{fa});
ok t_cmp($res->code . ' ' . (fn_of($res)->{function} // ''), '200 fa',
         "the function's key in x-functions-key: it runs");
ok t_cmp(code_of("$az/api/a", $key{github}), 200, 'its second key (+ / == in it) too');
$res = get("$az/api/a?" . q_code($key{fa}));
ok t_cmp($res->code, 200, 'the key as ?code=');
ok t_cmp(fn_of($res)->{params}{code} // '', $key{fa}, 'code stays visible in req.params');
ok t_cmp(code_of("$az/api/a?" . q_code($key{github})), 200, '?code= percent-encoded');
ok t_cmp(join(' ', code_of("$az/api/a?" . q_code($key{fa}), $wrong),
              code_of("$az/api/a?" . q_code($wrong), $key{fa})), '401 200',
         'the header wins over code: a wrong header and a right code 401, the other way round 200');
ok t_cmp(code_of("$az/api/b", $key{fa}), 401, "function a's key refused on function b");
ok t_cmp(join(' ', map { my $k = $_; map { code_of("$az/api/$_", $k) } qw(a b mixed tool) }
                   @key{qw(host ci master)}),
         join(' ', (200) x 12), 'host keys and the master key open every function-level function');
ok t_cmp(code_of("$az/api/a", $key{system}), 401, 'a system key opens no function');
ok t_cmp(join(' ', map { code_of($_, $key{fmaster}) }
                   "$az/api/named/master", "$az/api/boss", "$az/admin/host/status", "$az/api/a"),
         '200 401 401 401', "function master: its keys (master.json) open it, and are no master keys");
ok t_cmp(join(' ', code_of("$az/api/named/system", $key{system}), code_of("$az/api/named/system", $key{host})),
         '401 200', 'system keys open no function, not even one named System');
ok t_cmp(code_of("$az/api/mixed", $key{mixed}), 200,
         'function Mixed: its keys from mixed.json (Azure names the file in lower case)');
$res = get("$az/api/tool", $key{tool});
ok t_cmp($res->code . ' ' . (fn_of($res)->{function} // ''), '200 tool',
         'FunctionHandler tool: its keys from tool.json');
ok t_cmp(code_of("$az/api/a", $key{tool}), 401, "tool's key refused on a");
ok t_cmp(join(' ', map { code_of("$az/api/boss", $key{$_}) } qw(master host ci fa)),
         '200 401 401 401', 'admin level: the master key only');
$res = get("$az/api/pkg", $key{master});
ok t_cmp($res->code . ' ' . (fn_of($res)->{function} // ''), '200 pkg',
         'FunctionHandler of an __init__.py, authLevel=admin: named pkg, the master key opens it');
ok t_cmp(code_of("$az/api/pkg", $key{host}), 401, '... a host key does not');
ok t_cmp(join(' ', code_of("$az/api/open"), code_of("$az/api/open", $wrong)), '200 200',
         'anonymous: no key needed, a wrong one ignored');
$res = get("$az/admin/host/status", $key{host});
ok t_cmp(join(' ', code_of("$az/admin/host/status"), $res->code, '[' . $res->content . ']',
              code_of("$az/admin/host/status", $key{fa})),
         '401 401 [] 401', '/admin/: 401 without the master key (also with a host or function key)');
ok t_cmp(join(' ', code_of("$az/admin/host/status", $key{master}), code_of("$az/admin/nothing", $key{master})),
         '200 404', '/admin/ with the master key: the host status, 404 for what is not served');
my @fa064 = log_grep($s, qr/FA064:.*\bfb\b/);
t_debug("FA064: @fa064");
ok(@fa064 >= 1 && $fa064[0] =~ /127\.0\.0\.1/);
my @fa005 = log_grep($s, qr/FA005:/);
t_debug("FA005: @fa005");
ok((grep { /fb\.json/ } @fa005) && !(grep { /fa\.json/ } @fa005));

# --- FunctionAppKey: file:, env:, literal; a v1 app -----------------------------------

my $v1 = $base{v1};
ok t_cmp(code_of("$v1/api/v1key"), 401, 'v1, authLevel function: 401 without a key');
ok t_cmp(code_of("$v1/api/v1key", $key{v1file}), 200, 'FunctionAppKey file: (trailing newline stripped)');
$res = get("$v1/api/v1key?" . q_code($key{v1file}));
ok t_cmp($res->code . ' ' . (fn_of($res)->{params}{code} // ''), "200 $key{v1file}",
         'v1: ?code= opens it, and the function sees code');
ok t_cmp(join(' ', map { code_of("$v1/api/$_", $key{v1env}) } qw(v1key v1default)), '200 200',
         'FunctionAppKey host ... env: opens every function-level function');
ok t_cmp(code_of("$v1/api/v1default", $key{v1file}), 401,
         "v1key's key refused on v1default (no authLevel: function)");
ok t_cmp(join(' ', map { code_of("$v1/api/v1admin", $_) } @key{qw(v1master v1env v1file)}),
         '200 401 401', 'v1, authLevel admin: FunctionAppKey master only');
ok t_cmp(code_of("$v1/api/v1open"), 200, 'v1, anonymous: open');
$res = POST("$v1/api/v1key", content => '');
ok t_cmp($res->code . ' ' . ($res->header('Allow') // ''), '405 GET',
         'a method the function does not take: 405 (no function matched, no key asked)');
ok t_cmp(code_of("$v1/api/v1key", $key{master}), 401, "another virtual host's keys do not apply");
ok t_cmp(fn_of(get("$base{def}/api/open?env=FUNCAPP_T_KEY"))->{env_set} ? 'set' : 'unset', 'unset',
         "an env: key's variable is not in the workers' environment");

# --- the secure default, and off -------------------------------------------------------

my $def = $base{def};
ok t_cmp(join(' ', code_of("$def/api/a"), code_of("$def/api/a", $key{master}),
              code_of("$def/api/boss", $key{master}), code_of("$def/admin/host/status", $key{master})),
         '401 401 401 401', 'no key directive: function and admin levels and /admin/ answer 401');
my @fa021 = log_grep($s, qr/FA021:/);
t_debug("FA021: @fa021");
ok(@fa021 == 1 && $fa021[0] =~ /FunctionAppKeys/ && $fa021[0] =~ /\bfa\b/ && $fa021[0] =~ /\bfb\b/
   && $fa021[0] =~ /\bboss\b/ && $fa021[0] =~ /\bMixed\b/ && $fa021[0] !~ /\bhello\b/);
my $off = $base{off};
ok t_cmp(join(' ', map { code_of("$off/api/$_") } qw(a b boss)), '200 200 200',
         'FunctionAppKeys off: no key checked');
ok t_cmp(code_of("$off/admin/host/status"), 404, 'off: /admin/ is a 404 without a key');
my @fa020 = log_grep($s, qr/FA020:/);
t_debug("FA020: @fa020");
ok(@fa020 == 1 && $fa020[0] =~ /\[funcapp:warn\]/ && $fa020[0] =~ /\bfa\b/
   && $fa020[0] =~ /\bboss\b/ && $fa020[0] !~ /\bhello\b/);

# --- a graceful restart reloads the keys ----------------------------------------------

write_file("$dir/azure/fb.json", $json->pretty->encode({
    keys => [{ name => 'rotated', value => $key{fb_new}, encrypted => JSON::PP::false }],
    hostName => 'funcapp-keys-demo.azurewebsites.net',
    instanceId => '0000000000000000000000004B1D5E37', source => 'runtime',
    decryptionKeyId => '' }), 0644);
write_file("$dir/v1key.secret", "$key{v1new}\n", 0600);
ok t_cmp(code_of("$az/api/b", $key{fb}), 200, 'before the restart: the old key of b works');
chomp(my $httpd_pid = slurp("$dir/httpd.pid") // '');
kill 'USR1', $httpd_pid;
ok t_cmp(poll_get("$az/api/b", sub { $_[0]->code == 200 }, 30, 'x-functions-key' => $key{fb_new})->code,
         200, 'after a graceful restart: a key added to a file works');
ok t_cmp(poll_get("$az/api/b", sub { $_[0]->code == 401 }, 10, 'x-functions-key' => $key{fb})->code,
         401, 'a removed key answers 401');
ok t_cmp(join(' ', poll_get("$v1/api/v1key", sub { $_[0]->code == 200 }, 30,
                            'x-functions-key' => $key{v1new})->code,
              code_of("$v1/api/v1key", $key{v1file})),
         '200 401', 'file: re-read: the new key works, the old one is refused');
ok t_cmp(code_of("$az/api/a", $key{fa}), 200, 'unchanged keys still work');
ok t_cmp(sha256_hex(slurp($gen_file) // ''), $gen_sum, 'generated host.json not rewritten by the restart');
ok t_cmp(scalar(log_grep($s, qr/FA004:/)), 1, 'nor logged as written again');

# --- the next start reads the generated keys --------------------------------------------

ok stopped($s);
ok started($s);
ok t_cmp(poll_get("$base{gen}/api/open", sub { $_[0]->code == 200 }, 30)->code, 200,
         'started again');
ok t_cmp(sha256_hex(slurp($gen_file) // ''), $gen_sum, 'host.json: the same bytes after a stop and a start');
ok t_cmp(code_of("$base{gen}/api/a", $key{gen_default}), 200, 'the generated key still works');
ok t_cmp(scalar(log_grep($s, qr/FA004:/)), 1, 'no new keys written');
ok stopped($s);

# --- no key value in the log, at LogLevel trace8 ----------------------------------------

# httpd itself logs the request line (core, trace5) and the request headers
# (http, trace4) at these levels, keys and all: those are not the module's.
my @all = split /\n/, log_text($s);
my $httpd_dump = qr/^\[[^\]]+\] \[(?:core|http):trace\d\] /;
my @leaks;
for my $name (sort keys %key) {
    push @leaks, map { "$name: $_" } grep { index($_, $key{$name}) >= 0 && $_ !~ $httpd_dump } @all;
    my $escaped = uri_escape($key{$name});
    push @leaks, map { "$name (escaped): $_" }
                 grep { $escaped ne $key{$name} && index($_, $escaped) >= 0 && $_ !~ $httpd_dump } @all;
}
my @dumped = grep { my $k = $_; grep { index($_, $k) >= 0 } @all } values %key;
t_debug("log: " . length(log_text($s)) . " bytes, " . scalar(@all) . " lines; keys in httpd's own"
        . " dumps: " . scalar(@dumped) . "; leaks: " . join("\n", @leaks));
# the log is the whole story: trace8 in effect, and the keys sent are there
# (in httpd's own dumps), so a leak would have been seen
ok(@all > 100 && @dumped >= 10);
ok t_cmp(scalar(@leaks), 0, 'no key value in any line the module or a worker wrote');

# --- configtest refuses keys it cannot use, in one line ---------------------------------

sub refused {
    my ($config, $prepare, $re, $what) = @_;
    my $c = conf_in_dir("FunctionApp $app\n$config\n");
    $prepare->($c->{dir});
    my ($rc, $out) = configtest($c);
    t_debug("$what: $out");
    my @lines = grep { /FunctionAppKeys/ } split /\n/, $out;
    ok($rc != 0 && @lines == 1 && $lines[0] =~ $re);
    return $out;
}

my $enc = refused('FunctionAppKeys @DIR@/keys', sub { copy_keys('encrypted', "$_[0]/keys") },
                  qr/encrypt.*Azure|Azure.*encrypt/i, 'encrypted: true');
ok($enc !~ /CfDJ8/);
refused('FunctionAppKeys @DIR@/missing', sub { }, qr/missing/, 'a missing DIR');
refused('FunctionAppKeys @DIR@/file', sub { write_file("$_[0]/file", "{}\n", 0600) },
        qr/file/, 'DIR is a file');
refused('FunctionAppKeys @DIR@/keys', sub {
            mkdir "$_[0]/keys", 0700;
            write_file("$_[0]/keys/host.json", '{"masterKey": {"name": "master", ', 0600);
        }, qr/host\.json/, 'malformed host.json');
if ($> == 0) {
    skip('root reads any directory');
}
else {
    my $locked;
    refused('FunctionAppKeys @DIR@/locked', sub { $locked = "$_[0]/locked"; mkdir $locked, 0000 },
            qr/locked/, 'an unreadable DIR');
    chmod 0700, $locked;
}
