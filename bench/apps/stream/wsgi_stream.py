# SPDX-License-Identifier: Apache-2.0
"""The streaming WSGI app of the benchmark's echo1g and sse phases, served
as it is by mod_wsgi (daemon mode) and through WsgiFunctionApp by
mod_funcapp (function_app.py), so both run the same Python.

  POST .../echo        reads wsgi.input in 64 KiB chunks and yields each
                       back as it comes (the body never held whole)
  GET  .../sse?n=N&hold=S
                       Server-Sent Events: `data: 0`, then S seconds of
                       sleep (the client tells streaming from buffering by
                       the first event arriving before that), then
                       `data: 1` ... `data: N-1`, one yield each
"""
import time
import urllib.parse

CHUNK = 64 * 1024


def _echo(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(length))])

    def chunks():
        left = length
        while left > 0:
            data = stream.read(min(CHUNK, left))
            if not data:
                return
            left -= len(data)
            yield data
    return chunks()


def _sse(environ, start_response):
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    n = int(query.get("n", ["100000"])[0])
    hold = float(query.get("hold", ["0"])[0])
    start_response("200 OK", [("Content-Type", "text/event-stream"),
                              ("Cache-Control", "no-cache")])

    def events():
        yield b"data: 0\n\n"
        time.sleep(hold)
        for i in range(1, n):
            yield b"data: %d\n\n" % i
    return events()


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path.endswith("/echo") and environ["REQUEST_METHOD"] == "POST":
        return _echo(environ, start_response)
    if path.endswith("/sse"):
        return _sse(environ, start_response)
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"echo (POST) or sse\n"]
