# SPDX-License-Identifier: Apache-2.0
"""Functions that read a large request body (t/stream_in.t): in pieces as
it arrives, whole with get_body(), from def and async def functions.

Each answers the byte count and SHA-256 of what it read, the worker's pid,
its resident memory before (VmRSS) and its peak after (VmHWM), in kB.
"""
import hashlib
import io
import json
import os
import signal

import azure.functions as func
from azure.functions._http import request_body_stream

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def _status_kb(field):
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    return 0


def _answer(digest, count, rss_before, streamed, pieces=0):
    return func.HttpResponse(json.dumps({
        'bytes': count, 'sha256': digest.hexdigest(), 'pid': os.getpid(),
        'rss_before_kb': rss_before, 'hwm_after_kb': _status_kb('VmHWM'),
        'streamed': streamed, 'pieces': pieces}), mimetype='application/json')


def _count(req):
    rss = _status_kb('VmRSS')
    stream = request_body_stream(req)
    source = stream if stream is not None else io.BytesIO(req.get_body())
    digest, total, pieces = hashlib.sha256(), 0, 0
    while True:
        piece = source.read(1 << 20)
        if not piece:
            break
        digest.update(piece)
        total += len(piece)
        pieces += 1
    return _answer(digest, total, rss, stream is not None, pieces)


@app.route(route='count', methods=['POST', 'PUT'])
def count(req: func.HttpRequest) -> func.HttpResponse:
    return _count(req)


@app.route(route='small', methods=['POST', 'PUT'])
def small(req: func.HttpRequest) -> func.HttpResponse:
    """count, under <Location /api/small> with a low LimitRequestBody."""
    return _count(req)


@app.route(route='crash', methods=['POST', 'PUT'])
def crash(req: func.HttpRequest) -> func.HttpResponse:
    """Reads some of its body, then its worker dies."""
    request_body_stream(req).read(100000)
    os.kill(os.getpid(), signal.SIGKILL)


@app.route(route='body', methods=['POST', 'PUT'])
def body(req: func.HttpRequest) -> func.HttpResponse:
    rss = _status_kb('VmRSS')
    data = req.get_body()
    return _answer(hashlib.sha256(data), len(data), rss, False)


@app.route(route='abody', methods=['POST', 'PUT'])
async def abody(req: func.HttpRequest) -> func.HttpResponse:
    rss = _status_kb('VmRSS')
    data = req.get_body()
    return _answer(hashlib.sha256(data), len(data), rss, False)


async def astream(req: func.HttpRequest) -> func.HttpResponse:
    rss = _status_kb('VmRSS')
    stream = request_body_stream(req)
    digest, total, pieces = hashlib.sha256(), 0, 0
    if stream is None:
        data = req.get_body()
        digest.update(data)
        total = len(data)
    else:
        async for piece in stream:
            digest.update(piece)
            total += len(piece)
            pieces += 1
    return _answer(digest, total, rss, stream is not None, pieces)


# read as it arrives, on the event loop
astream.funcapp_streams_body = True
app.route(route='astream', methods=['POST', 'PUT'])(astream)


@app.route(route='refuse', methods=['POST', 'PUT'])
def refuse(req: func.HttpRequest) -> func.HttpResponse:
    """Answers without reading the body."""
    return func.HttpResponse('not reading that', status_code=422)


@app.route(route='hello', methods=['GET', 'POST'])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f'hello {len(req.get_body())}')


@app.route(route='echo', methods=['POST', 'PUT'])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    """Streams its body back as it reads it, 64 KiB at a time (full
    duplex: the body is still coming when the answer begins)."""
    stream = request_body_stream(req)

    def pieces():
        if stream is None:
            yield req.get_body()
            return
        while True:
            piece = stream.read(65536)
            if not piece:
                return
            yield piece
    return func.HttpResponse(pieces(), mimetype='application/octet-stream')


async def aecho(req: func.HttpRequest) -> func.HttpResponse:
    """echo on the event loop, reading with `async for`."""
    stream = request_body_stream(req)

    async def pieces():
        if stream is None:
            yield req.get_body()
            return
        async for piece in stream:
            yield piece
    return func.HttpResponse(pieces(), mimetype='application/octet-stream')


aecho.funcapp_streams_body = True
app.route(route='aecho', methods=['POST', 'PUT'])(aecho)


@app.route(route='echosmall', methods=['POST', 'PUT'])
def echosmall(req: func.HttpRequest) -> func.HttpResponse:
    """echo, under <Location /api/echosmall> with a low LimitRequestBody."""
    return echo(req)
