# SPDX-License-Identifier: Apache-2.0
"""Azure's HTTP streams for Python (azurefunctions-extensions-http-fastapi):
a v2 function whose request parameter is annotated with FastAPI's
(Starlette's) Request gets one, and a function that returns a Starlette
Response has it answered as the ASGI app it is.

The request is built from an ASGI scope of the invocation; its receive()
reads the body through the worker's body hook as the function asks
(`async for chunk in req.stream()`), so an async function sees a large
upload piece by piece, never whole. The response runs over the same
exchange as AsgiFunctionApp's (asgi.py): a StreamingResponse's chunks go
to the client as it yields them; a client that goes away cancels it.

Every worker imports this module to look at its functions' annotations,
so it imports nothing at start: Starlette is imported only by apps that
use it (the checks go by class names along the MRO), asyncio and urllib
only by the first request that needs them.
"""

from .functions import Stream, http_result

_ASGI = {'version': '3.0', 'spec_version': '2.3'}
_DEFAULT_PORTS = {'http': 80, 'https': 443}


def _is_a(cls, module: str, name: str) -> bool:
    return isinstance(cls, type) and any(
        c.__module__ == module and c.__name__ == name for c in cls.__mro__)


def request_type(fn, param):
    """The Starlette Request class `fn` wants for its parameter `param`
    (None: not an HTTP streams function). The extension's Request is
    FastAPI's, or in its early releases a stand-in whose `request_type`
    is."""
    annotation = (getattr(fn, '__annotations__', None) or {}).get(param)
    if isinstance(annotation, str):  # `from __future__ import annotations`
        try:
            annotation = eval(annotation, getattr(fn, '__globals__', {}))  # noqa: S307
        except Exception:  # a name the module does not define: not ours
            return None
    for cls in (annotation, getattr(annotation, 'request_type', None)):
        if _is_a(cls, 'starlette.requests', 'Request'):
            return cls
    return None


def is_response(value) -> bool:
    return _is_a(type(value), 'starlette.responses', 'Response')


def _scope(method: str, url: str, headers, route_params) -> dict:
    import urllib.parse
    parts = urllib.parse.urlsplit(url, allow_fragments=False)
    scheme = (parts.scheme or 'http').lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    raw_path = (parts.path or '/').encode('utf-8', 'surrogateescape')
    raw_headers = []
    forwarded = None
    for name, value in headers:
        name = name.lower()
        if name == 'x-forwarded-for' and forwarded is None:
            forwarded = value.split(',')[0].strip()
        try:
            raw_value = value.encode('latin-1')
        except UnicodeEncodeError:  # a hand-made request's text
            raw_value = value.encode('utf-8', 'surrogateescape')
        raw_headers.append((name.encode('latin-1', 'replace'), raw_value))
    return {
        'type': 'http', 'asgi': _ASGI, 'http_version': '1.1', 'method': method,
        'scheme': scheme,
        # decoded as uvicorn does: UTF-8, undecodable bytes replaced
        'path': urllib.parse.unquote_to_bytes(raw_path).decode('utf-8', 'replace'),
        'raw_path': raw_path,
        'query_string': parts.query.encode('utf-8', 'surrogateescape'),
        'root_path': '', 'headers': raw_headers,
        'server': (parts.hostname or 'localhost', port or _DEFAULT_PORTS.get(scheme, 80)),
        # The frame carries no peer address: the first X-Forwarded-For hop
        # when a proxy in front set one (on Azure the worker's peer is the
        # host's proxy, 127.0.0.1).
        'client': (forwarded, 0) if forwarded else None,
        'path_params': dict(route_params or {}), 'state': {},
    }


def make_request(request_class, method, url, headers, route_params, body):
    """The function's Request; `body` is bytes, or a body.RequestBody that
    receive() reads as the function asks."""
    from .asgi import Exchange
    streamed = not isinstance(body, (bytes, bytearray))
    exchange = Exchange(b'' if streamed else bytes(body), body if streamed else None)
    return request_class(_scope(method, url, headers, route_params), exchange.receive)


