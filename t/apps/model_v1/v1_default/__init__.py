# SPDX-License-Identifier: Apache-2.0
import json

import azure.functions as func


def main(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({
        "function_name": context.function_name,
        "function_directory": context.function_directory,
        "method": req.method,
        "name": req.params.get("name"),
    }, sort_keys=True), mimetype="application/json")
