# SPDX-License-Identifier: Apache-2.0
"""What a function is handed besides its request: Context (with its
TraceContext and RetryContext) and Out, made concrete over whichever
azure.functions got imported (ours or a real one), and the HttpRequest
built for that package.

The shapes are the Azure Python worker's (azure_functions_worker/bindings:
context, tracecontext, retrycontext), not only the library's abstract
ones: code written on Azure reads `trace_context.Traceparent` and
`retry_context.rpc_exception`, which the library does not declare.
"""

import os
import types

from .logging import tls


class _ContextImpl:
    _trace_context = None  # the package's TraceContext class (Package sets it)
    _retry_context = None  # one RetryContext for all: it never changes

    def __init__(self, function, invocation_id: str, headers) -> None:
        self._function = function
        self._invocation_id = invocation_id
        self._headers = headers
        self._trace = None

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def function_name(self) -> str:
        return self._function.name

    @property
    def function_directory(self) -> str:
        return self._function.directory

    @property
    def thread_local_storage(self):
        return tls

    @property
    def trace_context(self):
        if self._trace is None:  # most functions never look at it
            self._trace = self._trace_context(self._headers)
        return self._trace

    @property
    def retry_context(self):
        # The host sends no retry context for HTTP, and the worker reads
        # the message's defaults: never None, counts 0, an empty exception.
        return self._retry_context


class _TraceContextImpl:
    def __init__(self, headers) -> None:
        parent = state = None
        for name, value in headers:
            lname = name.lower()
            if lname == 'traceparent':
                parent = value
            elif lname == 'tracestate':
                state = value
        # The Functions host always has a trace; start one when the client
        # sent none.
        self._parent = parent or f'00-{os.urandom(16).hex()}-{os.urandom(8).hex()}-00'
        self._state = state or ''

    @property
    def trace_parent(self) -> str:
        return self._parent

    @property
    def trace_state(self) -> str:
        return self._state

    @property
    def attributes(self) -> dict:
        return {}

    # The worker's own names, older than the library's and still what most
    # Azure samples read.
    Traceparent = trace_parent
    Tracestate = trace_state
    Attributes = attributes


class _RpcExceptionImpl:
    """The exception of a retried invocation: HTTP ones are never retried,
    so, as the worker's empty message, every field is ''."""

    @property
    def source(self) -> str:
        return ''

    @property
    def stack_trace(self) -> str:
        return ''

    @property
    def message(self) -> str:
        return ''


class _RetryContextImpl:
    _rpc_exception = None  # an RpcException (Package sets it)

    @property
    def retry_count(self) -> int:
        return 0

    @property
    def max_retry_count(self) -> int:
        return 0

    @property
    def exception(self):
        # the library's name; the worker's object calls it rpc_exception
        return self._rpc_exception

    rpc_exception = exception


class _TimerRequestImpl:
    """What a timer function gets, as the Azure worker makes it from the
    host's data (IsPastDue, ScheduleStatus, Schedule)."""

    def __init__(self, *, past_due: bool = False, schedule_status=None, schedule=None) -> None:
        self._past_due = past_due
        self._schedule_status = schedule_status or {}
        self._schedule = schedule or {}

    @property
    def past_due(self) -> bool:
        return self._past_due

    @property
    def schedule_status(self) -> dict:
        return self._schedule_status

    @property
    def schedule(self) -> dict:
        return self._schedule


class _OutImpl:
    def __init__(self) -> None:
        self._value = None

    def set(self, val) -> None:
        self._value = val

    def get(self):
        return self._value


def _implement(impl: type, base: type, **attributes) -> type:
    """`impl` made a subclass of the imported package's (abstract) `base`.

    Abstract members a newer real package may add that we do not know read
    as None instead of making every invocation fail.
    """
    name = impl.__name__.strip('_').replace('Impl', '')
    cls = types.new_class(name, (impl, base), exec_body=lambda ns: ns.update(attributes))
    missing = getattr(cls, '__abstractmethods__', frozenset())
    if missing:
        cls = types.new_class(name, (cls,), exec_body=lambda ns: ns.update(
            {member: property(lambda self: None) for member in missing}))
    return cls


def _abstract(func: types.ModuleType, name: str) -> type:
    # Older real packages lack RetryContext (and most lack RpcException at
    # the top level): then ours stand alone.
    base = getattr(func, name, None)
    if base is None:
        base = getattr(getattr(func, '_abc', None), name, object)
    return base if isinstance(base, type) else object


class Package:
    """The azure.functions in use (ours or a real one) and our classes over
    it: request(), context() and out() make what a function is given."""

    def __init__(self, func: types.ModuleType) -> None:
        self.compat = bool(getattr(func, '_MOD_FUNCAPP_COMPAT', False))
        self._http_request = func.HttpRequest
        self.function_register = getattr(func, 'FunctionRegister',
                                         getattr(func, 'FunctionApp', None))
        trace_context = _implement(_TraceContextImpl, getattr(func, 'TraceContext', object))
        rpc_exception = _implement(_RpcExceptionImpl, _abstract(func, 'RpcException'))
        retry_context = _implement(_RetryContextImpl, _abstract(func, 'RetryContext'),
                                   _rpc_exception=rpc_exception())
        self.context = _implement(_ContextImpl, func.Context,
                                  _trace_context=trace_context, _retry_context=retry_context())
        self.out = _implement(_OutImpl, func.Out)
        # made at the first tick: the package's TimerRequest is imported
        # on first use, and most apps have no timer
        self._func, self._timer = func, None
        # request(method, url, *, headers, route_params, body): ours merges
        # the headers and parses the query string on first use.
        self.request = self._http_request if self.compat else self._real_request

    def timer_request(self, method, body):
        """A tick from the C side (method TIMER, the host's JSON), or a run
        by hand through the admin API: never past due then."""
        if self._timer is None:
            self._timer = _implement(_TimerRequestImpl,
                                     getattr(self._func, 'TimerRequest', object))
        if method != 'TIMER':
            return self._timer(schedule={'AdjustForDST': True})
        import json
        data = json.loads(body or b'{}')
        return self._timer(past_due=bool(data.get('IsPastDue')),
                           schedule_status=data.get('ScheduleStatus'),
                           schedule=data.get('Schedule'))

    def _real_request(self, method, url, *, headers, route_params, body):
        if not isinstance(body, bytes):  # a streamed body: the real
            body = body.read()           # package's request wants bytes
        merged: dict = {}
        for name, value in headers:
            name = name.lower()
            merged[name] = f'{merged[name]}, {value}' if name in merged else value
        params: dict = {}
        import urllib.parse   # the real package's request wants them parsed
        for name, value in urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query,
                                                  keep_blank_values=True):
            params[name] = f'{params[name]},{value}' if name in params else value
        return self._http_request(method, url, headers=merged, params=params,
                                  route_params=route_params, body=body)
