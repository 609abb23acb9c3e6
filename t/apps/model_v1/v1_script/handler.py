# SPDX-License-Identifier: Apache-2.0
import azure.functions as func

from .helper import greet
from ..shared_code import util


def main(req):
    raise RuntimeError("main() must not be called: entryPoint is run")


def run(req: func.HttpRequest) -> str:
    word = req.route_params["word"]
    return f"{greet(word)}; {util.shout(word)}"
