# SPDX-License-Identifier: Apache-2.0
# FunctionHandler tool handlers/tool.py: the function is named "tool".
import json


def main(req, context):
    return json.dumps({"function": context.function_name, "params": dict(req.params)},
                      sort_keys=True)
