# SPDX-License-Identifier: Apache-2.0
"""FunctionApp, Blueprint and the decorators that build their functions."""

from __future__ import annotations  # annotations stay text: no typing import

import collections.abc

from .core import SCRIPT_FILE_NAME, AuthLevel
from .http import HttpMethod, HttpOutput, HttpTrigger
from .utils import to_enum


class Function:
    """A user function with its trigger and bindings."""

    def __init__(self, func: collections.abc.Callable, script_file: str = SCRIPT_FILE_NAME) -> None:
        self._name = func.__name__
        self._func = func
        self._trigger: HttpTrigger | None = None
        self._bindings: list = []
        self.function_script_file = script_file
        self.http_type = 'function'

    def add_trigger(self, trigger: HttpTrigger) -> None:
        if self._trigger is not None:
            raise ValueError('A trigger was already registered to this function. '
                             'A function can only have one trigger.')
        self._trigger = trigger
        self._bindings.append(trigger)

    def add_binding(self, binding) -> None:
        self._bindings.append(binding)

    def set_function_name(self, function_name: str | None = None) -> None:
        if function_name:
            self._name = function_name

    def set_http_type(self, http_type: str) -> None:
        self.http_type = http_type

    def is_http_function(self) -> bool:
        return self._trigger is not None and self._trigger.type == HttpTrigger.type

    def get_trigger(self) -> HttpTrigger | None:
        return self._trigger

    def get_bindings(self) -> list:
        return self._bindings

    def get_user_function(self) -> collections.abc.Callable:
        return self._func

    def get_function_name(self) -> str:
        return self._name

    def __repr__(self):
        return f'<Function {self._name}>'


class FunctionBuilder:
    """What the decorators return; the next decorator keeps building on it.

    Calling it calls the user function (the real package's builder returns
    None instead), so decorated functions stay unit-testable.
    """

    def __init__(self, func: collections.abc.Callable, function_script_file: str = SCRIPT_FILE_NAME
                 ) -> None:
        self._function = Function(func, function_script_file)

    def __call__(self, *args, **kwargs):
        return self._function.get_user_function()(*args, **kwargs)

    def configure_function_name(self, function_name: str) -> 'FunctionBuilder':
        self._function.set_function_name(function_name)
        return self

    def configure_http_type(self, http_type: str) -> 'FunctionBuilder':
        self._function.set_http_type(http_type)
        return self

    def add_trigger(self, trigger: HttpTrigger) -> 'FunctionBuilder':
        self._function.add_trigger(trigger)
        return self

    def add_binding(self, binding) -> 'FunctionBuilder':
        self._function.add_binding(binding)
        return self

    def build(self, auth_level: AuthLevel | None = None) -> Function:
        """Validate and fill the defaults that depend on the final name/app."""
        function = self._function
        trigger = function.get_trigger()
        if trigger is None:
            raise ValueError(f'Function {function.get_function_name()} does not have a '
                             f'trigger. A valid function must have one and only one trigger '
                             f'registered.')
        if function.is_http_function():
            if trigger.route is None:
                trigger.route = function.get_function_name()
            if trigger.auth_level is None and auth_level is not None:
                trigger.auth_level = auth_level
        return function


class DecoratorApi:
    """Decorators shared by FunctionApp and Blueprint.

    They may be stacked in any order: each one accepts the user function or
    the FunctionBuilder the previous decorator returned.
    """

    def __init__(self, *args, **kwargs) -> None:
        self._function_builders: list[FunctionBuilder] = []

    def _builder(self, func) -> FunctionBuilder:
        if isinstance(func, FunctionBuilder):
            builder = func
        elif callable(func):
            builder = FunctionBuilder(func)
        else:
            raise ValueError('Unsupported type for function app decorator found.')
        if not any(b is builder for b in self._function_builders):
            self._function_builders.append(builder)
        return builder

    def function_name(self, name: str) -> collections.abc.Callable:
        """Name the function (default: the Python function's name)."""
        def decorator(func):
            return self._builder(func).configure_function_name(name)
        return decorator

    def http_type(self, http_type: str) -> collections.abc.Callable:
        """Record the http type (used by the real package for WSGI/ASGI apps)."""
        def decorator(func):
            return self._builder(func).configure_http_type(http_type)
        return decorator

    def route(self, route: str | None = None, trigger_arg_name: str = 'req',
              binding_arg_name: str = '$return',
              methods: collections.abc.Iterable[str | HttpMethod] | str | HttpMethod | None = None,
              auth_level: AuthLevel | str | None = None) -> collections.abc.Callable:
        """Make the function an HTTP function.

        :param route: route template; default the function name.
        :param trigger_arg_name: the argument that receives the HttpRequest.
        :param binding_arg_name: '$return' or the name of a func.Out argument.
        :param methods: allowed methods; default all.
        :param auth_level: default the app's http_auth_level.
        """
        if isinstance(methods, (str, HttpMethod)):
            methods = [methods]
        parsed_methods = None if methods is None else [to_enum(m, HttpMethod) for m in methods]
        parsed_level = None if auth_level is None else to_enum(auth_level, AuthLevel)

        def decorator(func):
            builder = self._builder(func)
            builder.add_trigger(HttpTrigger(trigger_arg_name, parsed_methods, parsed_level, route))
            return builder.add_binding(HttpOutput(binding_arg_name))
        return decorator


class FunctionRegister(DecoratorApi):
    """A top-level app: the worker indexes the one instance found in
    function_app.py."""

    def __init__(self, auth_level: AuthLevel | str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._auth_level = to_enum(auth_level, AuthLevel)

    @property
    def auth_level(self) -> AuthLevel:
        """Auth level of HTTP functions that do not set one."""
        return self._auth_level

    def get_functions(self) -> list[Function]:
        return [builder.build(self._auth_level) for builder in self._function_builders]

    def register_functions(self, function_container: DecoratorApi) -> None:
        """Add the functions of a Blueprint to this app."""
        if isinstance(function_container, FunctionRegister):
            raise TypeError('functions can not be type of FunctionRegister!')
        for builder in function_container._function_builders:
            self._builder(builder)

    register_blueprint = register_functions


class FunctionApp(FunctionRegister):
    """The function app of a v2 function_app.py."""

    def __init__(self, http_auth_level: AuthLevel | str = AuthLevel.FUNCTION
                 ) -> None:
        super().__init__(auth_level=http_auth_level)


class Blueprint(DecoratorApi):
    """A set of functions registered into a FunctionApp with
    register_functions() (or register_blueprint())."""


BluePrint = Blueprint  # the name older releases of the real package used
