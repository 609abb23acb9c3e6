# SPDX-License-Identifier: Apache-2.0
"""A bare ASGI app served by AsgiFunctionApp (t/stream_in.t): reads its
body message by message through receive() and answers what it got."""
import hashlib
import json
import os

import azure.functions as func


async def asgi_app(scope, receive, send):
    if scope['type'] != 'http':
        return
    digest, total, messages, more = hashlib.sha256(), 0, 0, True
    while more:
        message = await receive()
        body = message.get('body', b'')
        digest.update(body)
        total += len(body)
        messages += 1
        more = message.get('more_body', False)
    answer = json.dumps({'bytes': total, 'sha256': digest.hexdigest(),
                         'messages': messages, 'pid': os.getpid()}).encode()
    await send({'type': 'http.response.start', 'status': 200,
                'headers': [(b'content-type', b'application/json')]})
    await send({'type': 'http.response.body', 'body': answer})


app = func.AsgiFunctionApp(app=asgi_app, http_auth_level=func.AuthLevel.ANONYMOUS)
