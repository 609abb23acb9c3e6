# SPDX-License-Identifier: Apache-2.0
"""The function model: one row of the function table, what its parameters
are, how a request is bound to them, and Azure's rules for what it
returns."""

import types

from .logging import ERROR, WARNING, say

AUTH_LEVELS = ('anonymous', 'function', 'admin')
HTTP_TRIGGER, TIMER_TRIGGER, WARMUP_TRIGGER = 'httpTrigger', 'timerTrigger', 'warmupTrigger'
# what runs here; every other trigger needs its Azure service
SERVED_TRIGGERS = (HTTP_TRIGGER, TIMER_TRIGGER, WARMUP_TRIGGER)
_KNOWN_TRIGGERS = {t.lower(): t for t in (
    *SERVED_TRIGGERS, 'queueTrigger', 'blobTrigger', 'eventHubTrigger', 'serviceBusTrigger',
    'cosmosDBTrigger', 'eventGridTrigger', 'kafkaTrigger', 'rabbitMQTrigger', 'sqlTrigger',
    'mysqlTrigger', 'mcpToolTrigger', 'daprServiceInvocationTrigger', 'daprBindingTrigger',
    'daprTopicTrigger', 'assistantSkillTrigger', 'orchestrationTrigger', 'entityTrigger',
    'activityTrigger', 'redisPubSubTrigger', 'redisListTrigger', 'redisStreamTrigger')}
FAILED = (500, [], b'')
NO_CONTENT = (204, [], b'')
_TEXT_PLAIN = ('Content-Type', 'text/plain; charset=utf-8')


class Stream:
    """A streamed body as the function gave it: its iterable (sync or
    async) of bytes or str, and the charset its str chunks are encoded
    with."""

    __slots__ = ('iterable', 'charset')

    def __init__(self, iterable, charset: str) -> None:
        self.iterable = iterable
        self.charset = charset


def trigger_type(value) -> str:
    """A binding type as Azure spells it (function.json is case-blind)."""
    text = str(getattr(value, 'value', value))
    return _KNOWN_TRIGGERS.get(text.lower(), text)


class FunctionLoadError(Exception):
    """A function the loader cannot serve; the message says why."""


def error_line(source: str, exc: BaseException) -> str:
    return f'{source}: {type(exc).__name__}: {" ".join(str(exc).split())}'


# ---- signatures
# What a function's parameters are, for binding the request, `context` and
# outputs by name.  Plain functions (the usual case, decorated with
# functools.wraps or not) are read from their code object: `inspect` costs
# every worker some 8 ms and 2 MB at start.  Anything else (callable objects,
# partials, builtins) goes through inspect, imported then.

_POS_ONLY, _ARG, _VAR_POS, _KWONLY, _VAR_KW = range(5)
_CO_VARARGS, _CO_VARKEYWORDS, _CO_COROUTINE = 0x04, 0x08, 0x80


class _Param:
    __slots__ = ('name', 'kind', 'has_default')

    def __init__(self, name, kind, has_default):
        self.name, self.kind, self.has_default = name, kind, has_default


def _unwrap(fn):
    # as inspect.signature does: through functools.wraps, up to a
    # __signature__
    seen = set()
    while (hasattr(fn, '__wrapped__') and not hasattr(fn, '__signature__')
           and id(fn) not in seen):
        seen.add(id(fn))
        fn = fn.__wrapped__
    return fn


def _parameters(fn) -> dict:
    plain = _unwrap(fn)
    if not isinstance(plain, types.FunctionType) or hasattr(plain, '__signature__'):
        import inspect
        kinds = {inspect.Parameter.POSITIONAL_ONLY: _POS_ONLY,
                 inspect.Parameter.POSITIONAL_OR_KEYWORD: _ARG,
                 inspect.Parameter.VAR_POSITIONAL: _VAR_POS,
                 inspect.Parameter.KEYWORD_ONLY: _KWONLY,
                 inspect.Parameter.VAR_KEYWORD: _VAR_KW}
        return {p.name: _Param(p.name, kinds[p.kind], p.default is not p.empty)
                for p in inspect.signature(fn).parameters.values()}
    code = plain.__code__
    names = code.co_varnames
    npos, nposonly, nkw = code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount
    first_default = npos - len(plain.__defaults__ or ())
    kwdefaults = plain.__kwdefaults__ or {}
    params = {}
    for i in range(npos):
        params[names[i]] = _Param(names[i], _POS_ONLY if i < nposonly else _ARG,
                                  i >= first_default)
    at = npos + nkw
    if code.co_flags & _CO_VARARGS:
        params[names[at]] = _Param(names[at], _VAR_POS, False)
        at += 1
    for name in names[npos:npos + nkw]:
        params[name] = _Param(name, _KWONLY, name in kwdefaults)
    if code.co_flags & _CO_VARKEYWORDS:
        params[names[at]] = _Param(names[at], _VAR_KW, False)
    return params


