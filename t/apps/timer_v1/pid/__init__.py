# SPDX-License-Identifier: Apache-2.0
import os


def main(req) -> str:
    return str(os.getpid())
