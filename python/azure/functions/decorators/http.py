# SPDX-License-Identifier: Apache-2.0
"""The HTTP trigger and output bindings, and the methods a route takes."""

from __future__ import annotations  # annotations stay text: no typing import

from .constants import HTTP_OUTPUT, HTTP_TRIGGER
from .core import AuthLevel, OutputBinding, Trigger
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


class HttpTrigger(Trigger):
    """The httpTrigger binding of a function."""
    type = HTTP_TRIGGER

    def __init__(self, name: str, methods: list[HttpMethod] | None = None,
                 data_type=None, auth_level: AuthLevel | None = None,
                 route: str | None = None, **kwargs) -> None:
        super().__init__(name, data_type, methods=methods, auth_level=auth_level, route=route,
                         **kwargs)


class HttpOutput(OutputBinding):
    """The http output binding: '$return' or the name of a func.Out argument."""
    type = HTTP_OUTPUT