def _is_coroutine_function(fn) -> bool:
    # as inspect.iscoroutinefunction: the object itself (a sync wrapper of
    # a coroutine function is sync), through bound methods
    if isinstance(fn, types.MethodType):
        fn = fn.__func__
    if isinstance(fn, types.FunctionType):
        return bool(fn.__code__.co_flags & _CO_COROUTINE)
    import inspect
    return inspect.iscoroutinefunction(fn)


class Function:
    """One row of the function table and how to call it."""

    def __init__(self, name: str, route, methods, auth_level, directory: str,
                 trigger: str = HTTP_TRIGGER) -> None:
        if isinstance(methods, str):  # FunctionHandler's "GET,POST"
            methods = methods.split(',')
        self.name = name
        self.trigger = trigger
        self.timer = None  # a timer's schedule, run_on_startup, use_monitor
        if trigger == HTTP_TRIGGER:
            self.route = name if route is None else str(route).lstrip('/')
            self.methods = ','.join(dict.fromkeys(
                str(getattr(m, 'value', m)).strip().upper() for m in methods or () if m))
            self.auth_level = str(getattr(auth_level, 'value', auth_level) or 'function').lower()
        else:  # no URL, so no route nor key
            self.route, self.methods, self.auth_level = None, '', None
        self.directory = directory
        self.error = None
        self.callable = None
        self.is_async = False
        self.trigger_arg = None
        self.out_arg = None
        self.returns = False
        self.wants_context = False
        self.request_class = None  # HTTP streams: a Starlette Request

    def entry(self) -> dict:
        return {'name': self.name, 'trigger': self.trigger, 'route': self.route,
                'methods': self.methods, 'auth_level': self.auth_level,
                'is_async': self.is_async, 'error': self.error, **(self.timer or {})}

    def set_timer(self, schedule, run_on_startup, use_monitor) -> 'Function':
        """A timer's settings, for the table (run_on_startup false unless
        set; use_monitor None when unset: Azure's default depends on the
        schedule)."""
        self.timer = {'schedule': None if schedule is None else str(schedule),
                      'run_on_startup': str(run_on_startup).lower() in ('true', '1'),
                      'use_monitor': None if use_monitor is None
                      else str(use_monitor).lower() in ('true', '1')}
        return self

    def unserved(self, fn, trigger_arg) -> 'Function':
        """A function whose trigger needs its Azure service: in the table
        (the C side lists it as not served), never validated nor called."""
        self.callable = fn
        self.trigger_arg = trigger_arg
        return self

    def fail(self, error: str, exc: BaseException = None) -> 'Function':
        self.error = error
        say(ERROR, f'cannot load function {self.name}: {error}',
            None if isinstance(exc, FunctionLoadError) else exc)
        return self

    def bind(self, package, source: str, fn, trigger_arg, output,
             other_bindings=None) -> 'Function':
        """Check `fn` against its bindings once, so invoke() only looks up
        precomputed names; `package` (a bindings.Package) makes what it is
        handed. `trigger_arg` None: the first parameter other than
        `context` gets the request (FunctionHandler). `output` is the http
        output binding's name: '$return', an Out argument, or None.
        """
        try:
            if self.trigger == HTTP_TRIGGER and self.auth_level not in AUTH_LEVELS:
                raise FunctionLoadError(f"unsupported authLevel '{self.auth_level}'")
            if other_bindings:
                raise FunctionLoadError(f"binding '{getattr(other_bindings[0], 'name', None)}' of "
                                        f"type '{getattr(other_bindings[0], 'type', None)}' is not "
                                        f"supported here (it needs its Azure service)")
            if not callable(fn):
                raise FunctionLoadError(f'{fn!r} is not callable')
            params = _parameters(fn)
            if trigger_arg is None:
                trigger_arg = next((p.name for p in params.values() if p.name != 'context'
                                    and p.kind in (_ARG, _KWONLY)), None)
            out_arg = output if output not in (None, '$return') else None
            declared = [n for n in (trigger_arg, out_arg) if n is not None]
            var_kw = any(p.kind == _VAR_KW for p in params.values())
            missing = [n for n in declared if n not in params and not var_kw]
            if missing:
                raise FunctionLoadError(f'the following parameters are declared in the bindings '
                                        f'but not in Python: {", ".join(missing)}')
            unbound = [p.name for p in params.values()
                       if p.kind not in (_VAR_POS, _VAR_KW)
                       and not p.has_default and p.name not in declared and p.name != 'context']
            if unbound:
                raise FunctionLoadError(f'the following parameters are declared in Python but '
                                        f'not in the bindings: {", ".join(unbound)}')
        except (Exception, SystemExit) as exc:
            return self.fail(error_line(source, exc), exc)
        self.callable = fn
        self._request, self._context, self._out = package.request, package.context, package.out
        self._timer_request = package.timer_request
        self.is_async = _is_coroutine_function(fn)
        self.trigger_arg = trigger_arg
        self.out_arg = out_arg
        self.returns = output == '$return'
        self.wants_context = 'context' in params and 'context' not in declared
        if self.trigger == HTTP_TRIGGER and trigger_arg is not None:
            from .httpstreams import request_type
            self.request_class = request_type(_unwrap(fn), trigger_arg)
        return self

    def arguments(self, method, url, headers, route_params, body, invocation_id):
        kwargs = {}
        out = None
        if self.trigger_arg is not None and self.timer is not None:
            kwargs[self.trigger_arg] = self._timer_request(method, body)
        elif self.request_class is not None:
            from .httpstreams import make_request
            kwargs[self.trigger_arg] = make_request(self.request_class, method, url, headers,
                                                    route_params, body)
        elif self.trigger_arg is not None:
            kwargs[self.trigger_arg] = self._request(method, url, headers=headers,
                                                     route_params=route_params, body=body)
        if self.wants_context:
            kwargs['context'] = self._context(self, invocation_id, headers)
        if self.out_arg is not None:
            out = kwargs[self.out_arg] = self._out()
        return kwargs, out

    def respond(self, result, out):
        """Azure's rules: the worker encodes what the function returns with
        the http binding's converter, which takes an HttpResponse or a str
        and nothing else (None, bytes, dict... fail the invocation: 500);
        a function whose http output is not $return must return None, and
        an Out left unset sends nothing, which the host answers with 204."""
        if self.out_arg is not None or not self.returns:
            if result is not None:
                return _refuse(f'function {self.name!r} without a $return binding returned '
                               f'a non-None value ({type(result).__name__})')
            result = out.get() if out is not None else None
            if result is None:
                return NO_CONTENT
        return http_result(result)


