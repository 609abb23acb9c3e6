# SPDX-License-Identifier: Apache-2.0
"""A FastAPI app served whole by AsgiFunctionApp (t/asgi_wsgi.t).

Under the default routePrefix the app sees the full URL path, so its
routes start with /api, as on Azure.
"""
import asyncio
import os
from typing import Optional

import fastapi
import pydantic

import azure.functions as func

api = fastapi.FastAPI()
startups = []


@api.on_event("startup")
async def startup():
    startups.append(os.getpid())


class Item(pydantic.BaseModel):
    name: str
    price: float


@api.get("/api/items/{item_id}")
def get_item(item_id: int, q: Optional[str] = None):
    return {"id": item_id, "q": q}


@api.post("/api/items", status_code=201)
async def create_item(item: Item, response: fastapi.Response):
    response.headers["Location"] = "/api/items/7"
    return {"id": 7, "name": item.name, "price": item.price}


@api.get("/api/cookies")
def cookies(response: fastapi.Response):
    response.set_cookie("a", "1")
    response.set_cookie("b", "2", httponly=True)
    response.headers["X-Custom"] = "yes"
    return "two cookies"


@api.get("/api/path/{rest:path}")
async def path(rest: str, request: fastapi.Request):
    scope = request.scope
    return {"rest": rest, "path": scope["path"], "raw_path": scope["raw_path"].decode(),
            "root_path": scope["root_path"], "query_string": scope["query_string"].decode(),
            "scheme": scope["scheme"], "function": scope["azure_functions.function_name"],
            "startups": len(startups)}


@api.post("/api/echo")
async def echo(request: fastapi.Request):
    return fastapi.Response(await request.body(), media_type="application/octet-stream")


@api.get("/api/asleep")
async def asleep(seconds: float):
    await asyncio.sleep(seconds)
    return os.getpid()


@api.get("/api/boom")
async def boom():
    raise ZeroDivisionError("fastapi boom")


@api.get("/api/stream")
async def stream(n: int = 5, gap: float = 0.3):
    """A StreamingResponse sent as it comes (t/stream_out.t)."""
    async def lines():
        for i in range(n):
            if i:
                await asyncio.sleep(gap)
            yield f"line {i}\n"
    return fastapi.responses.StreamingResponse(lines(), media_type="text/plain")


app = func.AsgiFunctionApp(app=api, http_auth_level=func.AuthLevel.ANONYMOUS)
