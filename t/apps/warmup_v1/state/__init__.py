# SPDX-License-Identifier: Apache-2.0
import json
import os

from ..shared import state


def main(req) -> str:
    return json.dumps({'pid': os.getpid(), 'warmed': state.WARMED})
