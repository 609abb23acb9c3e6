"""The benchmark's hello function: what bench/bench measures mod_funcapp's
requests/s, latency and idle worker RSS with."""
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello", methods=["GET"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("Hello world")
