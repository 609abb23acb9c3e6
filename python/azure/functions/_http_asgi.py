# SPDX-License-Identifier: Apache-2.0
"""AsgiMiddleware: an ASGI 3 app (FastAPI, Starlette, ...) served by an HTTP
function, on the worker's event loop."""

import asyncio
import contextvars
import logging
import typing
import warnings

from _funcapp_loader.asgi import Exchange

from . import _http_gateway as gateway
from ._http import HttpRequest, HttpResponse, request_body_stream

_ASGI = {'version': '3.0', 'spec_version': '2.3'}


def _worker_shutdown():
    """mod_funcapp's worker shutdown (the loader's), which runs the
    shutdown of the lifespans still running when the worker exits; None
    outside a worker."""
    try:
        from _funcapp_loader import shutdown
    except ImportError:
        return None
    return shutdown


class _Lifespan:
    """One run of the app's lifespan protocol: startup at once, shutdown
    when asked."""

    def __init__(self, app, state: dict, logger: logging.Logger) -> None:
        self.loop = asyncio.get_running_loop()
        self._logger = logger
        self._inbox: asyncio.Queue = asyncio.Queue()
        self._inbox.put_nowait({'type': 'lifespan.startup'})
        self._started = self.loop.create_future()
        self._stopped = self.loop.create_future()
        self.stopping = False
        self._failure: typing.Optional[str] = None  # reported, not yet logged
        scope = {'type': 'lifespan', 'asgi': _ASGI, 'state': state}
        # A context of its own: the lifespan belongs to the app, not to the
        # request that happened to start it, so its log lines carry no
        # invocation id and that request's cancellation does not reach it.
        self._worker = _worker_shutdown()
        self.task = self.loop.create_task(self._run(app, scope), context=contextvars.Context())
        if self._worker is not None:
            self._worker.started(self)

    @property
    def failed(self) -> bool:
        return self._started.done() and not self._started.result()

    async def started(self) -> bool:
        # Shielded: one waiting request whose client goes away must not
        # cancel the startup the others wait for.
        ok = await asyncio.shield(self._started)
        if self._failure is not None:  # the app reported it but raised nothing
            self._logger.error('ASGI app startup failed: %s', self._failure)
            self._failure = None
        return ok

    async def shutdown(self) -> None:
        self.stopping = True
        await self._inbox.put({'type': 'lifespan.shutdown'})
        await asyncio.shield(self._stopped)

    async def _run(self, app, scope) -> None:
        try:
            await app(scope, self._inbox.get, self._send)
        except Exception as exc:
            if self._failure is not None:
                # Frameworks report the failure, then raise it: one log
                # record, with the traceback.
                self._failure = None
                self._logger.error('ASGI app startup failed', exc_info=True)
            elif self._started.done():
                self._logger.error('ASGI lifespan raised %s', type(exc).__name__, exc_info=True)
            else:
                # The ASGI spec: an app that raises before answering the
                # startup has no lifespan support (a bare app that only
                # knows 'http'); it is served all the same.
                self._logger.debug('ASGI app without lifespan support: %r', exc)
        finally:
            # An app that returns without a word has no lifespan either.
            self._resolve(self._started, True)
            self._resolve(self._stopped, None)
            if self._worker is not None:
                self._worker.ended(self)

    async def _send(self, message: dict) -> None:
        kind = message.get('type')
        if kind == 'lifespan.startup.complete':
            self._resolve(self._started, True)
        elif kind == 'lifespan.startup.failed':
            self._failure = message.get('message') or '(no message)'
            self._resolve(self._started, False)
        elif kind in ('lifespan.shutdown.complete', 'lifespan.shutdown.failed'):
            # A shutdown nobody asked for is the loop cancelling the
            # lifespan as it closes, not the app's failure.
            if kind.endswith('failed') and self.stopping:
                self._logger.error('ASGI app shutdown failed: %s', message.get('message') or '')
            self._resolve(self._stopped, None)
        else:
            raise RuntimeError(f"unexpected ASGI message '{kind}' for a lifespan scope")

    @staticmethod
    def _resolve(future: asyncio.Future, value) -> None:
        if not future.done():
            future.set_result(value)


