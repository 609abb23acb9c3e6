# SPDX-License-Identifier: Apache-2.0
"""The entry points the C worker calls, always with the GIL held: setup()
once after Python starts, invoke() from its thread pool for sync functions,
and start_event_loop() when the app has async functions, whose requests
the loop takes from the C side and answers through _funcapp.
"""

import os
import sys
import types

import _funcapp

from . import httpstreams, importer, streams
from .bindings import Package
from .body import RequestBody, RequestBodyAborted
from .functions import FAILED, WARMUP_TRIGGER
from .loader import app_failure, handler_function, index_app, set_sys_path
from .logging import ERROR, INFO, begin, end, say, tls
from .logging import setup as setup_logging

# The function table, indexed as the C side's table is; filled in place by
# setup(), so invoke() reads it as a plain global.
_functions: list = []
_loop = None  # the worker's event loop, once started


def setup(app_root, handlers, settings, log_level, python_path=(), venv_site=None) -> list:
    """Prepare the interpreter, index the app, return the function table.
    `python_path` (FunctionAppPythonPath) and `venv_site` (the venv's
    site-packages) come checked and absolute from the configuration.

    Never raises: whatever cannot load becomes a table entry with `error`.
    """
    functions = []
    try:
        setup_logging(log_level)
        os.environ.update({str(k): str(v) for k, v in settings.items()})
        set_sys_path(app_root, python_path, venv_site)
        importer.install()
        try:
            package = Package(importer.import_module('azure.functions'))
        except (Exception, SystemExit) as exc:
            functions = [app_failure('azure.functions', 'azure.functions', exc)]
        else:
            functions = index_app(app_root, package)
            functions += [handler_function(package, *handler) for handler in handlers]
    except (Exception, SystemExit) as exc:
        functions.append(app_failure(app_root or 'setup', 'function_app', exc))
    _functions[:] = functions
    return [f.entry() for f in functions]


def warm_up() -> None:
    """Runs the app's warm-up functions (Azure's warmupTrigger) in this
    worker, after import and before it takes requests: async ones on the
    worker's loop.  Never raises: an exception is logged, and the worker
    serves all the same."""
    warm_ups = [f for f in _functions if f.trigger == WARMUP_TRIGGER and f.error is None]
    if not warm_ups:
        return  # WarmUpContext is lazy: looking it up imports json and re
    func = sys.modules.get('azure.functions')
    warm_up_context = (getattr(func, 'WarmUpContext', None)
                       or getattr(getattr(func, 'warmup', None), 'WarmUpContext', None)
                       or types.SimpleNamespace)
    for function in warm_ups:
        hexid = os.urandom(16).hex()
        invocation_id = '-'.join((hexid[:8], hexid[8:12], hexid[12:16], hexid[16:20], hexid[20:]))
        invocation, token = begin(function.name, invocation_id)
        tls.invocation_id = invocation_id
        try:
            kwargs = {function.trigger_arg: warm_up_context()}
            if function.wants_context:
                kwargs['context'] = function._context(function, invocation_id, ())
            result = function.callable(**kwargs)
            if function.is_async:
                import asyncio
                if _loop is not None:
                    asyncio.run_coroutine_threadsafe(result, _loop).result()
                else:
                    asyncio.run(result)
            say(INFO, f'warm-up function {function.name} done')
        except (Exception, SystemExit) as exc:
            _failed(exc)
        finally:
            tls.invocation_id = None
            end(invocation, invocation_id, token)


def _failed(exc: BaseException):
    if isinstance(exc, RequestBodyAborted):
        # the child answered already (413, or nobody is left to answer)
        say(INFO, f'the request body was cut short ({exc}); the response is dropped')
        return FAILED
    # Start the traceback at the user's code, not at this module.
    say(ERROR, f'function raised {type(exc).__name__}', exc,
        exc.__traceback__.tb_next or exc.__traceback__)
    return FAILED


def _unavailable(function):
    say(ERROR, f'function {function.name} unavailable: {function.error}')
    return FAILED


def _streams_body(function) -> bool:
    # An async function gets its whole body before it runs (read without
    # blocking the loop), unless it reads the stream itself (a Starlette
    # Request's stream(), an ASGI app's receive()): get_body() on the loop
    # would block every other task while the client uploads.
    return (function.request_class is not None
            or bool(getattr(function.callable, 'funcapp_streams_body', False)))


