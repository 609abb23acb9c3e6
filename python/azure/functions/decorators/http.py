# SPDX-License-Identifier: Apache-2.0
"""The HTTP trigger and output bindings, and the methods a route takes."""

from __future__ import annotations  # annotations stay text: no typing import

from .constants import HTTP_OUTPUT, HTTP_TRIGGER
from .core import AuthLevel
from .utils import StringifyEnum


class HttpMethod(StringifyEnum):
    """HTTP methods a route may be restricted to."""
    GET = 'GET'
    POST = 'POST'
    DELETE = 'DELETE'
    HEAD = 'HEAD'
    PATCH = 'PATCH'
    PUT = 'PUT'
    OPTIONS = 'OPTIONS'


class HttpTrigger:
    """The httpTrigger binding of a function."""
    type = HTTP_TRIGGER

    def __init__(self, name: str, methods: list[HttpMethod] | None = None,
                 auth_level: AuthLevel | None = None,
                 route: str | None = None) -> None:
        self.name = name
        self.methods = methods
        self.auth_level = auth_level
        self.route = route


class HttpOutput:
    """The http output binding: '$return' or the name of a func.Out argument."""
    type = HTTP_OUTPUT

    def __init__(self, name: str) -> None:
        self.name = name
