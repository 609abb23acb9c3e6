"""azure.functions as embedded by mod_funcapp.

A compatible subset of the real package (HTTP functions, v1 and v2 models,
WSGI and ASGI apps), used only when the real one is not importable: the
worker's import finder serves it last, after sys.path.
"""

from ._abc import Context, Out, RetryContext, TraceContext
from ._http import HttpRequest, HttpResponse
from ._http_app import AsgiFunctionApp, ExternalHttpFunctionApp, WsgiFunctionApp
from ._http_asgi import AsgiMiddleware
from ._http_wsgi import WsgiMiddleware
from .decorators import (AuthLevel, Blueprint, BluePrint, DecoratorApi, Function,
                         FunctionApp, FunctionBuilder, FunctionRegister, HttpMethod)

__all__ = (
    'AsgiFunctionApp', 'AsgiMiddleware', 'AuthLevel', 'Blueprint', 'BluePrint', 'Context',
    'DecoratorApi', 'ExternalHttpFunctionApp', 'Function', 'FunctionApp', 'FunctionBuilder',
    'FunctionRegister', 'HttpMethod', 'HttpRequest', 'HttpResponse', 'Out', 'RetryContext',
    'TraceContext', 'WsgiFunctionApp', 'WsgiMiddleware',
)

__version__ = '1.0.0+mod_funcapp'

# Lets tests and the loader tell this package from a real installation.
_MOD_FUNCAPP_COMPAT = True
