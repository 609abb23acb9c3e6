# SPDX-License-Identifier: Apache-2.0
"""HttpRequest and HttpResponse, with the real package's constructors."""

from __future__ import annotations  # annotations stay text: no typing import

import collections.abc
import types

from . import _abc


class HttpRequestHeaders(collections.abc.Mapping):
    """Read-only, case-insensitive request headers (keys are lower case).

    Accepts a mapping or a list of (name, value) pairs; pairs are merged
    only on first access, so a function that never reads headers never pays
    for them. Repeated headers are joined with ", " (RFC 9110 5.3).
    """

    __slots__ = ('_source', '_dict')

    def __init__(self, source: (collections.abc.Mapping[str, str]
                                | collections.abc.Iterable[tuple[str, str]] | None) = None,
                 ) -> None:
        self._source = source
        self._dict: dict[str, str] | None = None

    def _headers(self) -> dict[str, str]:
        merged = self._dict
        if merged is None:
            merged = {}
            source = self._source
            pairs = source.items() if isinstance(source, collections.abc.Mapping) else source or ()
            for name, value in pairs:
                name = name.lower()
                merged[name] = f'{merged[name]}, {value}' if name in merged else value
            self._dict = merged
            self._source = None
        return merged

    def __getitem__(self, key: str) -> str:
        return self._headers()[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._headers()

    def __iter__(self):
        return iter(self._headers())

    def __len__(self):
        return len(self._headers())

    def __repr__(self):
        return f'{type(self).__name__}({self._headers()!r})'


def _header_value(value: object) -> str:
    value = value if isinstance(value, str) else str(value)
    if '\n' in value or '\r' in value:
        # Same refusal as werkzeug's Headers in the real package: a newline
        # would let a value inject further headers.
        raise ValueError('Header values must not contain newline characters.')
    return value


class HttpResponseHeaders(collections.abc.MutableMapping):
    """Case-insensitive response headers that may repeat a name.

    Follows the werkzeug Headers API the real package exposes: `h[k] = v`
    replaces every `k`, `h.add(k, v)` appends another one (how several
    `Set-Cookie` headers are set), `h.get_all(k)` lists them, `h[k]` is the
    first one and `items()` yields every (name, value) pair in order.
    """

    def __init__(self, source: (collections.abc.Mapping[str, object]
                                | collections.abc.Iterable[tuple[str, object]] | None) = None,
                 ) -> None:
        self._pairs: list[tuple[str, str]] = []
        if source is not None:
            self.extend(source)

    def extend(self, source) -> None:
        """Add every pair of a mapping or of an iterable of pairs."""
        for name, value in (source.items() if hasattr(source, 'items') else source):
            self.add(name, value)

    def add(self, key: str, value: object) -> None:
        """Append a header, keeping any existing one of the same name."""
        self._pairs.append((str(key), _header_value(value)))

    add_header = add

    def get_all(self, key: str) -> list[str]:
        lkey = key.lower()
        return [v for k, v in self._pairs if k.lower() == lkey]

    getlist = get_all

    def set(self, key: str, value: object) -> None:
        self[key] = value

    def remove(self, key: str) -> None:
        """Drop every header named `key` (no error when there is none)."""
        lkey = key.lower()
        self._pairs = [(k, v) for k, v in self._pairs if k.lower() != lkey]

    def __getitem__(self, key: str) -> str:
        lkey = key.lower()
        for k, v in self._pairs:
            if k.lower() == lkey:
                return v
        raise KeyError(key)

    def __setitem__(self, key: str, value: object) -> None:
        # Replace in place to keep the header order, drop the repeats.
        value = _header_value(value)
        lkey = key.lower()
        pairs: list[tuple[str, str]] = []
        replaced = False
        for k, v in self._pairs:
            if k.lower() != lkey:
                pairs.append((k, v))
            elif not replaced:
                pairs.append((str(key), value))
                replaced = True
        if not replaced:
            pairs.append((str(key), value))
        self._pairs = pairs

    def __delitem__(self, key: str) -> None:
        count = len(self._pairs)
        self.remove(key)
        if len(self._pairs) == count:
            raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        lkey = key.lower()
        return any(k.lower() == lkey for k, _ in self._pairs)

    def __iter__(self):
        return iter([k for k, _ in self._pairs])

    def __len__(self):
        return len(self._pairs)

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return list(self._pairs)

    def values(self) -> list[str]:  # type: ignore[override]
        return [v for _, v in self._pairs]

    def __repr__(self):
        return f'{type(self).__name__}({self._pairs!r})'


def _query_params(url: str) -> dict[str, str]:
    # Repeated parameters are joined with "," as the Functions host does.
    params: dict[str, str] = {}
    import urllib.parse  # here: most functions never read their query string
    query = urllib.parse.urlsplit(url).query
    for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        params[name] = f'{params[name]},{value}' if name in params else value
    return params


class HttpRequest(_abc.HttpRequest):
    """An HTTP request.

    :param method: request method (any case; `.method` is upper case).
    :param url: full URL.
    :param headers: mapping or (name, value) pairs.
    :param params: query parameters; parsed from `url` when None.
    :param route_params: values of the route template's parameters.
    :param body: request body (str is UTF-8 encoded); in a worker, a
        streamed body (an object with read()) is read on first get_body().
    """

    def __init__(self, method: str, url: str, *,
                 headers: (collections.abc.Mapping[str, str]
                           | collections.abc.Iterable[tuple[str, str]] | None) = None,
                 params: collections.abc.Mapping[str, str] | None = None,
                 route_params: collections.abc.Mapping[str, str] | None = None,
                 body: bytes | bytearray | str | None = b'') -> None:
        stream = None
        if body is None:
            body = b''
        elif isinstance(body, str):
            body = body.encode('utf-8')
        elif isinstance(body, (bytearray, memoryview)):
            body = bytes(body)
        elif hasattr(body, 'read') and hasattr(body, 'aread'):
            stream, body = body, None  # mod_funcapp's streamed body
        elif not isinstance(body, bytes):
            raise TypeError(f'unexpected HTTP request body type: {type(body).__name__}')
        self.__stream = stream
        self.__method = method
        self.__url = url
        self.__headers = headers if isinstance(headers, HttpRequestHeaders) \
            else HttpRequestHeaders(headers)
        self.__params = None if params is None else types.MappingProxyType(dict(params))
        self.__route_params = types.MappingProxyType(dict(route_params or {}))
        self.__body = body
        self.__form = None
        self.__files = None

    @property
    def method(self) -> str:
        return self.__method.upper()

    @property
    def url(self) -> str:
        return self.__url

    @property
    def headers(self) -> HttpRequestHeaders:
        return self.__headers

    @property
    def params(self) -> collections.abc.Mapping[str, str]:
        if self.__params is None:
            self.__params = types.MappingProxyType(_query_params(self.__url))
        return self.__params

    @property
    def route_params(self) -> collections.abc.Mapping[str, str]:
        return self.__route_params

    @property
    def body_iterator(self):
        """The streamed body's iterable, or None (a whole body)."""
        return self.__stream

    def get_body(self) -> bytes:
        if self.__body is None:
            if self.__stream.started:
                raise RuntimeError('the request body was already read as a stream')
            self.__body = self.__stream.read()
            self.__stream = None
        return self.__body

    def _funcapp_stream(self):
        """The body as a stream while get_body() has not read it (see
        request_body_stream)."""
        return self.__stream if self.__body is None else None

    def get_json(self) -> object:
        try:
            import json
            return json.loads(self.get_body().decode('utf-8'))
        except ValueError as e:
            raise ValueError('HTTP request does not contain valid JSON data') from e

    @property
    def form(self):
        """Fields of a urlencoded or multipart/form-data body."""
        self.__parse_form()
        return self.__form

    @property
    def files(self):
        """Uploaded files of a multipart/form-data body, by field name."""
        self.__parse_form()
        return self.__files

    def __parse_form(self) -> None:
        if self.__form is None:
            # Imported here: most requests never look at a form body.
            from ._form import parse_form
            self.__form, self.__files = parse_form(
                self.get_body(), self.__headers.get('content-type', ''))


def request_body_stream(req):
    """mod_funcapp's hook for streaming interfaces (wsgi.input, ASGI
    receive(), an HTTP-streams extension's Request.stream()): the body of
    `req` as it arrives, an object with read(n), read1(n), readline(),
    line iteration, chunks(), and on the event loop `await aread(n)`,
    `await aread1(n)` and `async for` over pieces; None when the body is
    plain bytes (small enough to come whole, or already read by
    get_body()), then `req.get_body()` has it."""
    getter = getattr(req, '_funcapp_stream', None)
    return getter() if getter is not None else None


def _is_stream(body) -> bool:
    """An iterable of chunks: anything iterable but a text or a buffer."""
    if isinstance(body, (str, bytes, bytearray, memoryview, collections.abc.Mapping)):
        return False
    return isinstance(body, (collections.abc.Iterable, collections.abc.AsyncIterable))


class HttpResponse(_abc.HttpResponse):
    """An HTTP response.

    :param body: str (encoded with `charset`) or bytes; or, with
        mod_funcapp, an iterable or async iterable (a generator, an async
        generator) of bytes or str, sent to the client chunk by chunk as it
        yields them (`get_body()` is then b'').
    :param status_code: int or http.HTTPStatus, default 200.
    :param headers: mapping or (name, value) pairs; add repeated headers
        (several Set-Cookie) afterwards with `resp.headers.add(name, value)`.
    :param mimetype: default 'text/plain'.
    :param charset: default 'utf-8'.
    """

    __stream = None

    def __init__(self, body: str | bytes | bytearray | None = None, *,
                 status_code: int | None = None,
                 headers: (collections.abc.Mapping[str, object]
                           | collections.abc.Iterable[tuple[str, object]] | None) = None,
                 mimetype: str | None = None,
                 charset: str | None = None) -> None:
        self.__status_code = 200 if status_code is None else int(status_code)
        self.__mimetype = 'text/plain' if mimetype is None else mimetype
        self.__charset = 'utf-8' if charset is None else charset
        self.__headers = HttpResponseHeaders(headers)
        if body is None:
            body = b''
        elif isinstance(body, str):
            body = body.encode(self.__charset)
        elif isinstance(body, (bytearray, memoryview)):
            body = bytes(body)
        elif _is_stream(body):
            # mod_funcapp: sent chunk by chunk as the iterable yields them
            self.__stream = body
            body = b''
        elif not isinstance(body, bytes):
            raise TypeError(f'response is expected to be either of str, bytes, '
                            f'or bytearray, got {type(body).__name__}')
        self.__body = body

    @property
    def status_code(self) -> int:
        return self.__status_code

    @property
    def mimetype(self) -> str:
        return self.__mimetype

    @property
    def charset(self) -> str:
        return self.__charset

    @property
    def headers(self) -> HttpResponseHeaders:
        return self.__headers

    @property
    def body_iterator(self):
        """The streamed body's iterable, or None (a whole body)."""
        return self.__stream

    def get_body(self) -> bytes:
        return self.__body
