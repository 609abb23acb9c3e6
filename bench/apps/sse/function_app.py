# SPDX-License-Identifier: Apache-2.0
"""The sse phase's native row (bench/bench): the events of
bench/apps/stream/wsgi_stream.py's /sse, from a def function returning
func.HttpResponse(generator) (README "Streamed responses") instead of a
WSGI app through WsgiFunctionApp.

  GET /api/sse?n=N&hold=S   `data: 0`, S seconds of sleep, then `data: 1`
                            ... `data: N-1`, one yield each
"""
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="sse", methods=["GET"])
def sse(req: func.HttpRequest) -> func.HttpResponse:
    n = int(req.params.get("n", "100000"))
    hold = float(req.params.get("hold", "0"))

    def events():
        yield b"data: 0\n\n"
        time.sleep(hold)
        for i in range(1, n):
            yield b"data: %d\n\n" % i
    return func.HttpResponse(events(), mimetype="text/event-stream",
                             headers={"Cache-Control": "no-cache"})
