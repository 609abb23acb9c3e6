# SPDX-License-Identifier: Apache-2.0
"""host.json lets 2 functions run at once (t/concurrency.t)."""
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hold/{seconds}")
def hold(req: func.HttpRequest) -> str:
    time.sleep(float(req.route_params["seconds"]))
    return "held"
