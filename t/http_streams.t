# Azure's HTTP streams programming model (azurefunctions-extensions-http-
# fastapi, t/apps/http_streams): a StreamingResponse reaches the client
# chunk by chunk while the function runs (timestamps), from an async and a
# def function; a 20 MB chunked upload is counted through req.stream() in
# pieces; JSONResponse and PlainTextResponse carry their status and
# headers; the Request holds method, path, query, headers and route
# params as FastAPI gives them; a client that goes away stops the stream
# (its generator's `finally` runs).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET PUT);
use Apache::TestUtil qw(t_cmp t_debug);
use Digest::SHA ();
use IO::Socket::INET;
use JSON::PP ();
use Time::HiRes qw(sleep time);
use lib Apache::Test::vars('t_dir') . '/lib';
use FuncappTest qw(base_url log_size log_since read_stream);

plan tests => 35;

my $base = base_url('http_streams');
# the worker is up (it imports FastAPI at start) before anything is timed
for (1 .. 100) { last if GET("$base/api/sync_info")->code == 203; sleep 0.1 }

# --- StreamingResponse: async and def ------------------------------------------

for my $fn (qw(stream sync_stream)) {
    my $r = read_stream("$base/api/$fn?n=5&gap=0.3");
    my @at = map { $_->[0] } @{ $r->{chunks} };
    t_debug("$fn: head $r->{head_s} chunks @at total $r->{total_s} headers "
            . JSON::PP->new->canonical->encode($r->{headers}));
    ok t_cmp($r->{status}, 200, "$fn: 200");
    # chunked; or, for an async function suspended under the event MPM,
    # delimited by the connection's close (FunctionAppSuspend)
    my $framing = lc($r->{headers}{'transfer-encoding'} // '') eq 'chunked' ? 'framed'
        : lc($r->{headers}{connection} // '') eq 'close' ? 'framed' : 'unframed';
    ok t_cmp(exists $r->{headers}{'content-length'} ? 'length' : $framing, 'framed',
             "$fn: no Content-Length, chunked or up to the close");
    # the first chunk reached the client a second before the last one:
    # before the function was done
    ok t_cmp(@at >= 2 && $at[-1] - $at[0] > 1.0 ? 'streamed' : 'buffered', 'streamed',
             "$fn: the chunks arrived over more than 1 s");
    my @stamps = $r->{body} =~ /(?:data:|line) \d at ([\d.]+)/g;
    ok t_cmp(scalar @stamps, 5, "$fn: 5 chunks");
    # the function's own clock: the chunks were made 0.3 s apart, not
    # all at the end
    ok t_cmp(@stamps == 5 && $stamps[4] - $stamps[0] > 1.0 ? 'paced' : 'bunched', 'paced',
             "$fn: made over more than 1 s");
}
my $r = read_stream("$base/api/stream?n=2&gap=0");
ok t_cmp($r->{headers}{'content-type'} // '', qr{^text/event-stream},
         'stream: media_type as Content-Type');
ok t_cmp($r->{headers}{'cache-control'} // '', 'no-cache', 'stream: its own header');

# --- an upload counted through req.stream() ------------------------------------

sub upload {
    my ($size) = @_;
    my ($host, $port) = $base =~ m{^http://([^:/]+):(\d+)};
    my $sock = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port) or die $!;
    print {$sock} "POST /api/upload HTTP/1.1\r\nHost: $host\r\nConnection: close\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n";
    my $sha = Digest::SHA->new(256);
    my $block = join '', map { chr(($_ * 7 + 13) & 0xFF) } 0 .. 65535;
    for (my ($i, $sent) = (0, 0); $sent < $size; ++$i) {
        my $data = sprintf('%08d', $i) . substr($block, 8);
        $data = substr($data, 0, $size - $sent) if $size - $sent < length $data;
        $sha->add($data);
        $sent += length $data;
        print {$sock} sprintf("%x\r\n", length $data) . "$data\r\n";
    }
    print {$sock} "0\r\n\r\n";
    my $reply = do { local $/; <$sock> } // '';
    my ($status) = $reply =~ m{^HTTP/1\.1 (\d+)};
    my ($body) = $reply =~ /\r\n\r\n(.*)\z/s;
    return ($status // 0, eval { JSON::PP::decode_json($body // '') } // {}, $sha->hexdigest);
}

my $size = 20 * 1024 * 1024;
my $t0 = time;
my ($status, $j, $sha) = upload($size);
t_debug(sprintf "upload: %d bytes in %d pieces (largest %d) in %.2f s",
        $j->{bytes} // -1, $j->{pieces} // -1, $j->{largest} // -1, time - $t0);
ok t_cmp($status, 200, 'upload: 200');
ok t_cmp($j->{bytes} // -1, $size, 'upload: 20 MB counted through req.stream()');
ok t_cmp($j->{sha256} // '', $sha, 'upload: every byte, in order');
ok t_cmp(($j->{pieces} // 0) > 100 && ($j->{largest} // 1e9) <= 65536 ? 'pieces' : 'whole',
         'pieces', 'upload: read in pieces of at most 64 KiB, not whole');

# --- JSONResponse, the Request's parts ------------------------------------------

my $res = GET "$base/api/items/42?a=1&m=x&m=y&sp=a%20b", 'X-Thing' => 'thing-v';
my $got = eval { JSON::PP::decode_json($res->content) } // {};
t_debug('items: ' . $res->content);
ok t_cmp($res->code, 200, 'JSONResponse: 200');
ok t_cmp($res->header('Content-Type') // '', 'application/json', 'JSONResponse: its type');
ok t_cmp($res->header('X-Item') // '', '42', 'JSONResponse: its header');
ok t_cmp($res->header('Content-Length') // '', length($res->content),
         'JSONResponse: whole, with its length');
ok t_cmp($got->{path} // '', '/api/items/42', 'Request.url.path: the whole path');
ok t_cmp(JSON::PP->new->canonical->encode($got->{query} // {}),
         '{"a":"1","m":"y","sp":"a b"}', 'query_params: decoded, last of a repeat');
ok t_cmp(join(',', @{ $got->{multi} // [] }), 'x,y', 'query_params.getlist');
ok t_cmp($got->{path_params}{id} // '', '42', 'path_params: the route parameter, a string');
ok t_cmp($got->{thing} // '', 'thing-v', 'headers: case-blind');
ok t_cmp($got->{type} // '', 'starlette.requests.Request', "FastAPI's (Starlette's) Request");

$res = PUT "$base/api/items/7/big", content => 'hello';
$got = eval { JSON::PP::decode_json($res->content) } // {};
ok t_cmp($res->code, 201, 'JSONResponse status_code');
ok t_cmp(($got->{method} // '') . ' ' . ($got->{body} // '') . ' '
         . ($got->{path_params}{kind} // ''), 'PUT hello big',
         'await req.body() and an optional route parameter');

# --- a def function with a Request ---------------------------------------------

$res = GET "$base/api/sync_info?q=v", 'X-Thing' => 't';
ok t_cmp($res->code . ' ' . $res->content, '203 GET /api/sync_info q=v thing=t',
         'def function: Request in, PlainTextResponse out');
ok t_cmp($res->header('X-Sync') // '', 'def', 'def function: its header');

# --- the client goes away ------------------------------------------------------

for my $fn (qw(forever sync_forever)) {
    my $kind = $fn eq 'forever' ? 'async' : 'sync';
    my $tag = "hs" . $$ . $kind;
    my $from = log_size();
    $r = read_stream("$base/api/$fn?tag=$tag", '--close-after', '0.5');
    ok t_cmp(scalar @{ $r->{chunks} } >= 2 ? 'ticks' : 'none', 'ticks',
             "$kind: ticks came before the client left");
    ok t_cmp(log_since($from, qr/hs-finally $kind $tag/) ? 1 : 0, 1,
             "$kind: the client went away: the generator's finally ran");
}
ok t_cmp(read_stream("$base/api/stream?n=2&gap=0")->{body}, qr/^data: 0 .*\n\ndata: 1 /s,
         'the app serves again after the streams were cut');
