# SPDX-License-Identifier: Apache-2.0
"""The app every node of t/balancer.t serves.  Its answer is the worker's
pid, so the test sees which node served each request.  With the app
setting BALANCER_BROKEN set, its workers die while importing it: that
node never has a ready worker, its /admin/host/ping answers 503, and the
balancer's health check must take it out of rotation.  "keyed" needs a function key: the
nodes share theirs by a copy of one key directory."""
import os

import azure.functions as func

if os.environ.get("BALANCER_BROKEN"):
    os._exit(3)  # dies while starting: restarted, with back-off, for ever

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="pid")
def pid(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(str(os.getpid()))


@app.route(route="keyed", auth_level=func.AuthLevel.FUNCTION)
def keyed(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(str(os.getpid()))
