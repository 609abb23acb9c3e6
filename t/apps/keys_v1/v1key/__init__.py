# SPDX-License-Identifier: Apache-2.0
import json

import azure.functions as func


def main(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({"function": context.function_name,
                                         "params": dict(req.params)}, sort_keys=True),
                             mimetype="application/json")
