# SPDX-License-Identifier: Apache-2.0
def salutation():
    return "Greetings"
