# SPDX-License-Identifier: Apache-2.0
"""host.json caps the outstanding requests at 2 (t/throttle.t)."""
import logging
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hold/{seconds}")
def hold(req: func.HttpRequest) -> str:
    # t/throttle.t waits for this line rather than guess when it is in
    logging.warning("holding for %s s", req.route_params["seconds"])
    time.sleep(float(req.route_params["seconds"]))
    return "held"
