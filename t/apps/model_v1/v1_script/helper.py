# SPDX-License-Identifier: Apache-2.0
def greet(word):
    return f"helper greets {word}"
