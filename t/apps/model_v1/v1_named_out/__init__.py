# SPDX-License-Identifier: Apache-2.0
import azure.functions as func


def main(req: func.HttpRequest, res: func.Out[func.HttpResponse]) -> None:
    if req.params.get("unset"):
        return
    res.set(func.HttpResponse("set through func.Out", status_code=202,
                              headers={"X-Out": "named"}))
