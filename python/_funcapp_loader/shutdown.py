# SPDX-License-Identifier: Apache-2.0
"""Python's shutdown in a worker that served, called by the C side once
(fa_pystop.c), which bounds the time it takes: the worker exits without
finalizing the interpreter, so what an app counts on at exit runs here.

First the ASGI lifespan shutdown of every app whose lifespan started
(AsgiFunctionApp, AsgiMiddleware.notify_startup), latest first, each on
the loop it started on; then the atexit handlers.  A failing hook is
logged and the others still run.
"""

import sys

from .logging import ERROR, say

# The lifespans (azure.functions' _Lifespan) whose task runs, in start
# order: each adds itself as it starts and leaves when its task ends.
_running: list = []
_ran = False


def started(lifespan) -> None:
    _running.append(lifespan)


def ended(lifespan) -> None:
    try:
        _running.remove(lifespan)
    except ValueError:
        pass


def _stop_lifespans() -> None:
    import asyncio
    for lifespan in reversed(_running[:]):
        loop = lifespan.loop
        if loop.is_closed() or not loop.is_running():
            continue  # its loop is gone, and its task with it
        try:
            asyncio.run_coroutine_threadsafe(lifespan.shutdown(), loop).result()
        except Exception as exc:  # the app's own failure is logged by _Lifespan
            say(ERROR, f'mod_funcapp: ASGI lifespan shutdown failed: {exc!r}', exc)


def run() -> None:
    """Lifespans, then atexit handlers; once."""
    global _ran
    if _ran:
        return
    _ran = True
    if _running:
        try:
            _stop_lifespans()
        except Exception as exc:
            say(ERROR, f'mod_funcapp: ASGI lifespan shutdown failed: {exc!r}', exc)
    try:
        import atexit
        # Each handler's exception is reported (sys.unraisablehook, to
        # stderr: the error log) and the next one runs.
        atexit._run_exitfuncs()
    except Exception as exc:
        say(ERROR, f'mod_funcapp: atexit handlers failed: {exc!r}', exc)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
