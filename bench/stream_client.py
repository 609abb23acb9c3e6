#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The HTTP clients of bench/bench's streaming phases, on raw sockets so
that what is measured is the server (and so that an answer that comes in
pieces is seen in pieces).

    bench/stream_client.py echo PORT PATH MiB     # POST MiB, echo checked
    bench/stream_client.py sse PORT PATH          # count events, time them

echo: POSTs SIZE bytes generated on the fly (a random pattern, never held
whole) from one thread while another reads the answer and compares it with
the pattern, byte by byte (memcmp).  It reports the status, the bytes sent
and received, whether the answer is byte-exact, the time, and how far the
upload was when the first byte of the answer came: before its end means
the server streamed.  A server that answers early and closes is reported
(`send_error`), never raised.

sse: GETs an event stream and reports the time to the first event and to
the last, and the events and bytes received (chunked, Content-Length or
until close).
"""
import json
import os
import socket
import sys
import threading
import time

SEND_CHUNK = 256 * 1024
# A prime length, so that a shifted or repeated piece of the body does not
# compare equal to the pattern.
PATTERN_LEN = 1048573
_PATTERN = os.urandom(PATTERN_LEN)
_PATTERN2 = memoryview(_PATTERN + _PATTERN)


def expected(offset, n):
    """The body's bytes offset .. offset + n (n <= PATTERN_LEN)."""
    o = offset % PATTERN_LEN
    return _PATTERN2[o:o + n]


class Answer:
    """Reads one HTTP/1.1 response from a socket, its body piece by piece
    as the pieces arrive (Content-Length, chunked, or until close)."""

    def __init__(self, sock):
        self.sock, self.buf = sock, bytearray()
        self.status, self.headers = None, {}

    def _fill(self):
        data = self.sock.recv(SEND_CHUNK)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        end = self.buf.index(b"\r\n\r\n")
        lines = self.buf[:end].decode("latin-1").split("\r\n")
        del self.buf[:end + 4]
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip().lower(): v.strip() for k, _, v in
                        (line.partition(":") for line in lines[1:])}
        return self.status

    def _take(self):
        data = bytes(self.buf)
        self.buf.clear()
        return data

    def body(self):
        """Yields the body's bytes as they come."""
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            yield from self._chunked()
            return
        left = self.headers.get("content-length")
        left = int(left) if left is not None else None
        while left is None or left > 0:
            if not self.buf:
                try:
                    self._fill()
                except EOFError:
                    if left is None:
                        return
                    raise
            data = self._take()
            if left is not None:
                data, self.buf[:] = data[:left], data[left:]
                left -= len(data)
            yield data

    def _chunked(self):
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            end = self.buf.index(b"\r\n")
            size = int(bytes(self.buf[:end]).split(b";")[0], 16)
            del self.buf[:end + 2]
            if size == 0:
                return
            while size > 0:
                if not self.buf:
                    self._fill()
                data = bytes(self.buf[:size])
                del self.buf[:len(data)]
                size -= len(data)
                yield data
            while len(self.buf) < 2:
                self._fill()
            del self.buf[:2]


def echo(port, path, size, timeout=300.0):
    """POSTs size bytes of the pattern to path and checks the answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sent = [0]
    out = {"size": size, "status": None, "received": 0, "exact": False,
           "send_error": None, "error": None, "sent_at_first_byte": None}

    def sender():
        try:
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "Content-Type: application/octet-stream\r\n"
                         f"Content-Length: {size}\r\n\r\n".encode())
            while sent[0] < size:
                n = min(SEND_CHUNK, size - sent[0])
                sock.sendall(expected(sent[0], n))
                sent[0] += n
        except OSError as e:
            out["send_error"] = f"{e!r} after {sent[0]} bytes"

    t0 = time.monotonic()
    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    exact = True
    try:
        ans = Answer(sock)
        out["status"] = ans.head()
        out["headers"] = ans.headers
        got = 0
        for data in ans.body():
            out["received"] = got
            if got == 0 and data:
                out["sent_at_first_byte"] = sent[0]
                out["first_byte_s"] = time.monotonic() - t0
            # compared in pieces no longer than the pattern
            for i in range(0, len(data), PATTERN_LEN):
                piece = data[i:i + PATTERN_LEN]
                if exact and piece != expected(got + i, len(piece)):
                    exact = False
            got += len(data)
        out["received"] = got
        out["exact"] = exact and got == size and out["status"] == 200
    except (OSError, EOFError, ValueError) as e:
        out["error"] = repr(e)
    out["seconds"] = time.monotonic() - t0
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    thread.join(10)
    sock.close()
    out["sent"] = sent[0]
    out["streamed"] = (out["sent_at_first_byte"] is not None
                       and out["sent_at_first_byte"] < size)
    return out


def sse(port, path, timeout=120.0):
    """GETs an event stream; times its first and last events."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    out = {"status": None, "events": 0, "bytes": 0, "first_event_s": None,
           "last_event_s": None, "error": None}
    t0 = time.monotonic()
    try:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Accept: text/event-stream\r\nConnection: close\r\n"
                     "\r\n".encode())
        ans = Answer(sock)
        out["status"] = ans.head()
        out["headers"] = ans.headers
        tail = b""
        for data in ans.body():
            out["bytes"] += len(data)
            # an event ends with a blank line; one may span two pieces
            n = (tail + data).count(b"\n\n")
            if n:
                now = time.monotonic() - t0
                if out["events"] == 0:
                    out["first_event_s"] = now
                out["events"] += n
                out["last_event_s"] = now
            tail = data[-1:]
    except (OSError, EOFError, ValueError) as e:
        out["error"] = repr(e)
    out["seconds"] = time.monotonic() - t0
    sock.close()
    return out


def main(argv):
    if len(argv) == 5 and argv[1] == "echo":
        r = echo(int(argv[2]), argv[3], int(argv[4]) * 1024 * 1024)
    elif len(argv) == 4 and argv[1] == "sse":
        r = sse(int(argv[2]), argv[3])
    else:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    print(json.dumps(r, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
