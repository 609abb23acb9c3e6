# SPDX-License-Identifier: Apache-2.0
"""What the WSGI and ASGI bridges share: the request URL taken apart the
way both gateway specs want it, and the Azure entries of environ / scope.

The app sees the request's own URL path, as with the real package: behind
a `{*route}` function under the default routePrefix, `/api/items/1` reaches
the app as `/api/items/1` (root_path and SCRIPT_NAME stay empty).
"""

import sys
import typing
import urllib.parse

_DEFAULT_PORTS = {'http': 80, 'https': 443}

# In a mod_funcapp worker, whose C side sends a body as it comes, a WSGI
# app's iterable and an ASGI app's body messages with more_body are
# streamed to the client; elsewhere (the real package's host, tests)
# responses are collected whole.
STREAM_RESPONSES = hasattr(sys.modules.get('_funcapp'), 'stream_begin')

# The context properties the real package copies into environ and scope,
# under 'azure_functions.<name>'.
_CONTEXT_ENTRIES = ('function_directory', 'function_name', 'invocation_id',
                    'thread_local_storage', 'trace_context', 'retry_context')


class RequestTarget(typing.NamedTuple):
    """A request URL split for a gateway."""
    scheme: str
    host: str
    port: int
    raw_path: bytes  # as the client sent it, still percent-encoded
    path: bytes      # percent-decoded
    query: bytes     # as the client sent it


def request_target(url: str) -> RequestTarget:
    # Clients never send a fragment, so a '#' httpd received is part of
    # the path or query, not the start of a fragment.
    parts = urllib.parse.urlsplit(url, allow_fragments=False)
    scheme = (parts.scheme or 'http').lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number
        port = None
    # The worker hands over the URL as UTF-8 with undecodable bytes as
    # surrogates: encoding it back gives exactly the bytes received.
    raw_path = (parts.path or '/').encode('utf-8', 'surrogateescape')
    return RequestTarget(
        scheme=scheme,
        host=parts.hostname or 'localhost',
        port=port or _DEFAULT_PORTS.get(scheme, 80),
        raw_path=raw_path,
        path=urllib.parse.unquote_to_bytes(raw_path),
        query=parts.query.encode('utf-8', 'surrogateescape'))


def latin1_text(value: str) -> str:
    """`value` as a byte string in Latin-1 code points (PEP 3333 "native
    strings"). Header values from the worker already are; other text, from
    a hand-built HttpRequest, becomes its UTF-8 bytes."""
    try:
        value.encode('latin-1')
        return value
    except UnicodeEncodeError:
        return value.encode('utf-8', 'surrogateescape').decode('latin-1')


def latin1_bytes(value: str) -> bytes:
    return latin1_text(value).encode('latin-1')


def context_entries(context) -> dict:
    """The invocation's context for the app, as the real package passes it
    (None for what the context lacks, or when there is no context)."""
    return {f'azure_functions.{name}': getattr(context, name, None)
            for name in _CONTEXT_ENTRIES}


def content_type(headers: typing.Iterable[typing.Tuple[str, str]]) -> str:
    """The response's Content-Type, '' when the app set none, so that none
    gets added: an empty 204 or a redirect stays without one."""
    return next((value for name, value in headers if name.lower() == 'content-type'), '')
