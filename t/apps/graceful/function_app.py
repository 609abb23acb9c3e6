# SPDX-License-Identifier: Apache-2.0
import logging
import os
import time

import azure.functions as func

VERSION = "v1"

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="version")
def version(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"{VERSION} {os.getpid()}")


@app.route(route="slow")
def slow(req: func.HttpRequest) -> func.HttpResponse:
    # t/graceful.t restarts httpd once this line is in the log
    logging.warning("slow request started")
    time.sleep(2)
    return func.HttpResponse(f"{VERSION} done {os.getpid()}")
