# SPDX-License-Identifier: Apache-2.0
"""The Python half of a mod_funcapp worker, laid out like the Azure
Functions Python worker, so an app behaves as on Azure:

  importer     the finder serving this package and azure.functions from
               the module's memory (executed first, by the C side)
  logging      print() and logging to httpd's error log, per invocation
  bindings     Context, TraceContext and Out over the azure.functions used
  functions    a function's parameters, binding and return rules
  loader       indexing: v2 function_app.py, v1 folders, FunctionHandler
  dispatcher   setup(), warm_up(), invoke() and the event loop, called by
               the C side
  timeout      FunctionTimeoutError, raised in a def function past
               functionTimeout, and the stack logged with it

What it imports at start is kept to what every worker needs (logging, json,
urllib, typing, inspect and asyncio each come in only when something uses
them): every module costs each worker memory and start-up time.
"""

from .dispatcher import invoke, invoke_async, setup, start_event_loop, warm_up
from .timeout import FunctionTimeoutError

__all__ = ('FunctionTimeoutError', 'invoke', 'invoke_async', 'setup', 'start_event_loop',
           'warm_up')
