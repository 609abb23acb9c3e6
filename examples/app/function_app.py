# SPDX-License-Identifier: Apache-2.0
"""A sample function app in the v2 programming model."""
import json
import logging
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello", methods=["GET", "POST"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    name = req.params.get("name", "world")
    logging.info("saying hello to %s", name)
    return func.HttpResponse(f"Hello, {name}!")


@app.route(route="products/{category:alpha}/{id:int?}")
def products(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(dict(req.route_params)),
                             mimetype="application/json")


@app.route(route="sleep/{seconds:int=1}")
def sleep(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    """Sleeps, holding one of the worker's threads, like a blocking call."""
    time.sleep(int(req.route_params["seconds"]))
    return func.HttpResponse(f"slept in invocation {context.invocation_id}")
