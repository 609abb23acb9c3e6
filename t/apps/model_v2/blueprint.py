# SPDX-License-Identifier: Apache-2.0
# Functions registered into the app with app.register_functions(bp).
import azure.functions as func

bp = func.Blueprint()


@bp.route(route="bp/hello", methods=["GET"])
def bp_hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"blueprint says hi to {req.params.get('who', 'nobody')}")


@bp.function_name(name="BpNamed")
@bp.route()
def bp_python_name(req: func.HttpRequest, context: func.Context) -> str:
    return f"function_name={context.function_name}"