class _Answer:
    """What an ASGI response sent, shaped as functions.http_result reads a
    response: its checks (status range, empty Set-Cookie) apply alike."""

    class _Pairs(list):
        def items(self):
            return self

    def __init__(self, exchange, rest) -> None:
        self.status_code = exchange.status
        self.headers = self._Pairs(exchange.headers)
        self.mimetype = ''  # the response's own Content-Type, or none
        self.charset = 'utf-8'
        self.body_iterator = rest
        self._body = exchange.whole_body() if rest is None else b''

    def get_body(self) -> bytes:
        return self._body


async def asgi_result(response, request, method, url, headers, route_params):
    """(status, headers, body[, Stream]) of `response` run as an ASGI app:
    over the exchange of the function's Request, so it gets the rest of
    the body and then the disconnect; or over a fresh one."""
    from .asgi import Exchange
    receive = getattr(request, 'receive', None)
    exchange = getattr(receive, '__self__', None)
    if isinstance(exchange, Exchange):
        scope = request.scope
    else:
        exchange = Exchange(b'')
        scope = _scope(method, url, headers, route_params)
    rest = await exchange.run(response(scope, exchange.receive, exchange.send))
    return http_result(_Answer(exchange, None if rest is None else _Closing(rest, response)))


class _Closing:
    """The rest of a streamed response, whose aclose() (the client left)
    also closes what the response iterates once its run is cancelled, so
    the function's generator's `finally` runs then, not whenever the
    collector gets to it."""

    def __init__(self, rest, response) -> None:
        self._rest, self._response = rest, response
        self._sync = _threadpool_iterator(getattr(response, 'body_iterator', None))

    def __aiter__(self):
        return self

    async def __anext__(self) -> bytes:
        return await self._rest.__anext__()

    async def aclose(self) -> None:
        try:
            await self._rest.aclose()
        finally:
            aclose = getattr(getattr(self._response, 'body_iterator', None), 'aclose', None)
            if aclose is not None:
                await aclose()
            try:
                close = getattr(self._sync, 'close', None)
                if close is not None:
                    close()
            except ValueError:  # running in a thread: it ends there, when next() returns
                pass


def _threadpool_iterator(body_iterator):
    """The sync iterator a StreamingResponse pulls through Starlette's
    iterate_in_threadpool (None for others): a cancelled run can leave it
    referenced from the cancellation's traceback, so it is closed by name."""
    frame = getattr(body_iterator, 'ag_frame', None)
    if frame is None or frame.f_code.co_name != 'iterate_in_threadpool':
        return None
    return frame.f_locals.get('iterator')


class _OnLoop:
    """A streamed response of a def function, pulled by the pool thread
    that ran it: on the event loop of its own that started the response.
    close() cancels the response (the client left) and closes the loop,
    pulled or not."""

    def __init__(self, loop, rest) -> None:
        self._loop, self._rest = loop, rest

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        try:
            return self._loop.run_until_complete(self._rest.__anext__())
        except StopAsyncIteration:
            self.close()
            raise StopIteration from None

    def close(self) -> None:
        if not self._loop.is_closed():
            try:
                self._loop.run_until_complete(self._rest.aclose())
            finally:
                self._loop.close()


def sync_asgi_result(response, request, method, url, headers, route_params):
    """asgi_result() for a def function on a pool thread: on a loop of its
    own, kept while the response streams."""
    import asyncio
    loop = asyncio.new_event_loop()
    try:
        result = loop.run_until_complete(
            asgi_result(response, request, method, url, headers, route_params))
    except BaseException:
        loop.close()
        raise
    if len(result) < 4:
        loop.close()
        return result
    return (*result[:3], Stream(_OnLoop(loop, result[3].iterable), result[3].charset))
