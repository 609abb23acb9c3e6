# SPDX-License-Identifier: Apache-2.0
"""The benchmark's other functions: the async sleep (1000 at once), the pid
(start-up time: which workers answer) and the body echo (large POSTs)."""
import asyncio
import os
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello", methods=["GET"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("Hello world")


@app.route(route="sleep/{seconds}", methods=["GET"])
async def sleep(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(float(req.route_params["seconds"]))
    return func.HttpResponse(str(os.getpid()))


@app.route(route="pid", methods=["GET"])
def pid(req: func.HttpRequest) -> func.HttpResponse:
    # Held a moment, so that parallel pollers keep every worker busy and
    # least-busy dispatch spreads them over all the workers.
    time.sleep(float(req.params.get("hold", "0")))
    return func.HttpResponse(str(os.getpid()))


@app.route(route="echo", methods=["POST"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(req.get_body(),
                             mimetype="application/octet-stream")
