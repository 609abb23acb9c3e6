# Streamed responses: a generator or async generator body, a Flask
# streaming response through WsgiFunctionApp and a FastAPI
# StreamingResponse through AsgiFunctionApp reach the client chunk by chunk
# while the function still runs (timestamps), chunked; Server-Sent Events;
# a function failing mid-stream and a stream past the function timeout are
# cut short; a client that goes away stops the generator (its `finally`
# runs); a 300 MiB download keeps the worker's and the httpd children's
# memory flat; the sync parts again under the worker and prefork MPMs.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_cmp t_debug);
use JSON::PP ();
use Time::HiRes qw(sleep time);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(base_url log_size log_since read_stream t_dir standalone_conf
                   standalone_start standalone_stop);

my @mpms = qw(worker prefork);
plan tests => 57 + 6 * @mpms;

sub first_s { $_[0]{chunks}[0][0] // 99 }

# The error log has $re since $from, waiting up to $secs for it.
sub logged_within {
    my ($from, $re, $secs) = @_;
    my $until = time() + $secs;
    while (time < $until) {
        return 1 if log_since($from, $re);
        sleep 0.1;
    }
    return 0;
}

# A stream of 5 chunks 300 ms apart: the first well before the function
# is done, the whole about 1.2 s; chunked, no length.
sub check_paced {
    my ($r, $what) = @_;
    t_debug("$what: head $r->{head_s} chunks "
            . join(' ', map { "$_->[0]" } @{ $r->{chunks} }) . " total $r->{total_s}");
    ok t_cmp($r->{status}, 200, "$what: 200");
    ok t_cmp(lc($r->{headers}{'transfer-encoding'} // ''), 'chunked', "$what: chunked");
    ok t_cmp(first_s($r) < 1.0 && $r->{total_s} > 1.2 ? 'streamed' : 'buffered',
             'streamed', "$what: first chunk < 1 s, all > 1.2 s");
    ok t_cmp($r->{complete} ? 'complete' : 'cut', 'complete', "$what: ends with its last chunk");
}

my $base = base_url('stream');

# --- a generator, an async generator -----------------------------------------

my $r = read_stream("$base/api/gen?n=5&gap=0.3");
check_paced($r, 'generator');
ok t_cmp(scalar(() = $r->{body} =~ /^chunk \d at /mg), 5, 'generator: 5 chunks');
ok t_cmp($r->{headers}{'x-streamed'} // '', 'sync', 'generator: the function\'s header');
ok t_cmp(exists $r->{headers}{'content-length'} ? 'length' : 'none', 'none',
         'generator: no Content-Length');

$r = read_stream("$base/api/agen?n=5&gap=0.3");
check_paced($r, 'async generator');
ok t_cmp(scalar(() = $r->{body} =~ /^chunk \d at /mg), 5, 'async generator: 5 chunks');

# --- Server-Sent Events ------------------------------------------------------

$r = read_stream("$base/api/sse?n=5&gap=0.3");
check_paced($r, 'SSE');
ok t_cmp($r->{headers}{'content-type'} // '', qr{^text/event-stream}, 'SSE: its type');
ok t_cmp(scalar(() = $r->{body} =~ /^data: event \d\n\n/mg), 5, 'SSE: 5 events');

$r = read_stream("$base/api/asse?n=5&gap=0.3");
ok t_cmp(first_s($r) < 1.0 && $r->{total_s} > 1.2 ? 'streamed' : 'buffered', 'streamed',
         'async SSE: the first event before the function is done');

# Throughput through one connection, for the README (asserted loosely:
# the machine is shared).
for my $fn (qw(sse asse)) {
    $r = read_stream("$base/api/$fn?n=20000", '--discard');
    my $rate = 20000 / ($r->{total_s} || 1);
    t_debug(sprintf "%s: 20000 events in %.3f s: %.0f events/s", $fn, $r->{total_s}, $rate);
    ok t_cmp($r->{complete} && $rate > 2000 ? 'ok' : "$rate/s", 'ok',
             "$fn: 20000 small events, more than 2000/s");
}

# --- Flask and FastAPI -------------------------------------------------------

$r = read_stream(base_url('wsgi_flask') . '/stream?n=5&gap=0.3&tag=f');
check_paced($r, 'Flask stream_with_context');
ok t_cmp($r->{body}, join('', map { "line $_ of f\n" } 0 .. 4),
         'Flask: the body, with the request context in the generator');

$r = read_stream(base_url('asgi_fastapi') . '/api/stream?n=5&gap=0.3');
check_paced($r, 'FastAPI StreamingResponse');
ok t_cmp($r->{body}, join('', map { "line $_\n" } 0 .. 4), 'FastAPI: the body');

# --- lengths, failures -------------------------------------------------------

$r = read_stream("$base/api/length");
ok t_cmp(($r->{headers}{'content-length'} // '') . ' ' . $r->{body}, '10 1234567890',
         'a streamed body with the function\'s Content-Length: sent with it');
ok t_cmp(lc($r->{headers}{'transfer-encoding'} // 'none'), 'none', '... not chunked');
$r = read_stream("$base/api/pid");
ok t_cmp(($r->{headers}{'content-length'} // 'none') =~ /^\d+$/ ? 'length' : 'none',
         'length', 'a whole response keeps its Content-Length');

my $from = log_size();
$r = read_stream("$base/api/boom");
ok t_cmp($r->{body}, "first\n", 'failing mid-stream: what came before is sent');
ok t_cmp($r->{complete} ? 'complete' : 'cut', 'cut', '... then the response is cut short');
ok t_cmp(logged_within($from, qr/FA101: .* function boom failed mid-stream/, 5) ? 1 : 0, 1,
             '... FA101 logged');
ok t_cmp(logged_within($from, qr/ValueError: stream boom/, 5) ? 1 : 0, 1,
             '... with the traceback');
ok t_cmp(read_stream("$base/api/gen?n=2&gap=0")->{complete} ? 1 : 0, 1,
         'the worker connection serves again after an abort');

# --- the client goes away; the function timeout --------------------------------

for my $kind (qw(sync async)) {
    my $fn = $kind eq 'sync' ? 'forever' : 'aforever';
    my $tag = "gone" . $$ . $kind;
    $from = log_size();
    my $t0 = time;
    $r = read_stream("$base/api/$fn?tag=$tag", '--close-after', '0.5');
    ok t_cmp(scalar @{ $r->{chunks} } >= 2 ? 'ticks' : 'none', 'ticks',
             "$kind: ticks came before the client left");
    ok t_cmp(logged_within($from, qr/stream-finally $kind $tag/, 5) ? 1 : 0, 1,
             "$kind: the client went away: the generator's finally ran");
    ok t_cmp(logged_within($from, qr/FA063: .* function $fn was told/, 5) ? 1 : 0, 1,
             "$kind: FA063 logged");
    t_debug(sprintf "%s: finally within %.2f s", $kind, time - $t0);
}

my $tbase = base_url('stream_timeout');
my $ttag = "timeout" . $$;
for my $fn (qw(forever aforever)) {
    $from = log_size();
    $r = read_stream("$tbase/api/$fn?tag=$ttag$fn");
    t_debug("$fn past the timeout: $r->{total_s} s, $r->{bytes} bytes");
    ok t_cmp($r->{status}, 200, "$fn past a 2 s timeout: the head went out");
    ok t_cmp(!$r->{complete} && $r->{total_s} > 1.5 && $r->{total_s} < 6 ? 'cut' : 'not cut',
             'cut', "$fn: cut short at the timeout");
    ok t_cmp(logged_within($from, qr/FA100: .* function $fn still streaming/, 5) ? 1 : 0, 1,
             "$fn: FA100 logged");
    ok t_cmp(logged_within($from, qr/stream-finally \S+ $ttag$fn/, 5) ? 1 : 0, 1,
             "$fn: its finally ran");
}

# --- a large download: memory stays flat ---------------------------------------

sub children_of {
    my ($parent) = @_;
    my @kids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh> // '';
        push @kids, $1 if $line =~ /^(\d+) \(.*\) \S (\d+) / && $2 == $parent;
    }
    return @kids;
}

open my $pf, '<', t_dir() . '/logs/httpd.pid' or die $!;
chomp(my $parent = <$pf>);
close $pf;
my @watch = children_of($parent);   # the httpd children and every worker
for my $fn (qw(big abig)) {
    my $mib = $fn eq 'big' ? 300 : 100;
    $r = read_stream("$base/api/$fn?mib=$mib", '--discard', '--watch', join(',', @watch));
    my $growth = $r->{rss_growth_kb};
    my ($worst) = sort { ($growth->{$b} // 0) <=> ($growth->{$a} // 0) } keys %$growth;
    t_debug(sprintf "%s: %d MiB in %.2f s (%.0f MB/s); largest RSS growth %s kB (pid %s)",
            $fn, $mib, $r->{total_s}, $r->{bytes} / 1e6 / ($r->{total_s} || 1),
            $growth->{$worst} // '?', $worst // '?');
    ok t_cmp($r->{bytes}, $mib * 1024 * 1024, "$fn: $mib MiB in 1 MiB chunks, all there");
    ok t_cmp(($growth->{$worst} // 0) < 64 * 1024 ? 'flat' : "$growth->{$worst} kB", 'flat',
             "$fn: no worker or httpd child grew by 64 MB");
}

# --- the other MPMs (sync streams; async ones are the event MPM's) -------------

for my $mpm (@mpms) {
    my $s = standalone_conf(mpm => $mpm, config => "FunctionApp " . t_dir()
                            . "/apps/stream\nPythonThreadpoolThreadCount 2\n");
    ok t_cmp(standalone_start($s) ? 1 : 0, 1, "$mpm: started");
    my $until = time() + 30;
    do { $r = read_stream("$s->{base}/api/pid"); sleep 0.2 if $r->{status} != 200 }
        while ($r->{status} // 0) != 200 && time < $until;
    $r = read_stream("$s->{base}/api/gen?n=5&gap=0.3");
    t_debug("$mpm: chunks " . join(' ', map { $_->[0] } @{ $r->{chunks} }));
    ok t_cmp(lc($r->{headers}{'transfer-encoding'} // ''), 'chunked', "$mpm: chunked");
    ok t_cmp(first_s($r) < 1.0 && $r->{total_s} > 1.2 && $r->{complete} ? 'streamed' : 'no',
             'streamed', "$mpm: first chunk < 1 s, all > 1.2 s");
    my $size = -s $s->{log} // 0;
    my $mtag = $mpm . $$;
    read_stream("$s->{base}/api/forever?tag=$mtag", '--close-after', '0.5');
    my $seen = 0;
    for (1 .. 50) {
        open my $fh, '<', $s->{log} or last;
        seek $fh, $size, 0;
        local $/;
        my $text = <$fh> // '';
        $seen = $text =~ /stream-finally sync $mtag/ && $text =~ /FA063/;
        last if $seen;
        sleep 0.1;
    }
    ok t_cmp($seen ? 1 : 0, 1, "$mpm: client gone: finally ran, FA063 logged");
    $r = read_stream("$s->{base}/api/big?mib=20", '--discard');
    ok t_cmp($r->{bytes}, 20 * 1024 * 1024, "$mpm: 20 MiB download");
    ok t_cmp(standalone_stop($s) ? 1 : 0, 1, "$mpm: stopped");
}