def invoke(index, method, url, headers, route_params, body, invocation_id):
    """Run function `index` on this thread; returns (status, headers, body).
    `body` is bytes, or (first part, _funcapp.BodyReader) when it streams."""
    function = _functions[index]
    invocation, token = begin(function.name, invocation_id)
    tls.invocation_id = invocation_id
    try:
        if function.error is not None:
            return _unavailable(function)
        try:
            if type(body) is tuple:
                body = RequestBody(*body)
            kwargs, out = function.arguments(method, url, headers, route_params, body,
                                             invocation_id)
            result = function.callable(**kwargs)
            if function.is_async:
                # The C side sends async functions to the event loop; this
                # keeps them working if one arrives here.
                import asyncio
                result = asyncio.run(result)
            if httpstreams.is_response(result):  # a Starlette Response: an ASGI app
                result = httpstreams.sync_asgi_result(result, kwargs.get(function.trigger_arg),
                                                      method, url, headers, route_params)
            else:
                result = function.respond(result, out)
            return streams.sync_result(result, function.name, invocation_id)
        except (Exception, SystemExit) as exc:
            return _failed(exc)
    finally:
        tls.invocation_id = None
        end(invocation, invocation_id, token)


async def invoke_async(index, method, url, headers, route_params, body, invocation_id):
    """Like invoke(), on the event loop: awaits async functions, runs sync
    ones in place. Cancellation propagates to the caller."""
    import asyncio
    function = _functions[index]
    invocation, token = begin(function.name, invocation_id)
    try:
        if function.error is not None:
            return _unavailable(function)
        try:
            if type(body) is tuple:
                body = RequestBody(*body)
                if not function.is_async or not _streams_body(function):
                    body = await body.aread()
            kwargs, out = function.arguments(method, url, headers, route_params, body,
                                             invocation_id)
            if function.is_async:
                result = await function.callable(**kwargs)
            else:
                # as on the thread pool: the thread's storage names it
                tls.invocation_id = invocation_id
                try:
                    result = function.callable(**kwargs)
                finally:
                    tls.invocation_id = None
            if httpstreams.is_response(result):  # a Starlette Response: an ASGI app
                result = await httpstreams.asgi_result(result, kwargs.get(function.trigger_arg),
                                                       method, url, headers, route_params)
            else:
                result = function.respond(result, out)
            return streams.async_result(result, function.name, invocation_id)
        except (Exception, SystemExit) as exc:
            return _failed(exc)
        except asyncio.CancelledError:
            say(INFO, 'cancelled: the client went away')
            raise
    finally:
        end(invocation, invocation_id, token)


# ---- the worker's event loop
# One asyncio loop a worker, in a thread of its own, runs every async
# function as a task.  The C side queues requests without the GIL and writes
# one byte to `wake_fd`; the loop reads them with _funcapp.take() and hands
# each result to _funcapp.respond().

class _EventLoop:
    """The loop and its tasks by the C side's token, for cancelling."""

    def __init__(self, loop) -> None:
        self.loop = loop
        self.tasks = {}

    def take(self) -> None:
        for item in _funcapp.take():
            if item[0] == 'cancel':
                task = self.tasks.get(item[1])
                if task is not None:
                    task.cancel()
            else:
                _, token, args = item
                self.tasks[token] = self.loop.create_task(self.serve(token, args))

    async def serve(self, token, args) -> None:
        import asyncio
        result = None
        streamed = False
        try:
            result = await invoke_async(*args)
            if len(result) == 4:
                # stays cancellable while it streams; reports itself done
                streamed = True
                await streams.send(self.loop, token, result)
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # the loader's own failure: still answer
            say(ERROR, f'mod_funcapp: invoke_async failed: {exc!r}')
            result = FAILED
        finally:
            self.tasks.pop(token, None)
            if not streamed:
                _funcapp.respond(token, args[-1], result)


def start_event_loop(wake_fd: int) -> None:
    """Start the worker's event loop thread, woken through `wake_fd`."""
    # imported here, not at the top: a worker with no async function never
    # starts the loop, and starts faster without asyncio
    import asyncio
    import threading
    global _loop
    loop = _loop = asyncio.new_event_loop()
    loop.add_reader(wake_fd, _EventLoop(loop).take)
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(started.set)
        loop.run_forever()

    threading.Thread(target=run, name='funcapp-loop', daemon=True).start()
    started.wait()
