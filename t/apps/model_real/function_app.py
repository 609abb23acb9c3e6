# SPDX-License-Identifier: Apache-2.0
# Uses the azure.functions it ships in .python_packages (t/model_real.t).
import json

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="which")
def which(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({
        "file": func.__file__,
        "version": func.__version__,
        "marker": getattr(func, "STAND_IN_MARKER", None),
        "compat": hasattr(func, "_MOD_FUNCAPP_COMPAT"),
        "request_class": f"{type(req).__module__}.{type(req).__qualname__}",
        "context_is_package_context": isinstance(context, func.Context),
        "function_name": context.function_name,
        "invocation_id": context.invocation_id,
        "trace_parent": context.trace_context.trace_parent,
    }, sort_keys=True), mimetype="application/json")


@app.route(route="echo/{id:int}", methods=["POST"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({
        "method": req.method,
        "route_params": req.route_params,
        "params": req.params,
        "header": req.headers.get("x-model"),
        "json": req.get_json(),
    }, sort_keys=True), status_code=201, mimetype="application/json",
        headers={"X-Real": "yes"})


@app.route(route="str")
def as_str(req):
    return "plain str from the real package's app"


@app.route(route="crlf")
def crlf(req: func.HttpRequest) -> func.HttpResponse:
    # This package does not check header values; mod_funcapp must.
    return func.HttpResponse("x", headers={"X-Split": "a\r\nX-Injected: yes"})


@app.route(route="raise")
def boom(req):
    raise ValueError("real-package boom")
