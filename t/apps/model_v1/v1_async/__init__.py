# SPDX-License-Identifier: Apache-2.0
"""An async v1 function: it runs on the worker's event loop."""
import asyncio
import threading

import azure.functions as func


async def main(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(float(req.route_params["seconds"]))
    return func.HttpResponse(threading.current_thread().name)
