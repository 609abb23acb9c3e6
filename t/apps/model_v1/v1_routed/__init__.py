# SPDX-License-Identifier: Apache-2.0
import json

import azure.functions as func


def main(request: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({
        "method": request.method,
        "route_params": dict(request.route_params),
        "body": request.get_body().decode(),
    }, sort_keys=True), status_code=200, mimetype="application/json")