class AsgiMiddleware:
    """Runs an ASGI app for each request of an HTTP function:

        async def main(req, context):
            return await func.AsgiMiddleware(fastapi_app).handle_async(req, context)
    """

    _logger = logging.getLogger('azure.functions.AsgiMiddleware')

    def __init__(self, app) -> None:
        self._app = app
        # The lifespan state (ASGI 'state'): filled by the app's startup,
        # copied into each request's scope.
        self.state: dict = {}
        self._lifespan: typing.Optional[_Lifespan] = None
        self._warned = False

    @property
    def main(self) -> typing.Callable:
        """A sync function `main(req, context)` that serves the app (like
        handle(), on an event loop of its own each call)."""
        return self._handle

    def handle(self, req: HttpRequest, context=None) -> HttpResponse:
        """Deprecated in the real package, kept: runs the app on an event
        loop of its own, from a sync function. Prefer `await handle_async()`
        in an `async def` function, which runs on the worker's event loop."""
        warnings.warn('handle() is deprecated. Please await .handle_async() instead.',
                      DeprecationWarning, stacklevel=2)
        if not self._warned:
            self._warned = True
            self._logger.warning('handle() is deprecated. Please `await .handle_async()` instead.')
        return self._handle(req, context)

    def _handle(self, req: HttpRequest, context=None) -> HttpResponse:
        return asyncio.run(self.handle_async(req, context))

    async def handle_async(self, req: HttpRequest, context=None) -> HttpResponse:
        """The app's response to `req`. An exception the app raises is
        raised here (the function answers 500 with its traceback logged)."""
        stream = request_body_stream(req)
        exchange = Exchange(b'' if stream is not None else req.get_body() or b'', stream,
                            gateway.STREAM_RESPONSES)
        rest = await exchange.run(self._app(self._scope(req, context), exchange.receive,
                                            exchange.send))
        # with mod_funcapp, a streamed response's body is the rest of it
        return HttpResponse(exchange.whole_body() if rest is None else rest,
                            status_code=exchange.status, headers=exchange.headers,
                            mimetype=gateway.content_type(exchange.headers))

    async def notify_startup(self) -> bool:
        """Run the app's lifespan startup (FastAPI's on_event('startup'),
        lifespan context managers) on the running loop, once: requests that
        call it while it runs wait for the same startup. False when the app
        reported a failure (the next call tries again, as does one after
        notify_shutdown()); an app without lifespan support counts as
        started."""
        lifespan = self._lifespan
        if lifespan is None or lifespan.loop is not asyncio.get_running_loop() \
                or lifespan.failed or lifespan.stopping:
            lifespan = self._lifespan = _Lifespan(self._app, self.state, self._logger)
        return await lifespan.started()

    async def notify_shutdown(self) -> None:
        """Run the app's lifespan shutdown, after notify_startup()."""
        if self._lifespan is None:
            raise RuntimeError('notify_startup() must be called first.')
        await self._lifespan.shutdown()

    def _scope(self, req: HttpRequest, context) -> dict:
        target = gateway.request_target(req.url)
        return {
            'type': 'http',
            'asgi': _ASGI,
            'http_version': '1.1',
            'method': req.method,
            'scheme': target.scheme,
            # Decoded as uvicorn does: UTF-8, undecodable bytes replaced.
            'path': target.path.decode('utf-8', 'replace'),
            'raw_path': target.raw_path,
            'query_string': target.query,
            'root_path': '',
            'headers': [(gateway.latin1_bytes(name.lower()), gateway.latin1_bytes(value))
                        for name, value in req.headers.items()],
            'server': (target.host, target.port),
            'client': None,
            'state': dict(self.state),
            **gateway.context_entries(context),
        }
