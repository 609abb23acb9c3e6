# SPDX-License-Identifier: Apache-2.0
# Served by FunctionHandler directives of the model_v2 virtual host.
import json


def entry(req, context):
    return json.dumps({"function_name": context.function_name,
                       "method": req.method,
                       "route_params": dict(req.route_params),
                       "function_directory": context.function_directory},
                      sort_keys=True)


def main(req):
    return "handled main"
