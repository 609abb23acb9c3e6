# SPDX-License-Identifier: Apache-2.0
# Only a Blueprint, never registered in a FunctionApp: Azure indexes no
# function of this app (t/decorators.t).
import azure.functions as func

bp = func.Blueprint()


@bp.route(route='orphan', auth_level=func.AuthLevel.ANONYMOUS)
def orphan(req):
    return 'never served'
