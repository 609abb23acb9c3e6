# SPDX-License-Identifier: Apache-2.0
"""Functions whose timing shows how requests run in parallel."""
import os
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="sleep/{seconds}")
def sleep(req: func.HttpRequest) -> func.HttpResponse:
    time.sleep(float(req.route_params["seconds"]))
    return func.HttpResponse(str(os.getpid()))


@app.route(route="pid")
def pid(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(str(os.getpid()))


@app.route(route="crash", methods=["GET", "POST"])
def crash(req: func.HttpRequest) -> func.HttpResponse:
    """Takes its worker down, as a segfaulting extension would."""
    os.kill(os.getpid(), 9)
