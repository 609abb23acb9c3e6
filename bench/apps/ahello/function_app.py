# SPDX-License-Identifier: Apache-2.0
"""The benchmark's `async def` hello: the same body and headers as
bench/apps/hello, from the worker's event loop instead of its thread pool
(bench/bench, hello phase: "mod_funcapp async")."""
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello", methods=["GET"])
async def hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("Hello world")
