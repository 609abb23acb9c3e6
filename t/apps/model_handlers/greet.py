# SPDX-License-Identifier: Apache-2.0
# FunctionHandler greet apps/model_handlers/greet.py (callable: main).
import json

from greet_helper import salutation  # a module beside the file


def main(req, context):
    return json.dumps({"text": f"{salutation()}, {req.params.get('name', 'you')}",
                       "function_name": context.function_name,
                       "function_directory": context.function_directory,
                       "method": req.method}, sort_keys=True)
