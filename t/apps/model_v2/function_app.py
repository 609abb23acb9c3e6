# SPDX-License-Identifier: Apache-2.0
# The v2 programming model, end to end (t/model_v2.t, t/model_request.t,
# t/model_response.t, t/model_logs.t).
import hashlib
import json
import logging
import os
import sys

import azure.functions as func

from blueprint import bp

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(bp)


def as_json(value, status_code=200):
    return func.HttpResponse(json.dumps(value, sort_keys=True), status_code=status_code,
                             mimetype="application/json")


# --- routes, methods, names -------------------------------------------------

@app.route(route="methods", methods=[func.HttpMethod.GET, "post"])
def get_or_post(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"{req.method} via get_or_post")


# Two functions on one route, each with its own method: 405 lists both.
@app.route(route="things", methods=["GET"])
def things_get(req: func.HttpRequest) -> str:
    return "things_get"


@app.route(route="things", methods=["PUT"])
def things_put(req: func.HttpRequest) -> str:
    return "things_put"


# Admin level; its vhost runs with FunctionAppKeys off (t/keys.t checks
# that the level is enforced where keys are on).
@app.route(route="secured", auth_level=func.AuthLevel.ADMIN)
def secured(req: func.HttpRequest) -> str:
    return "secured, keys off here"


@app.route(route="level/function", auth_level="function")
def level_function(req: func.HttpRequest) -> str:
    return "function level"


@app.function_name(name="Renamed")
@app.route(route="renamed")
def python_name_of_renamed(req: func.HttpRequest, context: func.Context) -> str:
    return f"function_name={context.function_name}"


# No route: the route is the function name.
@app.route()
def default_route(req: func.HttpRequest, context: func.Context) -> str:
    return f"default route of {context.function_name}"


# Decorators the other way round, no route: the route is the given name.
@app.route(methods=["GET"])
@app.function_name("NamedDefault")
def named_default_python(req: func.HttpRequest, context: func.Context) -> str:
    return f"default route of {context.function_name}"


# --- route templates --------------------------------------------------------

@app.route(route="items/{id:int}")
def item_by_id(req: func.HttpRequest) -> func.HttpResponse:
    return as_json({"function": "item_by_id", "route_params": dict(req.route_params)})


@app.route(route="items/{name:alpha}/detail")
def item_by_name(req: func.HttpRequest) -> func.HttpResponse:
    return as_json({"function": "item_by_name", "route_params": dict(req.route_params)})


@app.route(route="optional/{name?}")
def optional(req: func.HttpRequest) -> func.HttpResponse:
    return as_json({"route_params": dict(req.route_params)})


@app.route(route="defaulted/{lang=en}/{level:range(1,5)=3}")
def defaulted(req: func.HttpRequest) -> func.HttpResponse:
    return as_json({"route_params": dict(req.route_params)})


@app.route(route="files/{*path}")
def catch_all(req: func.HttpRequest) -> func.HttpResponse:
    return as_json({"route_params": dict(req.route_params)})


@app.route(route="guid/{id:guid}/{n:min(10)}")
def guid_min(req: func.HttpRequest) -> func.HttpResponse:
    return as_json({"route_params": dict(req.route_params)})


# --- HttpRequest and Context ------------------------------------------------

