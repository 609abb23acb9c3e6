# SPDX-License-Identifier: Apache-2.0
"""The apps the functions of this v1 app hand their requests to."""
import fastapi
import flask

fastapi_app = fastapi.FastAPI()


@fastapi_app.get("/api/asgi/items/{item_id}")
def asgi_item(item_id: int, q: str = ""):
    return {"id": item_id, "q": q, "via": "asgi"}


@fastapi_app.put("/api/asgi/items/{item_id}", status_code=201)
async def asgi_put(item_id: int, request: fastapi.Request):
    return {"id": item_id, "body": await request.json(), "via": "asgi"}


flask_app = flask.Flask(__name__)


@flask_app.get("/api/wsgi/items/<int:item_id>")
def wsgi_item(item_id):
    return {"id": item_id, "q": flask.request.args.get("q", ""), "via": "wsgi"}


@flask_app.put("/api/wsgi/items/<int:item_id>")
def wsgi_put(item_id):
    return {"id": item_id, "body": flask.request.get_json(), "via": "wsgi"}, 201
