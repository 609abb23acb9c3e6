#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The bare asyncio HTTP server bench/bench's 1000-sleep phase compares
mod_funcapp with: asyncio.start_server and nothing else (no framework, no
uvloop), so the figure is what the event loop itself costs.

    bench/asyncio_server.py PORT [BACKLOG]

BACKLOG is the listen backlog (2048 by default, as the httpds of the
1000-sleep phase; the 10,000-sleep phase gives its httpd's 16384).

GET /api/sleep/S awaits asyncio.sleep(S) and answers the process id, like
the mod_funcapp sleep function; any other path answers "Hello world".
HTTP/1.1 keep-alive unless the client sends `Connection: close`.
"""
import asyncio
import os
import sys

HELLO = b"Hello world"


async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {k.strip().lower(): v.strip() for k, _, v in
                       (line.partition(":") for line in lines[1:] if line)}
            length = int(headers.get("content-length", "0"))
            if length:
                await reader.readexactly(length)
            body = HELLO
            if path.startswith("/api/sleep/"):
                await asyncio.sleep(float(path[len("/api/sleep/"):]))
                body = str(os.getpid()).encode()
            close = headers.get("connection", "").lower() == "close"
            writer.write(b"HTTP/1.1 200 OK\r\n"
                         b"Content-Type: text/plain; charset=utf-8\r\n"
                         b"Content-Length: %d\r\n%s\r\n%s"
                         % (len(body), b"Connection: close\r\n" if close
                            else b"", body))
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, ConnectionError, IndexError,
            ValueError):
        pass
    finally:
        writer.close()


async def main(port, backlog):
    server = await asyncio.start_server(serve, "127.0.0.1", port,
                                        backlog=backlog)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]),
                     int(sys.argv[2]) if len(sys.argv) > 2 else 2048))
