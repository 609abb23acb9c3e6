# SPDX-License-Identifier: Apache-2.0
# Two FunctionApp instances: Azure refuses to index this app
# (t/decorators.t).
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
other = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route='first')
def first(req):
    return 'never served'


@other.route(route='second')
def second(req):
    return 'never served'
