# SPDX-License-Identifier: Apache-2.0
# host.json (functions, logLevel, customHeaders) and CORS (t/httprules.t).
import logging

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="get_only", methods=["GET"])
def get_only(req: func.HttpRequest) -> str:
    return "get_only"


@app.route(route="keyed", auth_level=func.AuthLevel.FUNCTION)
def keyed(req: func.HttpRequest) -> str:
    return "keyed"


@app.route(route="own_header")
def own_header(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("own", headers={"X-Frame-Options": "SAMEORIGIN",
                                             "Access-Control-Allow-Origin": "https://own.example"})


@app.route(route="verbose")
def verbose(req: func.HttpRequest) -> str:
    logging.debug("verbose-debug %s", req.params.get("tag"))
    return "verbose"


@app.route(route="terse")
def terse(req: func.HttpRequest) -> str:
    logging.debug("terse-debug %s", req.params.get("tag"))
    logging.warning("terse-warning %s", req.params.get("tag"))
    return "terse"


@app.route(route="unlisted")
def unlisted(req: func.HttpRequest) -> str:
    return "unlisted"
