# SPDX-License-Identifier: Apache-2.0
"""The benchmark's hello function: what bench/bench measures mod_funcapp's
requests/s, latency, idle worker RSS and start-up with (pid tells which
worker answered)."""
import os
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello", methods=["GET"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("Hello world")


@app.route(route="pid", methods=["GET"])
def pid(req: func.HttpRequest) -> func.HttpResponse:
    # Held a moment, so that parallel pollers keep every worker busy and
    # least-busy dispatch spreads them over all the workers.
    time.sleep(float(req.params.get("hold", "0")))
    return func.HttpResponse(str(os.getpid()))
