# SPDX-License-Identifier: Apache-2.0
# Two callables of one file, each registered by its own FunctionHandler.
import json

import azure.functions as func


def main(req):
    raise RuntimeError("main() is not registered")


def shout(request: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({"shout": request.route_params["word"].upper(),
                                         "body": request.get_body().decode(),
                                         "function_name": context.function_name},
                                        sort_keys=True),
                             mimetype="application/json")


def info(req):
    return json.dumps({"method": req.method, "route_params": dict(req.route_params)},
                      sort_keys=True)
