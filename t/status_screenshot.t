# The status page as a phone's browser shows it: headless Chromium takes a
# 412 x 900 screenshot (a PNG of that size, not one flat colour) and dumps
# the DOM it built, in which a worker's pid is.  Skipped only without
# Debian's chromium.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_debug);
use File::Temp qw(tempdir);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(base_url wait_for_pids t_dir);

my $chromium = '/usr/bin/chromium';
plan tests => 4, need { 'Debian\'s chromium is not installed (apt-get install chromium)' => -x $chromium };

my $base = base_url('status');
my @pids = wait_for_pids($base, 2);
ok(@pids == 2);

my $home = tempdir(CLEANUP => 1);
my $png = "$home/status.png";
# Chromium wants a HOME it can write; each run is bounded by timeout(1).
my @chrome = ('env', "HOME=$home", 'timeout', '60', $chromium, '--headless',
              '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
              "--user-data-dir=$home/profile", '--window-size=412,900');
# its dbus and GPU complaints go to a file of their own, not the report
my $log = t_dir() . '/logs/chromium.log';
sub quiet {
    my ($run) = @_;
    open my $saved, '>&', \*STDERR or die $!;
    open STDERR, '>>', $log or die "$log: $!";
    my @r = $run->();
    open STDERR, '>&', $saved or die $!;
    return @r;
}
quiet(sub { system(@chrome, "--screenshot=$png", "$base/funcapp-status") }) == 0
    or t_debug("chromium --screenshot: $?; see $log");
ok(-s $png);
# kept for a person to look at (FUNCAPP_KEEP_TEST_DIR=1 keeps t/logs)
system('cp', $png, t_dir() . '/logs/status.png');
my $stats = `/usr/bin/python3 ${\ t_dir()}/bin/png_stats $png`;
t_debug("png: $stats");
my ($w, $h, $colours) = split ' ', $stats // '';
ok(($w // 0) == 412 && ($h // 0) == 900 && ($colours // 0) > 10);

my ($html) = quiet(sub {
    open my $dom, '-|', @chrome, '--dump-dom', "$base/funcapp-status"
        or die "chromium: $!";
    my $text = do { local $/; <$dom> } // '';
    close $dom;
    return $text;
});
ok(grep { $html =~ /<td class="pid">$_</ } @pids);
