# SPDX-License-Identifier: Apache-2.0
"""Streamed response bodies: a function's iterable (an HttpResponse whose
body is a generator, a WSGI app's iterable, an ASGI app's successive body
messages) turned into non-empty bytes chunks for the C side.

A def function's stream is pulled by the C side on the pool thread that
ran it (fa_pystream.c): blocking writes with the GIL released, so a slow
client slows the generator down. An async function's stream is written
here, on the event loop, in non-blocking writes to the worker's socket
that await writability (loop.add_writer), so a slow client never blocks
the loop. Either way the function's code runs with its invocation's log
attribution, its exception is logged with its traceback and cuts the
client's response short, and its iterable is closed when the stream stops
early (the client went away, the function timed out): a generator's
`finally` runs.
"""

import os

import _funcapp

from .functions import Stream
from .logging import ERROR, begin, end, say, tls


class Aborted(Exception):
    """The function's stream raised; logged already."""


def _bytes(chunk, charset: str) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, str):
        return chunk.encode(charset)
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(f'a streamed body must yield bytes or str, not {type(chunk).__name__}')


class _Attributed:
    """What the stream's code logs carries its invocation, as the
    function's own lines did (and print() in a def function's stream)."""

    def __init__(self, name: str, invocation_id: str, thread: bool) -> None:
        self.name, self.invocation_id, self.thread = name, invocation_id, thread
        self.state = None

    def __enter__(self):
        self.state = begin(self.name, self.invocation_id)
        if self.thread:
            tls.invocation_id = self.invocation_id

    def __exit__(self, *exc_info):
        if self.thread:
            tls.invocation_id = None
        end(self.state[0], self.invocation_id, self.state[1])


def _failed(exc: BaseException) -> None:
    say(ERROR, f'the response stream raised {type(exc).__name__}; '
               f'the response is cut short', exc, exc.__traceback__.tb_next or exc.__traceback__)


def _from_async(iterable):
    """An async iterable pulled from a thread with no loop (a def function
    that returned one): on a loop of its own."""
    import asyncio
    loop = asyncio.new_event_loop()
    iterator = iterable.__aiter__()
    try:
        while True:
            try:
                yield loop.run_until_complete(iterator.__anext__())
            except StopAsyncIteration:
                return
    finally:
        try:
            aclose = getattr(iterator, 'aclose', None)
            if aclose is not None:
                loop.run_until_complete(aclose())
        finally:
            loop.close()


def _close(*targets) -> None:
    """Closes each of `targets` that can be, once."""
    seen = []
    for target in targets:
        close = getattr(target, 'close', None)
        if close is not None and not any(target is t for t in seen):
            seen.append(target)
            close()


class _SyncChunks:
    """A def function's stream for the C side: non-empty bytes, pulled on
    the pool thread; close() closes the function's iterable, started or
    not."""

    def __init__(self, stream: Stream, name: str, invocation_id: str) -> None:
        self.stream = stream
        self.attributed = _Attributed(name, invocation_id, thread=True)
        self.iterator = None
        self.closed = False

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        iterable = self.stream.iterable
        with self.attributed:
            try:
                if self.iterator is None:
                    self.iterator = (iter(iterable) if hasattr(iterable, '__iter__')
                                     else _from_async(iterable))
                while True:
                    data = _bytes(next(self.iterator), self.stream.charset)
                    if data:  # an empty chunk would end the body
                        return data
            except StopIteration:
                raise
            except (Exception, SystemExit) as exc:
                _failed(exc)
                raise Aborted from None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with self.attributed:
                _close(self.iterator, self.stream.iterable)


class _AsyncChunks:
    """An async function's stream for send(): non-empty bytes, pulled on
    the loop; aclose() closes the function's iterable, started or not."""

    def __init__(self, stream: Stream, name: str, invocation_id: str) -> None:
        self.stream = stream
        self.attributed = _Attributed(name, invocation_id, thread=False)
        self.iterable = stream.iterable
        self.is_async = hasattr(self.iterable, '__aiter__')
        self.iterator = None
        self.closed = False

    def __aiter__(self):
        return self

    async def __anext__(self) -> bytes:
        with self.attributed:
            try:
                if self.iterator is None:
                    self.iterator = (self.iterable.__aiter__() if self.is_async
                                     else iter(self.iterable))
                while True:
                    # a sync iterable runs on the loop, as a def function
                    # does when an async one calls it
                    chunk = (await self.iterator.__anext__() if self.is_async
                             else next(self.iterator))
                    data = _bytes(chunk, self.stream.charset)
                    if data:
                        return data
            except StopIteration:
                raise StopAsyncIteration from None
            except StopAsyncIteration:
                raise
            except (Exception, SystemExit) as exc:
                _failed(exc)
                raise Aborted from None

    async def aclose(self) -> None:
        if self.closed:
            return
        self.closed = True
        with self.attributed:
            for target in (self.iterator, self.iterable):
                aclose = getattr(target, 'aclose', None)
                if aclose is not None:
                    await aclose()
                    return
            _close(self.iterator, self.iterable)


def sync_result(result, name: str, invocation_id: str):
    """A def function's result, its stream (if any) ready for the C side."""
    if len(result) == 4 and isinstance(result[3], Stream):
        return (*result[:3], _SyncChunks(result[3], name, invocation_id))
    return result


def async_result(result, name: str, invocation_id: str):
    """An async function's result, its stream (if any) ready for send()."""
    if len(result) == 4 and isinstance(result[3], Stream):
        return (*result[:3], _AsyncChunks(result[3], name, invocation_id))
    return result


def _writable(loop, fd: int):
    future = loop.create_future()
    loop.add_writer(fd, lambda: future.done() or future.set_result(None))
    future.add_done_callback(lambda _: loop.remove_writer(fd))
    return future


async def _write(loop, fd: int, buffers: list) -> None:
    """Writes every byte of `buffers`, awaiting the socket's room; an
    OSError (the child hung up) ends the stream."""
    while buffers:
        try:
            written = os.writev(fd, buffers)
        except BlockingIOError:
            written = 0
        if not written:
            await _writable(loop, fd)
            continue
        while written:
            first = len(buffers[0])
            if written >= first:
                written -= first
                buffers.pop(0)
            else:
                buffers[0] = memoryview(buffers[0])[written:]
                written = 0


async def send(loop, token, result) -> None:
    """Sends an async function's stream result and reports it done: the
    head, then each chunk as the function yields it, then the end (or the
    abort, if the function raised)."""
    chunks = result[3]
    fd = _funcapp.stream_begin(token, result[:3])
    ok = False
    try:
        if fd < 0:  # answered already (a refused head, a gone client)
            return
        last = False
        try:
            async for data in chunks:
                view = memoryview(data)
                for start in range(0, len(view), _funcapp.MAX_CHUNK):
                    piece = view[start:start + _funcapp.MAX_CHUNK]
                    head = _funcapp.chunk_head(len(piece), False)
                    # one system call either way; a small chunk in one buffer
                    await _write(loop, fd, [head + piece] if len(piece) < 4096 else [head, piece])
        except Aborted:
            last = True
        await _write(loop, fd, [_funcapp.chunk_head(0, last)])
        ok = True
    except OSError:
        pass  # the child hung up: its client went away or the time ran out
    finally:
        try:
            await chunks.aclose()
        finally:
            if fd >= 0:
                _funcapp.stream_end(token, ok)
