# SPDX-License-Identifier: Apache-2.0
"""An app whose workers finish importing one after another (t/burst.t):
worker N takes N tenths of a second more, as a heavy app's imports spread
out on a busy machine, so a burst can come while most are still starting."""
import os
import time

import azure.functions as func

with open("/proc/self/comm") as comm:
    name = comm.read().strip()  # funcapp-wN
time.sleep(0.1 * int(name[len("funcapp-w"):] or 0))

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="sleep/{seconds}")
def sleep(req: func.HttpRequest) -> func.HttpResponse:
    time.sleep(float(req.route_params["seconds"]))
    return func.HttpResponse(str(os.getpid()))


@app.route(route="pid")
def pid(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(str(os.getpid()))
