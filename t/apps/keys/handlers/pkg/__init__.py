# SPDX-License-Identifier: Apache-2.0
# FunctionHandler pkg handlers/pkg/__init__.py: the function is named "pkg".
import json


def main(req, context):
    return json.dumps({"function": context.function_name, "params": dict(req.params)},
                      sort_keys=True)