@app.route(route="echo")
def echo(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    body = req.get_body()
    trace = context.trace_context
    return as_json({
        "method": req.method,
        "url": req.url,
        "params": dict(req.params),
        "route_params": dict(req.route_params),
        "headers": dict(req.headers),
        "x_model_lower": req.headers.get("x-model"),
        "x_model_upper": req.headers.get("X-MODEL"),
        "x_model_in": "X-Model" in req.headers,
        "body_len": len(body),
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "body_type": type(body).__name__,
        "invocation_id": context.invocation_id,
        "function_name": context.function_name,
        "function_directory": context.function_directory,
        "trace_parent": trace.trace_parent,
        "trace_state": trace.trace_state,
    })


@app.route(route="binary", methods=["POST", "PUT"])
def binary(req: func.HttpRequest) -> func.HttpResponse:
    body = req.get_body()
    return func.HttpResponse(body, mimetype="application/octet-stream",
                             headers={"X-Body-Sha256": hashlib.sha256(body).hexdigest(),
                                      "X-Body-Length": str(len(body))})


@app.route(route="json", methods=["POST"])
def json_body(req: func.HttpRequest) -> func.HttpResponse:
    try:
        data = req.get_json()
    except ValueError as exc:
        return func.HttpResponse(f"bad JSON: {exc}", status_code=400)
    return as_json({"got": data, "type": type(data).__name__})


@app.route(route="form", methods=["POST"])
def form(req: func.HttpRequest) -> func.HttpResponse:
    files = {}
    for name in req.files:
        for f in req.files.getlist(name):
            content = f.read()
            files.setdefault(name, []).append({
                "filename": f.filename, "content_type": f.content_type,
                "size": len(content), "sha256": hashlib.sha256(content).hexdigest()})
    return as_json({"form": req.form.to_dict(flat=False), "files": files})


# --- return values ----------------------------------------------------------

@app.route(route="ret/full")
def ret_full(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("<p>caf\u00e9</p>", status_code=201, mimetype="text/html",
                             charset="iso-8859-1", headers={"X-Model": "full"})


@app.route(route="ret/status")
def ret_status(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("teapot", status_code=418,
                             headers={"Content-Type": "application/x-tea", "X-Model": "tea"})


@app.route(route="ret/code/{code:int}")
def ret_code(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"status {req.route_params['code']}",
                             status_code=int(req.route_params["code"]))


@app.route(route="ret/bytes")
def ret_bytes(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(bytes(range(256)), mimetype="image/x-raw")


@app.route(route="ret/str")
def ret_str(req: func.HttpRequest) -> str:
    return "just a str \u2713"


@app.route(route="ret/none")
def ret_none(req: func.HttpRequest) -> None:
    return None


@app.route(route="ret/dict")
def ret_dict(req: func.HttpRequest):
    return {"not": "a response"}


@app.route(route="ret/int")
def ret_int(req: func.HttpRequest):
    return 42


@app.route(route="ret/raw_bytes")
def ret_raw_bytes(req: func.HttpRequest):
    return b"raw bytes"


@app.route(route="ret/list")
def ret_list(req: func.HttpRequest):
    return ["not", "a response"]


@app.route(route="ret/no_body")
def ret_no_body(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse()


@app.route(route="ret/empty_cookie")
def ret_empty_cookie(req: func.HttpRequest) -> func.HttpResponse:
    resp = func.HttpResponse("empty cookie")
    resp.headers.add("Set-Cookie", "")
    resp.headers.add("Set-Cookie", "kept=1")
    return resp


@app.route(route="ret/cookies")
def ret_cookies(req: func.HttpRequest) -> func.HttpResponse:
    resp = func.HttpResponse("cookies")
    resp.headers.add("Set-Cookie", "a=1; Path=/")
    resp.headers.add("Set-Cookie", "b=2, c; Path=/; HttpOnly")
    resp.headers.add("Set-Cookie", "d=4")
    return resp


@app.route(route="ret/crlf")
def ret_crlf(req: func.HttpRequest) -> func.HttpResponse:
    # The package refuses the value itself (as werkzeug does in the real one).
    return func.HttpResponse("x", headers={"X-Split": "a\r\nX-Injected: yes"})


class _RawResponse:
    """Duck-typed response that checks nothing, as a careless package might."""

    def __init__(self, headers):
        self.status_code = 200
        self.mimetype = "text/plain"
        self.charset = "utf-8"
        self.headers = headers

    def get_body(self):
        return b"raw"


@app.route(route="ret/raw_crlf")
def ret_raw_crlf(req: func.HttpRequest):
    return _RawResponse({"X-Split": "a\r\nX-Injected: yes"})


@app.route(route="ret/raw_name")
def ret_raw_name(req: func.HttpRequest):
    return _RawResponse({"X Bad Name": "value"})


@app.route(route="ret/raw_nul")
def ret_raw_nul(req: func.HttpRequest):
    return _RawResponse({"X-Nul": "a\x00X-Injected: yes"})


@app.route(route="ret/raise")
def ret_raise(req: func.HttpRequest) -> str:
    tag = req.params.get("tag", "untagged")
    raise RuntimeError(f"boom {tag} secret-detail")


@app.route(route="pid")
def pid(req: func.HttpRequest) -> str:
    return str(os.getpid())


# --- logs -------------------------------------------------------------------

@app.route(route="logs")
def logs(req: func.HttpRequest, context: func.Context) -> str:
    tag = req.params.get("tag", "untagged")
    logging.info("info-line %s", tag)
    logging.getLogger("model.child").warning("warning-line %s", tag)
    logging.debug("debug-line %s", tag)
    print(f"print-line {tag}")
    print(f"stderr-line {tag}", file=sys.stderr)
    return context.invocation_id


# --- settings ---------------------------------------------------------------

@app.route(route="env")
def env(req: func.HttpRequest) -> func.HttpResponse:
    names = ["MODEL_SETTING", "MODEL_LOCAL", "MODEL_BOTH", "MODEL_SPACES",
             "FUNCTIONS_WORKER_RUNTIME"]
    return as_json({name: os.environ.get(name) for name in names})
