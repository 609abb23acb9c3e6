# SPDX-License-Identifier: Apache-2.0
"""The functions of the concurrency table: S seconds of sleep, blocking
or awaited.  Each answers with its worker's pid, for bench/waves."""
import asyncio
import os
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def _done() -> func.HttpResponse:
    return func.HttpResponse(str(os.getpid()),
                             headers={"X-Worker-Pid": str(os.getpid())})


@app.route(route="sync/{seconds}")
def sync_sleep(req: func.HttpRequest) -> func.HttpResponse:
    time.sleep(float(req.route_params["seconds"]))
    return _done()


@app.route(route="async/{seconds}")
async def async_sleep(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(float(req.route_params["seconds"]))
    return _done()


@app.route(route="async_blocking/{seconds}")
async def async_blocking_sleep(req: func.HttpRequest) -> func.HttpResponse:
    time.sleep(float(req.route_params["seconds"]))
    return _done()
