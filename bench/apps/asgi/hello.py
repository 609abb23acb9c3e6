# SPDX-License-Identifier: Apache-2.0
"""The ASGI app of the benchmark (uvicorn): /api/sleep/S awaits
asyncio.sleep(S) and answers its pid, like the mod_funcapp sleep function;
every other path answers the 11-byte hello body."""
import asyncio
import os

HELLO = b"Hello world"


async def _lifespan(receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path.startswith("/api/sleep/"):
        await asyncio.sleep(float(path[len("/api/sleep/"):]))
        body = str(os.getpid()).encode()
    else:
        body = HELLO
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