def _refuse(message: str):
    say(ERROR, message)
    return FAILED


def http_result(value):
    """Azure's http converter: an HttpResponse (duck-typed, so the real
    package's works the same) or a str; anything else is a 500."""
    if isinstance(value, str):
        return 200, [_TEXT_PLAIN], value.encode('utf-8')
    if hasattr(value, 'get_body') and hasattr(value, 'status_code') and hasattr(value, 'headers'):
        return _from_response(value)
    return _refuse(f'unable to encode outgoing TypedData: unsupported type "http" for '
                   f'Python type "{type(value).__name__}" (expected HttpResponse or str)')


def _from_response(response):
    """Duck-typed, so the real package's HttpResponse works the same."""
    try:
        status = int(response.status_code)
    except (TypeError, ValueError):
        status = 0
    # 1xx are interim answers: sent as the final one, the client would wait
    # for the real answer until it times out.
    if not 200 <= status <= 599:
        return _refuse(f'function returned HttpResponse with invalid status_code '
                       f'{response.status_code!r} (expected 200 to 599)')
    headers = [(str(k), str(v)) for k, v in response.headers.items()]
    if any(k.lower() == 'set-cookie' and not v.strip() for k, v in headers):
        # The Azure worker parses each Set-Cookie into a cookie for the
        # host; an empty one holds none, so nothing is sent for it.
        say(WARNING, 'empty Set-Cookie header not sent: it holds no cookie '
                     '(the Azure worker drops it too)')
        headers = [(k, v) for k, v in headers if k.lower() != 'set-cookie' or v.strip()]
    charset = getattr(response, 'charset', None) or 'utf-8'
    if not any(k.lower() == 'content-type' for k, _ in headers):
        mimetype = getattr(response, 'mimetype', None)
        if mimetype:
            # As the Azure worker: a charset only for text types.
            headers.append(('Content-Type', f'{mimetype}; charset={charset}'
                            if mimetype.startswith('text/') else mimetype))
    chunks = getattr(response, 'body_iterator', None)
    if chunks is not None:
        return status, headers, b'', Stream(chunks, charset)
    body = response.get_body()
    if body is None:
        body = b''
    elif isinstance(body, str):
        body = body.encode(charset)
    elif isinstance(body, (bytearray, memoryview)):
        body = bytes(body)
    elif not isinstance(body, bytes):
        return _refuse(f'HttpResponse.get_body() returned {type(body).__name__}; expected bytes')
    return status, headers, body
