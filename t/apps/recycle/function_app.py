# SPDX-License-Identifier: Apache-2.0
"""Functions that show which worker answered, and one that grows it."""
import os

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
_kept = []


@app.route(route="pid", methods=["GET", "POST"])
def pid(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"{os.getpid()} {len(req.get_body())}")


@app.route(route="grow/{mb}")
def grow(req: func.HttpRequest) -> func.HttpResponse:
    """Keeps MB megabytes, written so they are resident."""
    _kept.append(b"x" * (int(req.route_params["mb"]) * 1024 * 1024))
    return func.HttpResponse(str(os.getpid()))
