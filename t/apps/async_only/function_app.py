# SPDX-License-Identifier: Apache-2.0
"""Only async functions: the worker's event loop reads its connections
itself (t/loopreads.t)."""
import asyncio
import hashlib
import logging
import os
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="sleep/{seconds}")
async def sleep(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(float(req.route_params["seconds"]))
    return func.HttpResponse(str(os.getpid()))


@app.route(route="block/{seconds}")
async def block(req: func.HttpRequest) -> func.HttpResponse:
    time.sleep(float(req.route_params["seconds"]))  # blocks the loop
    return func.HttpResponse(str(os.getpid()))


@app.route(route="echo", methods=["POST"])
async def echo(req: func.HttpRequest) -> func.HttpResponse:
    body = req.get_body()
    return func.HttpResponse(f"{len(body)} {hashlib.sha256(body).hexdigest()}")


@app.route(route="cancellable")
async def cancellable(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    try:
        await asyncio.sleep(5)
    except asyncio.CancelledError:
        logging.warning("saw CancelledError in %s", context.invocation_id)
        raise
    return func.HttpResponse("not cancelled")


@app.route(route="tasks")
async def tasks(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(str(len(asyncio.all_tasks())))
