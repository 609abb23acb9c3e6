# SPDX-License-Identifier: Apache-2.0
"""The WSGI app of the benchmark (mod_wsgi daemon and embedded mode, and
gunicorn): the same 11-byte body and Content-Type as the hello function."""
BODY = b"Hello world"
HEADERS = [("Content-Type", "text/plain; charset=utf-8"),
           ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
