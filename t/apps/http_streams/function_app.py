# SPDX-License-Identifier: Apache-2.0
"""Azure's HTTP streams programming model (t/http_streams.t): FastAPI
Request and response types from azurefunctions.extensions.http.fastapi in
async and def functions: a paced StreamingResponse, an upload counted
through req.stream(), JSONResponse, what the Request holds, and streams
whose client goes away (their `finally` logs a line the test looks for)."""
import asyncio
import hashlib
import logging
import os
import time

import azure.functions as func
from azurefunctions.extensions.http.fastapi import (JSONResponse, PlainTextResponse, Request,
                                                    StreamingResponse)

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def _arg(req: Request, name: str, default):
    return type(default)(req.query_params.get(name, default))


@app.route(route="stream", methods=[func.HttpMethod.GET])
async def stream_count(req: Request) -> StreamingResponse:
    n, gap = _arg(req, "n", 5), _arg(req, "gap", 0.3)

    async def events():
        for i in range(n):
            if i:
                await asyncio.sleep(gap)
            yield f"data: {i} at {time.time():.3f}\n\n"
    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})


@app.route(route="sync_stream", methods=[func.HttpMethod.GET])
def sync_stream(req: Request) -> StreamingResponse:
    n, gap = _arg(req, "n", 5), _arg(req, "gap", 0.3)

    def lines():
        for i in range(n):
            if i:
                time.sleep(gap)
            yield f"line {i} at {time.time():.3f}\n"
    return StreamingResponse(lines(), media_type="text/plain")


@app.route(route="upload", methods=[func.HttpMethod.POST])
async def upload(req: Request) -> JSONResponse:
    digest, n, pieces, largest = hashlib.sha256(), 0, 0, 0
    async for chunk in req.stream():
        digest.update(chunk)
        n += len(chunk)
        pieces += 1
        largest = max(largest, len(chunk))
    return JSONResponse({"bytes": n, "sha256": digest.hexdigest(), "pieces": pieces,
                         "largest": largest, "pid": os.getpid()})


@app.route(route="items/{id}/{kind?}", methods=[func.HttpMethod.GET, func.HttpMethod.PUT])
async def item(req: Request) -> JSONResponse:
    body = await req.body()
    return JSONResponse(
        {"method": req.method, "path": req.url.path, "query": dict(req.query_params),
         "multi": req.query_params.getlist("m"), "path_params": req.path_params,
         "thing": req.headers.get("x-thing"), "host": req.url.hostname,
         "body": body.decode(), "type": f"{type(req).__module__}.{type(req).__name__}"},
        status_code=201 if req.method == "PUT" else 200,
        headers={"X-Item": str(req.path_params.get("id"))})


@app.route(route="sync_info", methods=[func.HttpMethod.GET])
def sync_info(req: Request) -> PlainTextResponse:
    return PlainTextResponse(f"{req.method} {req.url.path} q={req.query_params.get('q')} "
                             f"thing={req.headers.get('x-thing')}", status_code=203,
                             headers={"X-Sync": "def"})


@app.route(route="forever", methods=[func.HttpMethod.GET])
async def forever(req: Request) -> StreamingResponse:
    tag = req.query_params.get("tag", "")

    async def ticks():
        try:
            while True:
                yield f"tick {time.time():.3f}\n"
                await asyncio.sleep(0.1)
        finally:
            logging.warning("hs-finally async %s", tag)
    return StreamingResponse(ticks(), media_type="text/plain")


@app.route(route="sync_forever", methods=[func.HttpMethod.GET])
def sync_forever(req: Request) -> StreamingResponse:
    tag = req.query_params.get("tag", "")

    def ticks():
        try:
            while True:
                yield f"tick {time.time():.3f}\n"
                time.sleep(0.1)
        finally:
            logging.warning("hs-finally sync %s", tag)
    return StreamingResponse(ticks(), media_type="text/plain")
