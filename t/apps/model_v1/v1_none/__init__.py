# SPDX-License-Identifier: Apache-2.0
def main(req):
    return None
