# SPDX-License-Identifier: Apache-2.0
"""The v2 programming model: FunctionApp, Blueprint and their decorators.

Shaped like the real azure.functions.decorators so the worker indexes both
the same way: module-level FunctionRegister instance -> get_functions() ->
Function objects with get_function_name(), get_user_function(),
get_trigger() (type 'httpTrigger': name, route, methods, auth_level) and
get_bindings() (the trigger plus the 'http' output named by
binding_arg_name). Only the HTTP trigger is provided.

The modules are the real library's: core, http, function_app, constants,
utils; their classes are re-exported here.
"""

from .core import AuthLevel, StringifyEnum
from .function_app import (Blueprint, BluePrint, DecoratorApi, Function, FunctionApp,
                           FunctionBuilder, FunctionRegister)
from .http import HttpMethod, HttpOutput, HttpTrigger

__all__ = (
    'AuthLevel', 'Blueprint', 'BluePrint', 'DecoratorApi', 'Function', 'FunctionApp',
    'FunctionBuilder', 'FunctionRegister', 'HttpMethod', 'HttpOutput', 'HttpTrigger',
    'StringifyEnum',
)
