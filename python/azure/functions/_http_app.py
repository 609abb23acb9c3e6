# SPDX-License-Identifier: Apache-2.0
"""AsgiFunctionApp and WsgiFunctionApp: a whole ASGI or WSGI app as a function
app of one HTTP function, as in the real package.

The function is named 'http_app_func' (or `function_name`), has the route
'{*route}', takes every method and the app's auth level; the worker indexes
it like any FunctionApp (these are FunctionRegister instances).
"""

import typing

from ._http import HttpRequest
from ._http_asgi import AsgiMiddleware
from ._http_wsgi import WsgiMiddleware
from .decorators import (AuthLevel, BindingApi, FunctionRegister, HttpMethod, SettingsApi,
                         TriggerApi)

_FUNCTION_NAME = 'http_app_func'


class ExternalHttpFunctionApp(FunctionRegister, TriggerApi, BindingApi, SettingsApi):
    """A function app that hands every request to a third-party HTTP app."""

    def _add_http_app(self, handler: typing.Callable, http_type: str,
                      function_name: str) -> None:
        builder = self.route(route='{*route}', methods=list(HttpMethod),
                             auth_level=self.auth_level)(handler)
        self.http_type(http_type)(builder)
        self.function_name(function_name)(builder)


class AsgiFunctionApp(ExternalHttpFunctionApp):
    """Serves an ASGI app; its lifespan startup runs before the first request."""

    def __init__(self, app, http_auth_level: typing.Union[AuthLevel, str] = AuthLevel.FUNCTION,
                 function_name: str = _FUNCTION_NAME) -> None:
        super().__init__(auth_level=http_auth_level)
        self.middleware = AsgiMiddleware(app)
        middleware = self.middleware

        async def http_app_func(req: HttpRequest, context) -> typing.Any:
            if not await middleware.notify_startup():
                raise RuntimeError('ASGI middleware startup failed.')
            return await middleware.handle_async(req, context)

        # mod_funcapp: the app reads a large body through receive() as it
        # arrives, rather than the worker reading it all first
        http_app_func.funcapp_streams_body = True
        self._add_http_app(http_app_func, 'asgi', function_name)


class WsgiFunctionApp(ExternalHttpFunctionApp):
    """Serves a WSGI app from the worker's thread pool."""

    def __init__(self, app, http_auth_level: typing.Union[AuthLevel, str] = AuthLevel.FUNCTION,
                 function_name: str = _FUNCTION_NAME) -> None:
        super().__init__(auth_level=http_auth_level)
        self.middleware = WsgiMiddleware(app)
        middleware = self.middleware

        def http_app_func(req: HttpRequest, context) -> typing.Any:
            return middleware.handle(req, context)

        self._add_http_app(http_app_func, 'wsgi', function_name)
