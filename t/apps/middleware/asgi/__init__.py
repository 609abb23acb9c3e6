# SPDX-License-Identifier: Apache-2.0
import azure.functions as func

from webapps import fastapi_app


async def main(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return await func.AsgiMiddleware(fastapi_app).handle_async(req, context)
