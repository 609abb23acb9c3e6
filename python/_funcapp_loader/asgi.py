# SPDX-License-Identifier: Apache-2.0
"""One ASGI http exchange run on the worker's terms: receive() reads a
streamed request body as the app asks (the body hook of body.py), send()
collects the response, and a response whose first body message says
more_body is handed over while the app still runs, one message at a time.

Two users: azure.functions' AsgiMiddleware (a whole ASGI app behind a
function) and httpstreams.py (a Starlette Response a function returned,
itself an ASGI app). It lives in the loader, not in azure.functions, so it
streams the same whichever azure.functions the app imports.
"""

import asyncio
import typing


class Exchange:
    """receive() and send() of one request, and the response they collect.

    With `stream_responses`, a response is streamed from its first body
    message with more_body=True (Starlette's StreamingResponse, SSE):
    `streaming` is set, and the rest is handed over one message at a time
    (the app's send() waits until the last one was taken: memory stays
    bounded, a slow client slows the app)."""

    # the most one http.request message carries of a streamed body
    PIECE = 64 * 1024

    def __init__(self, body: bytes, stream=None, stream_responses: bool = True) -> None:
        self._body: typing.Optional[bytes] = None if stream is not None else body
        self._stream = stream  # a streamed body, read as receive() asks
        self._stream_responses = stream_responses
        self.complete = asyncio.Event()
        # the response is complete or its client gone: receive() says so
        self.over = asyncio.Event()
        self.streaming = asyncio.Event()
        self.queue: asyncio.Queue = asyncio.Queue()
        self.status: typing.Optional[int] = None
        self.headers: typing.List[typing.Tuple[str, str]] = []
        self.chunks: typing.List[bytes] = []

    async def receive(self) -> dict:
        if self._stream is not None:
            data = await self._stream.aread1(self.PIECE)
            if not data:
                self._stream = None
            return {'type': 'http.request', 'body': data, 'more_body': bool(data)}
        if self._body is not None:
            message = {'type': 'http.request', 'body': self._body, 'more_body': False}
            self._body = None
            return message
        # Frameworks listen for a disconnect while they stream a response
        # (Starlette's StreamingResponse): it must not come before the
        # response is done, or they stop half way.
        await self.over.wait()
        return {'type': 'http.disconnect'}

    async def send(self, message: dict) -> None:
        kind = message.get('type')
        if self.over.is_set():
            raise RuntimeError(f"ASGI message '{kind}' sent after the response was complete")
        if kind == 'http.response.start':
            if self.status is not None:
                raise RuntimeError("ASGI 'http.response.start' sent twice")
            self.status = int(message['status'])
            self.headers = [(self._text(name), self._text(value))
                            for name, value in message.get('headers', ())]
        elif kind == 'http.response.body':
            if self.status is None:
                raise RuntimeError("ASGI 'http.response.body' sent before 'http.response.start'")
            body = message.get('body', b'')
            if not isinstance(body, (bytes, bytearray, memoryview)):
                raise TypeError(f'ASGI response body must be bytes, not {type(body).__name__}')
            more = message.get('more_body', False)
            if not more:
                self.complete.set()
                self.over.set()
            if not self.streaming.is_set():
                self.chunks.append(bytes(body))
                if more and self._stream_responses:
                    self.streaming.set()
                return
            self.queue.put_nowait(bytes(body))
            if more:
                await self.queue.join()
        else:
            raise RuntimeError(f"unexpected ASGI message '{kind}' for an http scope")

    @staticmethod
    def _text(value) -> str:
        if not isinstance(value, (bytes, bytearray)):
            raise TypeError(f'ASGI header names and values must be bytes, not {value!r}')
        return bytes(value).decode('latin-1')

    def whole_body(self) -> bytes:
        """The body of a response the app completed."""
        if not self.complete.is_set():
            state = 'without starting a response' if self.status is None \
                else 'before its response was complete'
            raise RuntimeError(f'the ASGI app returned {state}')
        return b''.join(self.chunks)

    async def run(self, app_call) -> typing.Optional['Rest']:
        """Runs `app_call` (the app's coroutine over this exchange) until its
        response is complete (None: whole_body() has it) or streams (the
        Rest of its body). What the app raises is raised here; cancelled
        (the client went away), the app is cancelled too."""
        app = asyncio.ensure_future(app_call)
        streaming = asyncio.ensure_future(self.streaming.wait())
        try:
            await asyncio.wait((app, streaming), return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            app.cancel()
            raise
        finally:
            streaming.cancel()
        if self.streaming.is_set():  # the rest is queued or to come
            return Rest(self, app)
        app.result()
        return None


class Rest:
    """The rest of a streamed ASGI body, as an async iterator: what came,
    then each message's body until the last. aclose() (the client left)
    tells the app through receive() and cancels it, started or not."""

    _END = object()

    def __init__(self, exchange: Exchange, app: asyncio.Task) -> None:
        self._exchange, self._app = exchange, app
        self._came = exchange.chunks
        exchange.chunks = []
        app.add_done_callback(lambda _: exchange.queue.put_nowait(self._END))

    def __aiter__(self):
        return self

    async def __anext__(self) -> bytes:
        if self._came:
            return self._came.pop(0)
        queue = self._exchange.queue
        chunk = await queue.get()
        queue.task_done()  # the app may produce the next one meanwhile
        if chunk is not self._END:
            return chunk
        queue.put_nowait(self._END)  # and again, for a second call
        self._app.result()  # the app's exception, if it raised
        if not self._exchange.complete.is_set():
            raise RuntimeError('the ASGI app returned before its response was complete')
        raise StopAsyncIteration

    async def aclose(self) -> None:
        if not self._app.done():
            self._exchange.over.set()
            self._app.cancel()
            try:
                await self._app
            except BaseException:  # its cancellation, or what it raised
                pass
