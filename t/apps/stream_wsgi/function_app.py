# SPDX-License-Identifier: Apache-2.0
"""A bare WSGI app served by WsgiFunctionApp (t/stream_in.t): /lines reads
wsgi.input line by line, anything else with read(n); both answer what
they read, as JSON."""
import hashlib
import json
import os

import azure.functions as func


def wsgi_app(environ, start_response):
    stream = environ['wsgi.input']
    digest, total, reads = hashlib.sha256(), 0, 0
    if environ['PATH_INFO'] == '/lines':
        pieces = iter(stream)
    else:
        pieces = iter(lambda: stream.read(65536), b'')
    for piece in pieces:
        digest.update(piece)
        total += len(piece)
        reads += 1
    body = json.dumps({'bytes': total, 'sha256': digest.hexdigest(), 'reads': reads,
                       'content_length': environ.get('CONTENT_LENGTH'),
                       'pid': os.getpid()}).encode()
    start_response('200 OK', [('Content-Type', 'application/json')])
    return [body]


app = func.WsgiFunctionApp(app=wsgi_app, http_auth_level=func.AuthLevel.ANONYMOUS)
