# SPDX-License-Identifier: Apache-2.0
"""A streamed request body: the first part that came with the request,
then the rest, read from the worker's socket as the function asks for it
(the C side's _funcapp.BodyReader: the httpd child sends a body larger than
64 KiB, or of unknown length, in chunks).

One object a request, read by one thread at a time. A pool thread waits
for bytes without the GIL; on the event loop, the `a`-methods wait for the
socket to be readable without blocking the loop. Nothing is read before it
is asked for, so a function that does not read its body never makes the
worker hold it: the bytes wait in the socket and the client waits.

This is the hook streaming interfaces wrap (wsgi.input, ASGI receive(), an
HTTP-streams extension's Request.stream()); azure.functions'
`request_body_stream(req)` hands it out.
"""

# The most a read takes from the socket at once (a chunk's largest size).
PIECE = 256 * 1024


class RequestBodyAborted(ConnectionAbortedError):
    """The httpd child gave up on the request while its body was flowing:
    the client went away, or sent more than the body size limit (it got a
    413). What the function answers then goes nowhere."""


def _raw_read(raw, n: int, wait: bool):
    try:
        return raw.read(n) if wait else raw.read_nowait(n)
    except ConnectionAbortedError as exc:
        raise RequestBodyAborted(*exc.args) from None


async def _readable(fd: int) -> None:
    import asyncio
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(fd)


class RequestBody:
    """File-like (read, read1, readline, iteration by lines) and
    async (aread, aread1, `async for` by pieces) access to a body."""

    def __init__(self, first: bytes, raw=None) -> None:
        self._buf = first
        self._pos = 0
        self._raw = raw  # None once the body is complete
        self.started = False  # a byte was asked for

    @property
    def complete(self) -> bool:
        """Whether every byte has been read from the socket (some may
        still be buffered here)."""
        return self._raw is None

    def _take(self, n: int) -> bytes:
        buf, pos = self._buf, self._pos
        if n < 0 or pos + n >= len(buf):
            self._buf, self._pos = b'', 0
            return buf[pos:] if pos else buf
        self._pos = pos + n
        return buf[pos:pos + n]

    def _buffered(self) -> int:
        return len(self._buf) - self._pos

    def _add(self, data: bytes) -> bool:
        if not data:
            self._raw = None
            return False
        self._buf = self._buf[self._pos:] + data if self._buffered() else data
        self._pos = 0
        return True

    def _more(self) -> bool:
        return self._raw is not None and self._add(_raw_read(self._raw, PIECE, True))

    def _gathered(self, parts: list, n: int) -> bytes:
        # joined once: adding piece by piece to one buffer would copy a
        # large body over and over
        self._buf, self._pos = b''.join(parts), 0
        return self._take(n)

    # ---- blocking reads (a pool thread)

    def read(self, n: int = -1) -> bytes:
        """n bytes (fewer only at the end); all that is left when n < 0."""
        self.started = True
        n = -1 if n is None or n < 0 else n
        parts = [self._take(-1)]
        have = len(parts[0])
        while (n < 0 or have < n) and self._raw is not None:
            data = _raw_read(self._raw, PIECE, True)
            if not data:
                self._raw = None
            parts.append(data)
            have += len(data)
        return self._gathered(parts, n)

    def read1(self, n: int = -1) -> bytes:
        """What is there, at least one byte unless at the end."""
        self.started = True
        if not self._buffered():
            self._more()
        return self._take(n if n is not None and n >= 0 else -1)

    def readline(self, limit: int = -1) -> bytes:
        self.started = True
        limit = -1 if limit is None else limit
        while True:
            end = self._buf.find(b'\n', self._pos)
            if end >= 0:
                n = end + 1 - self._pos
                return self._take(n if limit < 0 else min(n, limit))
            if 0 <= limit <= self._buffered() or not self._more():
                return self._take(limit)

    def readlines(self, hint: int = -1) -> list:
        lines, size = [], 0
        for line in self:
            lines.append(line)
            size += len(line)
            if 0 < hint <= size:
                break
        return lines

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def chunks(self):
        """The body piece by piece, as it arrives."""
        while True:
            data = self.read1()
            if not data:
                return
            yield data

    # ---- awaiting reads (the event loop)

    async def _araw(self) -> bytes:
        raw = self._raw
        data = _raw_read(raw, PIECE, False)
        while data is None:
            await _readable(raw.fileno())
            data = _raw_read(raw, PIECE, False)
        if not data:
            self._raw = None
        return data

    async def _amore(self) -> bool:
        return self._raw is not None and self._add(await self._araw())

    async def aread(self, n: int = -1) -> bytes:
        """read(), awaiting the bytes."""
        self.started = True
        n = -1 if n is None or n < 0 else n
        parts = [self._take(-1)]
        have = len(parts[0])
        while (n < 0 or have < n) and self._raw is not None:
            data = await self._araw()
            parts.append(data)
            have += len(data)
        return self._gathered(parts, n)

    async def aread1(self, n: int = -1) -> bytes:
        """read1(), awaiting the bytes."""
        self.started = True
        if not self._buffered():
            await self._amore()
        return self._take(n if n is not None and n >= 0 else -1)

    def __aiter__(self):
        return self._apieces()

    async def _apieces(self):
        while True:
            data = await self.aread1()
            if not data:
                return
            yield data
