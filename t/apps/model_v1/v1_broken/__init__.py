# SPDX-License-Identifier: Apache-2.0
import model_v1_no_such_module  # noqa: F401  (fails: the function is unavailable)


def main(req):
    return "never"
