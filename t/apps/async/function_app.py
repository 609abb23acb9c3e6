# SPDX-License-Identifier: Apache-2.0
"""Async functions on the worker's event loop, beside sync ones."""
import asyncio
import contextvars
import logging
import os
import threading
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

_first_loop = []
request_tag = contextvars.ContextVar("request_tag", default="unset")


def _pid_response(text: str) -> func.HttpResponse:
    return func.HttpResponse(text, headers={"X-Worker-Pid": str(os.getpid())})


@app.route(route="asleep/{seconds}")
async def asleep(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(float(req.route_params["seconds"]))
    return _pid_response(str(os.getpid()))


@app.route(route="astream")
async def astream(req: func.HttpRequest) -> func.HttpResponse:
    """Its head after `wait` s, then `n` chunks `gap` s apart."""
    n = int(req.params.get("n", "3"))
    gap = float(req.params.get("gap", "0.05"))
    await asyncio.sleep(float(req.params.get("wait", "0")))

    async def chunks():
        for i in range(n):
            if i:
                await asyncio.sleep(gap)
            yield f"chunk {i}\n".encode()
    return func.HttpResponse(chunks())


@app.route(route="ablock/{seconds}")
async def ablock(req: func.HttpRequest) -> func.HttpResponse:
    """Blocks the event loop, as a careless async function does."""
    time.sleep(float(req.route_params["seconds"]))
    return _pid_response(str(os.getpid()))


@app.route(route="ssleep/{seconds}")
def ssleep(req: func.HttpRequest) -> func.HttpResponse:
    time.sleep(float(req.route_params["seconds"]))
    return _pid_response(str(os.getpid()))


async def _nested(tag: str) -> str:
    await asyncio.sleep(0)
    logging.info("nested coroutine of %s", tag)
    return request_tag.get()


@app.route(route="loop")
async def loop(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    running = asyncio.get_running_loop()
    if not _first_loop:
        _first_loop.append(running)
    tag = req.params.get("tag", "none")
    request_tag.set(tag)
    task = asyncio.create_task(_nested(tag))
    future = asyncio.ensure_future(_nested(tag))
    ctx = contextvars.copy_context()
    ctx.run(request_tag.set, tag + "-ctx")
    in_ctx = asyncio.create_task(_nested(tag), context=ctx)
    results = [await task, await future, await in_ctx]
    return func.HttpResponse(" ".join([
        "same-loop" if running is _first_loop[0] else "other-loop",
        "get_event_loop-ok" if asyncio.get_event_loop() is running else "bad",
        threading.current_thread().name,
        *results,
        context.invocation_id,
    ]))


@app.route(route="own_loop")
def own_loop(req: func.HttpRequest) -> func.HttpResponse:
    """A sync function that runs a loop of its own, on a pool thread."""
    loop = asyncio.new_event_loop()
    try:
        value = loop.run_until_complete(asyncio.sleep(0.01, result="own-loop-ok"))
    finally:
        loop.close()
    return func.HttpResponse(value)


@app.route(route="cancellable")
async def cancellable(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    try:
        await asyncio.sleep(5)
    except asyncio.CancelledError:
        logging.warning("saw CancelledError in %s", context.invocation_id)
        raise
    return func.HttpResponse("not cancelled")


@app.route(route="sync_slow")
def sync_slow(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    time.sleep(1)
    logging.warning("sync function finished %s", context.invocation_id)
    return func.HttpResponse("finished")


@app.route(route="tasks")
async def tasks(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(str(len(asyncio.all_tasks())))


@app.route(route="spin")
def spin(req: func.HttpRequest) -> func.HttpResponse:
    """Python that never ends: a FunctionTimeoutError stops it."""
    while True:
        pass


@app.route(route="stuck")
def stuck(req: func.HttpRequest) -> func.HttpResponse:
    """Blocked in C, where no exception reaches: its worker is retired."""
    time.sleep(3600)
    return _pid_response(str(os.getpid()))
