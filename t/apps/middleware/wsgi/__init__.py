# SPDX-License-Identifier: Apache-2.0
import azure.functions as func

from webapps import flask_app


def main(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return func.WsgiMiddleware(flask_app.wsgi_app).handle(req, context)
