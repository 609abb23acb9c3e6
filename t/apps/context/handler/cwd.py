# SPDX-License-Identifier: Apache-2.0
"""A FunctionHandler-only app: its working directory is this file's."""
import os


def main(req):
    with open("handler_data.txt") as f:
        return f"{os.getcwd()} {f.read()}"
