# SPDX-License-Identifier: Apache-2.0
"""WsgiMiddleware: a WSGI app (Flask, Django, ...) served by an HTTP function."""

import io
import logging
import re
import typing

from . import _http_gateway as gateway
from ._http import HttpRequest, HttpResponse, request_body_stream

_STATUS = re.compile(r'([1-9][0-9]{2})(?: .*)?', re.DOTALL)
# httpd's own CGI environment leaves out header names with other characters
# ('_' in particular): "X_User" would otherwise become HTTP_X_USER and pass
# for the "X-User" a proxy in front vouches for.
_CGI_HEADER_NAME = re.compile(r'[A-Za-z0-9-]+')


class _ErrorStream(io.TextIOBase):
    """wsgi.errors: each line the app writes goes to the error log (at
    ERROR, as mod_wsgi does) with the invocation it belongs to. One stream
    a request, so lines of concurrent requests never mix."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__()
        self._logger = logger
        self._partial = ''

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f'write() argument must be str, not {type(s).__name__}')
        *lines, self._partial = (self._partial + s).split('\n')
        for line in lines:
            self._logger.error('%s', line)
        return len(s)

    def flush(self) -> None:
        if self._partial:
            self._logger.error('%s', self._partial)
            self._partial = ''

    def writable(self) -> bool:
        return True


class _Response:
    """start_response(), write() and what they collected."""

    def __init__(self) -> None:
        self.status: typing.Optional[int] = None
        self.headers: typing.List[typing.Tuple[str, str]] = []
        self.chunks: typing.List[bytes] = []

    def start_response(self, status: str, headers, exc_info=None):
        # Nothing is sent before the app is done, so a second call with
        # exc_info (an error page replacing a started response) is always
        # in time; without exc_info it is the app's bug (PEP 3333).
        if self.status is not None and exc_info is None:
            raise AssertionError('start_response() called again without exc_info')
        match = _STATUS.fullmatch(status) if isinstance(status, str) else None
        if match is None:
            raise ValueError(f"WSGI status must be a string like '200 OK', not {status!r}")
        pairs = []
        for pair in headers:
            name, value = pair
            if not isinstance(name, str) or not isinstance(value, str):
                raise TypeError(f'WSGI response headers must be (str, str) pairs, not {pair!r}')
            pairs.append((name, value))
        self.status = int(match.group(1))
        self.headers = pairs
        return self.write

    def write(self, data: bytes) -> None:
        self.chunks.append(self.checked(data))

    @staticmethod
    def checked(chunk) -> bytes:
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            raise TypeError(f'a WSGI app must produce bytes, not {type(chunk).__name__}')
        return bytes(chunk)


# A response that says it is this long or shorter is collected and sent
# whole; a longer one, or one with no length (a generator: Flask's
# stream_with_context, Django's StreamingHttpResponse), is streamed.
_WHOLE_UP_TO = 1024 * 1024


def _streams(result, headers) -> bool:
    """Whether a WSGI response is sent as it comes (mod_funcapp): not a
    list or tuple (bodies made whole), nor a short Content-Length."""
    if isinstance(result, (list, tuple)):
        return False
    for name, value in headers:
        if name.lower() == 'content-length':
            try:
                return int(value) > _WHOLE_UP_TO
            except ValueError:
                return True
    return True


def _close(result) -> None:
    close = getattr(result, 'close', None)
    if close is not None:
        close()


class _Rest:
    """A streamed body (mod_funcapp): what came, then each item as the app
    yields it; the app's close() once it ends or the client left, whether
    or not the stream was started."""

    def __init__(self, response: _Response, result, chunks, environ: dict) -> None:
        self._came = response.chunks
        response.chunks = []
        self._result, self._chunks, self._environ = result, chunks, environ
        self._closed = False

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        if self._came:
            return self._came.pop(0)
        return _Response.checked(next(self._chunks))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                _close(self._result)
            finally:
                self._environ['wsgi.errors'].flush()


class WsgiMiddleware:
    """Runs a WSGI app for each request of an HTTP function:

        main = func.WsgiMiddleware(flask_app.wsgi_app).main

    or, inside a function, `return func.WsgiMiddleware(app).handle(req, context)`.
    """

    _logger = logging.getLogger('azure.functions.WsgiMiddleware')

    def __init__(self, app) -> None:
        self._app = app

    @property
    def main(self) -> typing.Callable:
        """A function `main(req, context)` that serves the app."""
        return self._handle

    def handle(self, req: HttpRequest, context=None) -> HttpResponse:
        """The app's response to `req`. An exception the app raises is
        raised here (the function answers 500 with its traceback logged)."""
        return self._handle(req, context)

    def _handle(self, req: HttpRequest, context=None) -> HttpResponse:
        environ = self._environ(req, context)
        response = _Response()
        streamed = False
        try:
            result = self._app(environ, response.start_response)
            try:
                chunks = iter(result)
                # start_response may come as late as the first item.
                for chunk in chunks:
                    response.chunks.append(response.checked(chunk))
                    if response.status is not None and gateway.STREAM_RESPONSES \
                            and _streams(result, response.headers):
                        streamed = True
                        break
            finally:
                if not streamed:
                    _close(result)
        finally:
            if not streamed:
                environ['wsgi.errors'].flush()
        if response.status is None:
            raise RuntimeError('the WSGI app returned without calling start_response()')
        body = (_Rest(response, result, chunks, environ) if streamed
                else b''.join(response.chunks))
        return HttpResponse(body, status_code=response.status, headers=response.headers,
                            mimetype=gateway.content_type(response.headers))

    def _environ(self, req: HttpRequest, context) -> dict:
        target = gateway.request_target(req.url)
        # a streamed body is read as the app reads wsgi.input
        stream = request_body_stream(req)
        body = b'' if stream is not None else req.get_body() or b''
        length = req.headers.get('content-length') if stream is not None else str(len(body))
        environ = {
            'REQUEST_METHOD': req.method,
            'SCRIPT_NAME': '',
            'PATH_INFO': target.path.decode('latin-1'),
            'QUERY_STRING': target.query.decode('latin-1'),
            'CONTENT_LENGTH': length or '',
            'SERVER_NAME': target.host,
            'SERVER_PORT': str(target.port),
            'SERVER_PROTOCOL': 'HTTP/1.1',
            'wsgi.version': (1, 0),
            'wsgi.url_scheme': target.scheme,
            'wsgi.input': stream if stream is not None else io.BytesIO(body),
            # Reading to EOF is safe, streamed or not (werkzeug).
            'wsgi.input_terminated': True,
            'wsgi.errors': _ErrorStream(self._logger),
            # Sync functions run on a pool of PythonThreadpoolThreadCount
            # threads, in as many worker processes as configured.
            'wsgi.multithread': True,
            'wsgi.multiprocess': True,
            'wsgi.run_once': False,
        }
        if not length:  # a chunked upload: unknown (PEP 3333: absent)
            del environ['CONTENT_LENGTH']
        for name, value in req.headers.items():
            key = name.upper().replace('-', '_')
            if key == 'CONTENT_TYPE':
                environ['CONTENT_TYPE'] = gateway.latin1_text(value)
            elif key != 'CONTENT_LENGTH' and _CGI_HEADER_NAME.fullmatch(name):
                environ['HTTP_' + key] = gateway.latin1_text(value)
        environ.update(gateway.context_entries(context))
        return environ
