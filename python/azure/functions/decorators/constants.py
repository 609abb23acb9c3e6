# SPDX-License-Identifier: Apache-2.0
"""Binding type names, as function.json spells them."""

HTTP_TRIGGER = 'httpTrigger'
HTTP_OUTPUT = 'http'
