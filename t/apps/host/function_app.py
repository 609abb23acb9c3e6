# SPDX-License-Identifier: Apache-2.0
# The host API and the access log (t/host.t, t/accesslog.t): a pid to
# compare with the log, a route template with a constraint under its own
# routePrefix, a key-level function, a timer and a function on an Azure
# service, all of which the function list at start names.
import os

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route='pid', methods=['GET'])
def pid(req: func.HttpRequest) -> str:
    return str(os.getpid())


@app.route(route='items/{id:int?}', methods=['GET', 'POST'])
def items(req: func.HttpRequest) -> str:
    return f"item {req.route_params.get('id')}"


@app.route(route='secret', auth_level=func.AuthLevel.FUNCTION)
def secret(req: func.HttpRequest) -> str:
    return 'secret'


# at 03:00 only, and not named tick: decorators.t counts the runs of its
# own every-second 'tick' across the error log this app shares
@app.schedule(schedule='0 0 3 * * *', arg_name='timer', run_on_startup=False,
              use_monitor=False)
def nightly(timer: func.TimerRequest) -> None:
    pass


@app.blob_trigger(arg_name='blob', path='uploads/{name}', connection='AzureWebJobsStorage')
def onblob(blob: func.InputStream) -> None:
    pass
