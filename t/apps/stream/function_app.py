# SPDX-License-Identifier: Apache-2.0
"""Streamed responses (t/stream_out.t): generators and async generators as
HttpResponse bodies, Server-Sent Events, a large download, a stream that
fails half way and streams whose client goes away (their `finally` logs
a line the test looks for)."""
import asyncio
import logging
import os
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def _arg(req, name, default):
    return type(default)(req.params.get(name, default))


@app.route(route="gen")
def gen(req: func.HttpRequest) -> func.HttpResponse:
    n, gap = _arg(req, "n", 5), _arg(req, "gap", 0.3)

    def chunks():
        for i in range(n):
            if i:
                time.sleep(gap)
            yield f"chunk {i} at {time.time():.3f}\n"
    return func.HttpResponse(chunks(), headers={"X-Streamed": "sync"})


@app.route(route="agen")
async def agen(req: func.HttpRequest) -> func.HttpResponse:
    n, gap = _arg(req, "n", 5), _arg(req, "gap", 0.3)

    async def chunks():
        for i in range(n):
            if i:
                await asyncio.sleep(gap)
            yield f"chunk {i} at {time.time():.3f}\n".encode()
    return func.HttpResponse(chunks(), headers={"X-Streamed": "async"})


def _events(n: int, gap: float):
    for i in range(n):
        if gap and i:
            time.sleep(gap)
        yield f"id: {i}\ndata: event {i}\n\n"


@app.route(route="sse")
def sse(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(_events(_arg(req, "n", 5), _arg(req, "gap", 0.0)),
                             mimetype="text/event-stream",
                             headers={"Cache-Control": "no-cache"})


@app.route(route="asse")
async def asse(req: func.HttpRequest) -> func.HttpResponse:
    n, gap = _arg(req, "n", 5), _arg(req, "gap", 0.0)

    async def events():
        for i in range(n):
            if gap and i:
                await asyncio.sleep(gap)
            yield f"id: {i}\ndata: event {i}\n\n"
    return func.HttpResponse(events(), mimetype="text/event-stream")


@app.route(route="big")
def big(req: func.HttpRequest) -> func.HttpResponse:
    mib = _arg(req, "mib", 300)
    block = b"x" * (1024 * 1024)

    def chunks():
        for _ in range(mib):
            yield block
    return func.HttpResponse(chunks(), mimetype="application/octet-stream")


@app.route(route="abig")
async def abig(req: func.HttpRequest) -> func.HttpResponse:
    mib = _arg(req, "mib", 300)
    block = b"x" * (1024 * 1024)

    async def chunks():
        for _ in range(mib):
            yield block
    return func.HttpResponse(chunks(), mimetype="application/octet-stream")


@app.route(route="forever")
def forever(req: func.HttpRequest) -> func.HttpResponse:
    tag = req.params.get("tag", "")

    def ticks():
        try:
            while True:
                yield f"tick {time.time():.3f}\n"
                time.sleep(0.1)
        finally:
            logging.warning("stream-finally sync %s", tag)
    return func.HttpResponse(ticks())


@app.route(route="aforever")
async def aforever(req: func.HttpRequest) -> func.HttpResponse:
    tag = req.params.get("tag", "")

    async def ticks():
        try:
            while True:
                yield f"tick {time.time():.3f}\n"
                await asyncio.sleep(0.1)
        finally:
            logging.warning("stream-finally async %s", tag)
    return func.HttpResponse(ticks())


@app.route(route="boom")
def boom(req: func.HttpRequest) -> func.HttpResponse:
    def chunks():
        yield "first\n"
        raise ValueError("stream boom")
    return func.HttpResponse(chunks())


@app.route(route="length")
def length(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(iter([b"12345", b"67890"]), headers={"Content-Length": "10"})


@app.route(route="pid")
def pid(req: func.HttpRequest) -> str:
    return str(os.getpid())
