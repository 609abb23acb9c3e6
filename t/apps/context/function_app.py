# SPDX-License-Identifier: Apache-2.0
"""The Context, the working directory and the import paths as a function
sees them (t/context.t)."""
import json
import os

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def as_json(value) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(value), mimetype="application/json")


@app.route(route="ctx")
def ctx(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    tc, rc = context.trace_context, context.retry_context
    with open("data.txt") as f:  # relative: the app root is the cwd
        data = f.read()
    return as_json({
        "invocation_id": context.invocation_id,
        "function_name": context.function_name,
        "function_directory": context.function_directory,
        "tls_invocation_id": context.thread_local_storage.invocation_id,
        "Traceparent": tc.Traceparent, "Tracestate": tc.Tracestate,
        "Attributes": tc.Attributes, "trace_parent": tc.trace_parent,
        "trace_state": tc.trace_state, "attributes": tc.attributes,
        "retry_count": rc.retry_count, "max_retry_count": rc.max_retry_count,
        "exception_message": rc.exception.message,
        "rpc_exception_source": rc.rpc_exception.source,
        "cwd": os.getcwd(), "data": data,
    })


@app.route(route="probe/{name}")
def probe(req: func.HttpRequest) -> str:
    # imported here: each server of the test has a different set
    import importlib
    module = importlib.import_module(req.route_params["name"])
    return f"{module.WHERE} {os.path.dirname(module.__file__)}"
