# SPDX-License-Identifier: Apache-2.0
"""azure.functions as embedded by mod_funcapp.

A compatible subset of the real package (HTTP functions, v1 and v2 models,
WSGI and ASGI apps, every decorator and the types of the other triggers),
used only when the real one is not importable: the worker's import finder
serves it last, after sys.path.
"""

from ._abc import Context, Out, RetryContext, TraceContext
from ._http import HttpRequest, HttpResponse
from .decorators import (AccessRights, AuthLevel, BindingApi, BlobSource, Blueprint, BluePrint,
                         Cardinality, DataType, DecoratorApi, Function, FunctionApp,
                         FunctionBuilder, FunctionRegister, HttpMethod, SettingsApi, TriggerApi)

__all__ = (
    'AccessRights', 'AsgiFunctionApp', 'AsgiMiddleware', 'AuthLevel', 'BindingApi',
    'BlobSource', 'Blueprint', 'BluePrint', 'Cardinality', 'Context', 'DataType',
    'DecoratorApi', 'Document', 'DocumentList', 'EntityContext', 'EventGridEvent',
    'EventGridOutputEvent', 'EventHubEvent', 'ExternalHttpFunctionApp', 'Function',
    'FunctionApp', 'FunctionBuilder', 'FunctionRegister', 'HttpMethod', 'HttpRequest',
    'HttpResponse', 'InputStream', 'KafkaEvent', 'OrchestrationContext', 'Out', 'QueueMessage',
    'RetryContext', 'ServiceBusMessage', 'SettingsApi', 'SqlRow', 'SqlRowList', 'TimerRequest',
    'TraceContext', 'TriggerApi', 'WarmUpContext', 'WsgiFunctionApp', 'WsgiMiddleware',
)

__version__ = '1.0.0+mod_funcapp'

# The WSGI/ASGI adapters pull in asyncio and more, the trigger types json
# and io; a worker whose app has none of them starts faster without (PEP
# 562 lazy attributes).
_LAZY = {
    'AsgiFunctionApp': '_http_app', 'ExternalHttpFunctionApp': '_http_app',
    'WsgiFunctionApp': '_http_app', 'AsgiMiddleware': '_http_asgi',
    'WsgiMiddleware': '_http_wsgi',
    **dict.fromkeys(('Document', 'DocumentList', 'EntityContext', 'EventGridEvent',
                     'EventGridOutputEvent', 'EventHubEvent', 'InputStream', 'KafkaEvent',
                     'OrchestrationContext', 'QueueMessage', 'ServiceBusMessage', 'SqlRow',
                     'SqlRowList', 'TimerRequest', 'WarmUpContext'), '_types'),
}


def __getattr__(name):
    if name in _LAZY:
        # __import__, not importlib.import_module: the importlib package
        # would bring warnings in with it
        value = getattr(__import__(_LAZY[name], globals(), None, (name,), 1), name)
        globals()[name] = value
        return value
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


# Lets tests and the loader tell this package from a real installation.
_MOD_FUNCAPP_COMPAT = True
