# SPDX-License-Identifier: Apache-2.0
"""A Flask app served whole by WsgiFunctionApp (t/asgi_wsgi.t).

host.json sets routePrefix "": the app sees the URL path as it is, so its
routes have no /api in front.
"""
import time

import flask

import azure.functions as func

flask_app = flask.Flask(__name__)


@flask_app.get("/items/<int:item_id>")
def get_item(item_id):
    return {"id": item_id, "q": flask.request.args.get("q"),
            "tags": flask.request.args.getlist("tag")}


@flask_app.post("/items")
def create_item():
    item = flask.request.get_json()
    return {"id": 7, **item}, 201, {"Location": "/items/7"}


@flask_app.get("/cookies")
def cookies():
    response = flask.make_response("two cookies")
    response.set_cookie("a", "1")
    response.set_cookie("b", "2", httponly=True)
    response.headers["X-Custom"] = "yes"
    return response


@flask_app.get("/environ/<path:rest>")
def environ(rest):
    env = flask.request.environ
    return {"rest": rest, "path_info": env["PATH_INFO"], "script_name": env["SCRIPT_NAME"],
            "query_string": env["QUERY_STRING"], "scheme": env["wsgi.url_scheme"],
            "multithread": env["wsgi.multithread"],
            "function": env["azure_functions.function_name"]}


@flask_app.post("/echo")
def echo():
    return flask.Response(flask.request.get_data(), mimetype="application/octet-stream")


@flask_app.get("/unavailable")
def unavailable():
    return "try later", 503, {"Retry-After": "5"}


@flask_app.get("/boom")
def boom():
    raise ZeroDivisionError("flask boom")


@flask_app.get("/stream")
def stream():
    """Streamed as it comes (t/stream_out.t): one line every `gap` s."""
    n = flask.request.args.get("n", 5, type=int)
    gap = flask.request.args.get("gap", 0.3, type=float)

    @flask.stream_with_context
    def lines():
        for i in range(n):
            if i:
                time.sleep(gap)
            yield f"line {i} of {flask.request.args.get('tag', '')}\n"
    return flask.Response(lines(), mimetype="text/plain")


app = func.WsgiFunctionApp(app=flask_app.wsgi_app, http_auth_level=func.AuthLevel.ANONYMOUS)
