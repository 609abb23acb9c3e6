# SPDX-License-Identifier: Apache-2.0
"""The v2 programming model: FunctionApp, Blueprint and their decorators.

Shaped like the real azure.functions.decorators so the worker indexes both
the same way: module-level FunctionRegister instance -> get_functions() ->
Function objects with get_function_name(), get_user_function(),
get_trigger() (a Binding: its `type`, e.g. 'httpTrigger' or 'timerTrigger',
`name`, and its settings as attributes) and get_bindings() (the trigger,
inputs and outputs).  Every decorator of the real FunctionApp is here.

The modules are the real library's: core, http, function_app, constants,
utils (bindings holds what the real one spreads over a module a service);
their classes are re-exported here.
"""

from .bindings import InputType, OpenAIModels
from .core import (AccessRights, AuthLevel, Binding, BindingDirection, BlobSource, Cardinality,
                   DataType, InputBinding, OutputBinding, StringifyEnum, Trigger)
from .function_app import (BindingApi, Blueprint, BluePrint, DecoratorApi, Function, FunctionApp,
                           FunctionBuilder, FunctionRegister, SettingsApi, TriggerApi)
from .http import HttpMethod, HttpOutput, HttpTrigger

__all__ = (
    'AccessRights', 'AuthLevel', 'Binding', 'BindingApi', 'BindingDirection', 'BlobSource',
    'Blueprint', 'BluePrint', 'Cardinality', 'DataType', 'DecoratorApi', 'Function',
    'FunctionApp', 'FunctionBuilder', 'FunctionRegister', 'HttpMethod', 'HttpOutput',
    'HttpTrigger', 'InputBinding', 'InputType', 'OpenAIModels', 'OutputBinding', 'SettingsApi',
    'StringifyEnum', 'Trigger', 'TriggerApi',
)
