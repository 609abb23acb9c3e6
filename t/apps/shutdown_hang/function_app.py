# SPDX-License-Identifier: Apache-2.0
"""A raw ASGI app (no framework) whose lifespan shutdown leaves a file in
SHUTDOWN_DIR, and whose atexit handler leaves one, then never returns
(t/shutdown.t): the worker must exit all the same."""
import atexit
import os
import time

import azure.functions as func

OUT = os.environ["SHUTDOWN_DIR"]


def _write(name: str, text: str) -> None:
    with open(os.path.join(OUT, f"{name}-{os.getpid()}"), "w") as f:
        f.write(text)


async def asgi(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                _write("lifespan", "raw asgi shutdown")
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": str(os.getpid()).encode()})


def hang():
    _write("atexit", "atexit; hanging")
    while True:
        time.sleep(60)


atexit.register(hang)

app = func.AsgiFunctionApp(app=asgi, http_auth_level=func.AuthLevel.ANONYMOUS)
