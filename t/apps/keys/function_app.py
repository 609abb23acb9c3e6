# SPDX-License-Identifier: Apache-2.0
# Function keys, end to end (t/keys.t): the app's default level is
# function (FunctionApp() as Azure's templates have it); one admin and one
# anonymous function beside it.
import json
import os

import azure.functions as func

app = func.FunctionApp()


def answer(req, context):
    return func.HttpResponse(json.dumps({"function": context.function_name,
                                         "params": dict(req.params)}, sort_keys=True),
                             mimetype="application/json")


@app.route(route="a")
def fa(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return answer(req, context)


@app.route(route="b")
def fb(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return answer(req, context)


# Azure names a function's key file after the function in lower case
# (mixed.json).
@app.function_name(name="Mixed")
@app.route(route="mixed")
def mixed_case(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return answer(req, context)


# Named like the key scopes of host.json: their keys stay theirs
# (master.json holds function keys, not master keys; system keys open no
# function, not even one named System).
@app.route(route="named/master")
def master(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return answer(req, context)


@app.function_name(name="System")
@app.route(route="named/system")
def system_named(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return answer(req, context)


@app.route(route="boss", auth_level=func.AuthLevel.ADMIN)
def boss(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return answer(req, context)


# Anonymous; also says whether an env: key reached the worker's environment.
@app.route(route="open", auth_level=func.AuthLevel.ANONYMOUS)
def hello(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    name = req.params.get("env", "")
    return func.HttpResponse(json.dumps({"function": context.function_name,
                                         "env_set": bool(name and name in os.environ)}),
                             mimetype="application/json")
