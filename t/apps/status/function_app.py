# SPDX-License-Identifier: Apache-2.0
"""Functions whose outcomes the status page counts (t/status.t)."""
import asyncio
import os
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="pid")
def pid(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(str(os.getpid()))


@app.route(route="sleep/{seconds}")
def sleep(req: func.HttpRequest) -> func.HttpResponse:
    time.sleep(float(req.route_params["seconds"]))
    return func.HttpResponse(str(os.getpid()))


@app.route(route="asleep/{seconds}")
async def asleep(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(float(req.route_params["seconds"]))
    return func.HttpResponse(str(os.getpid()))


@app.route(route="fail")
def fail(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("fails on purpose")
