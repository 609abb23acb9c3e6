# SPDX-License-Identifier: Apache-2.0
# Fails to import: every request of the app answers 500.
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="fine")
def fine(req):
    return "unreachable"


import model_broken_missing_dependency  # noqa: E402,F401
