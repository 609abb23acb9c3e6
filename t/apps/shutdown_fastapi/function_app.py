# SPDX-License-Identifier: Apache-2.0
"""A FastAPI app whose shutdown hooks leave files in SHUTDOWN_DIR when its
worker exits (t/shutdown.t): its on_event('shutdown') handler, then an
atexit handler, after one that raises."""
import atexit
import os

import fastapi

import azure.functions as func

OUT = os.environ["SHUTDOWN_DIR"]
api = fastapi.FastAPI()


def _path(name: str) -> str:
    return os.path.join(OUT, f"{name}-{os.getpid()}")


def _write(name: str, text: str) -> None:
    with open(_path(name), "w") as f:
        f.write(text)


@api.on_event("shutdown")
async def shutdown():
    _write("lifespan", "fastapi shutdown")


@api.get("/api/pid")
def pid():
    return os.getpid()


def on_exit():
    _write("atexit", f"atexit; lifespan done before: {os.path.exists(_path('lifespan'))}")


def broken():
    raise RuntimeError("atexit boom")


atexit.register(on_exit)
atexit.register(broken)  # runs first (last in, first out): on_exit still runs

app = func.AsgiFunctionApp(app=api, http_auth_level=func.AuthLevel.ANONYMOUS)
