"""The Python half of a mod_funcapp worker.

The C worker calls setup() once after Python starts, then invoke() from its
thread pool (sync functions) or awaits invoke_async() on its event loop
(async functions), always with the GIL held. Everything here follows what
the Azure Functions Python worker does, so an app behaves as on Azure.

What it imports at start is kept to what every worker needs (logging, json,
urllib, typing, inspect and asyncio each come in only when something uses
them): every module costs each worker memory and start-up time.
"""

import contextvars
import importlib
import importlib.machinery
import io
import marshal
import os
import sys
import types
from _thread import _local as _thread_local  # threading.local, without threading

import _funcapp

_APP_SCRIPT_DEFAULT = 'function_app.py'
_AUTH_LEVELS = ('anonymous', 'function', 'admin')
_EMBEDDED_ROOT = '<mod_funcapp>'
_MAX_PARTIAL_LINE = 65536
_TEXT_PLAIN = ('Content-Type', 'text/plain; charset=utf-8')
_OCTET_STREAM = ('Content-Type', 'application/octet-stream')
_FAILED = (500, [], b'')
# logging's level numbers, for code that runs before (or without) it
_DEBUG, _INFO, _WARNING, _ERROR = 10, 20, 30, 40


# --- Embedded azure.functions ----------------------------------------------

def _embedded(name: str) -> bool:
    return name in ('azure', 'azure.functions') or name.startswith('azure.functions.')


class _EmbeddedFinder:
    """Serves azure.functions from the sources compiled into the module.

    It sits at the END of sys.meta_path, so a real azure.functions anywhere
    on sys.path wins; and since it is asked per module, a namespace `azure`
    found elsewhere (azure-core installed alone) still gets our
    azure.functions.
    """

    @staticmethod
    def _entry(fullname: str):
        # (is_package, bytecode compiled at build time or None)
        entry = _funcapp.embedded(fullname) if _embedded(fullname) else None
        if entry is None:
            raise ImportError(f'no embedded source for {fullname}', name=fullname)
        return entry

    @staticmethod
    def _filename(fullname: str, is_package: bool) -> str:
        # '<mod_funcapp>/azure/functions/_http.py': tracebacks say where.
        parts = [_EMBEDDED_ROOT, *fullname.split('.'), *(['__init__'] if is_package else [])]
        return '/'.join(parts) + '.py'

    def find_spec(self, fullname, path=None, target=None):
        try:
            is_package = self._entry(fullname)[0]
        except ImportError:
            return None
        spec = importlib.machinery.ModuleSpec(fullname, self, is_package=is_package,
                                              origin=self._filename(fullname, is_package))
        spec.has_location = True  # gives modules a __file__
        return spec

    def get_source(self, fullname):
        # Also what linecache uses to show our lines in tracebacks.
        self._entry(fullname)
        return _funcapp.source(fullname)

    def is_package(self, fullname):
        return self._entry(fullname)[0]

    # The finder and loader protocols by hand: importlib.abc would pull in
    # importlib.resources, tempfile and more at every worker start.
    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(self.get_code(module.__name__), module.__dict__)

    def get_code(self, fullname):
        is_package, code = self._entry(fullname)
        if code is not None:
            return marshal.loads(code)
        return compile(self.get_source(fullname), self._filename(fullname, is_package), 'exec',
                       dont_inherit=True)


def _install_finder() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _EmbeddedFinder)]
    sys.meta_path.append(_EmbeddedFinder())


def _set_sys_path(app_root) -> None:
    if app_root is None:
        return
    front = [app_root, os.path.join(app_root, '.python_packages', 'lib', 'site-packages')]
    sys.path[:] = front + [p for p in sys.path if p not in front]
    importlib.invalidate_caches()


# --- Logging: logging, print and the invocation they belong to --------------

class _Invocation:
    """What log lines need to know about the running invocation; reached
    through a ContextVar, so each pool thread and each asyncio task sees
    its own."""
    __slots__ = ('prefix', 'pending')

    def __init__(self, function_name: str, invocation_id: str) -> None:
        self.prefix = f'{function_name} {invocation_id}: '
        self.pending = ['', '']  # unfinished stdout / stderr line


_current = contextvars.ContextVar('mod_funcapp_invocation', default=None)
# The Context.thread_local_storage of every invocation, as on Azure: a thread
# the function starts sets its invocation_id to have its lines attributed.
_tls = _thread_local()
_active_names: dict = {}  # invocation id -> function name, for _tls lookups


def _prefix() -> str:
    invocation = _current.get()
    if invocation is not None:
        return invocation.prefix
    invocation_id = getattr(_tls, 'invocation_id', None)
    name = _active_names.get(invocation_id) if invocation_id is not None else None
    return f'{name} {invocation_id}: ' if name is not None else ''


def _emit(levelno: int, text: str) -> None:
    # httpd's error log is one record a line: every line of a multi-line
    # message (a traceback) carries the prefix, so lines of concurrent
    # invocations can be told apart.
    prefix = _prefix()
    if prefix and '\n' in text:
        text = '\n'.join(prefix + line for line in text.rstrip('\n').split('\n'))
    else:
        text = prefix + text
    _funcapp.log(levelno, text)


def _say(levelno: int, message: str, exc: BaseException = None, tb=None) -> None:
    """The loader's own messages, at the configured level whatever the app
    does to logging; with `exc`, its traceback (from `tb`) as logging
    formats exc_info."""
    if levelno < _level:
        return
    if exc is not None:
        import traceback
        lines = traceback.format_exception(type(exc), exc, tb or exc.__traceback__)
        message = f"{message}\n{''.join(lines).rstrip(chr(10))}"
    _emit(levelno, message)


class _LineLogger(io.TextIOBase):
    """A text stream that logs each complete line (sys.stdout / sys.stderr).

    Unfinished lines wait in the invocation (or, outside one, the thread)
    that wrote them, so concurrent invocations never splice their output.
    """
    encoding = 'utf-8'
    errors = 'strict'

    def __init__(self, levelno: int, slot: int, name: str) -> None:
        self._levelno = levelno
        self._slot = slot
        self.name = name

    def _pending(self) -> list:
        invocation = _current.get()
        if invocation is not None:
            return invocation.pending
        pending = getattr(_tls, 'pending', None)
        if pending is None:
            pending = _tls.pending = ['', '']
        return pending

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f'write() argument must be str, not {type(s).__name__}')
        pending = self._pending()
        text = pending[self._slot] + s
        if '\n' in text:
            *lines, text = text.split('\n')
            if _enabled(self._levelno):
                for line in lines:
                    if line:  # a bare print() is layout, not a log line
                        _emit(self._levelno, line)
        if len(text) > _MAX_PARTIAL_LINE:  # bound memory for newline-less output
            _emit(self._levelno, text)
            text = ''
        pending[self._slot] = text
        return len(s)

    def writable(self) -> bool:
        return True


def _flush_pending(invocation: _Invocation) -> None:
    for slot, levelno in ((0, _INFO), (1, _WARNING)):
        if invocation.pending[slot]:
            if _enabled(levelno):
                _emit(levelno, invocation.pending[slot])
            invocation.pending[slot] = ''


# The app's logging records reach the error log through a handler on the
# root logger.  logging brings traceback, re, string, weakref and more: some
# 3 MB and milliseconds a worker, which an app that never logs should not
# pay.  So the handler goes in the moment the app imports logging (or at
# setup, if something imported it already); print() and the loader's own
# messages do without it.

_level = _WARNING   # the configured level (LogLevel funcapp:...)
_logging = None     # the logging module, once the handler is on its root
_handler = None


def _enabled(levelno: int) -> bool:
    if _logging is not None:
        return _logging.root.isEnabledFor(levelno)
    return levelno >= _level


def _install_logging(logging) -> None:
    global _logging, _handler
    if _handler is None:
        class _Handler(logging.Handler):
            """Sends records to httpd's error log through the C module."""

            def __init__(self) -> None:
                super().__init__()
                self.setFormatter(logging.Formatter('%(message)s'))

            def emit(self, record) -> None:
                try:
                    _emit(record.levelno, self.format(record))
                except Exception:
                    self.handleError(record)
        _handler = _Handler()
    root = logging.getLogger()
    if _handler not in root.handlers:
        root.addHandler(_handler)
    root.setLevel(_level)
    _logging = logging


class _LoggingHook:
    """On sys.meta_path until logging is imported: finds it as the path
    finder would, and installs the handler right after its code has run."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != 'logging':
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _RunAfter(spec.loader, _install_logging)
        return spec


class _RunAfter:
    """A module loader that calls `then(module)` once `loader` has run it."""

    def __init__(self, loader, then) -> None:
        self._loader = loader
        self._then = then

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        # the module keeps the real loader (get_source for tracebacks ...)
        module.__loader__ = module.__spec__.loader = self._loader
        sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _LoggingHook)]
        self._loader.exec_module(module)
        self._then(module)


def _setup_logging(log_level: int) -> None:
    global _level
    _level = log_level
    if 'logging' in sys.modules:
        _install_logging(sys.modules['logging'])
    elif not any(isinstance(f, _LoggingHook) for f in sys.meta_path):
        sys.meta_path.insert(0, _LoggingHook())
    sys.stdout = _LineLogger(_INFO, 0, '<stdout>')
    sys.stderr = _LineLogger(_WARNING, 1, '<stderr>')


# --- Concrete classes over whichever azure.functions got imported -----------

class _ContextImpl:
    def __init__(self, function: '_Function', invocation_id: str, headers) -> None:
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
    def thread_local_storage(self) -> _thread_local:
        return _tls

    @property
    def trace_context(self):
        if self._trace is None:  # most functions never look at it
            self._trace = _package.trace_context(self._headers)
        return self._trace

    @property
    def retry_context(self):
        return None


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


class _OutImpl:
    def __init__(self) -> None:
        self._value = None

    def set(self, val) -> None:
        self._value = val

    def get(self):
        return self._value


def _implement(impl: type, base: type) -> type:
    """`impl` made a subclass of the imported package's (abstract) `base`.

    Abstract members a newer real package may add that we do not know read
    as None instead of making every invocation fail.
    """
    name = impl.__name__.strip('_').replace('Impl', '')
    cls = types.new_class(name, (impl, base))
    missing = getattr(cls, '__abstractmethods__', frozenset())
    if missing:
        cls = types.new_class(name, (cls,), exec_body=lambda ns: ns.update(
            {member: property(lambda self: None) for member in missing}))
    return cls


class _Package:
    """The azure.functions in use (ours or a real one) and our classes over it."""

    def __init__(self, func: types.ModuleType) -> None:
        self.compat = bool(getattr(func, '_MOD_FUNCAPP_COMPAT', False))
        self.http_request = func.HttpRequest
        self.function_register = getattr(func, 'FunctionRegister',
                                         getattr(func, 'FunctionApp', None))
        self.context = _implement(_ContextImpl, func.Context)
        self.out = _implement(_OutImpl, func.Out)
        self.trace_context = _implement(_TraceContextImpl, getattr(func, 'TraceContext', object))

    def request(self, method, url, headers, route_params, body):
        if self.compat:
            # Ours merges headers and parses the query string on first use.
            return self.http_request(method, url, headers=headers, route_params=route_params,
                                     body=body)
        merged: dict = {}
        for name, value in headers:
            name = name.lower()
            merged[name] = f'{merged[name]}, {value}' if name in merged else value
        params: dict = {}
        import urllib.parse   # the real package's request wants them parsed
        for name, value in urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query,
                                                  keep_blank_values=True):
            params[name] = f'{params[name]},{value}' if name in params else value
        return self.http_request(method, url, headers=merged, params=params,
                                 route_params=route_params, body=body)


_package: _Package = None


# --- The function table -----------------------------------------------------

class FunctionLoadError(Exception):
    """A function the loader cannot serve; the message says why."""


def _error_line(source: str, exc: BaseException) -> str:
    return f'{source}: {type(exc).__name__}: {" ".join(str(exc).split())}'


# ---- signatures --------------------------------------------------------------
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


class _Function:
    """One row of the function table and how to call it."""

    def __init__(self, name: str, route, methods, auth_level, directory: str) -> None:
        if isinstance(methods, str):  # FunctionHandler's "GET,POST"
            methods = methods.split(',')
        self.name = name
        self.route = name if route is None else str(route).lstrip('/')
        self.methods = ','.join(dict.fromkeys(
            str(getattr(m, 'value', m)).strip().upper() for m in methods or () if m))
        self.auth_level = str(getattr(auth_level, 'value', auth_level) or 'function').lower()
        self.directory = directory
        self.error = None
        self.callable = None
        self.is_async = False
        self.trigger_arg = None
        self.out_arg = None
        self.returns = False
        self.wants_context = False

    def entry(self) -> dict:
        return {'name': self.name, 'route': self.route, 'methods': self.methods,
                'auth_level': self.auth_level, 'is_async': self.is_async, 'error': self.error}

    def fail(self, error: str, exc: BaseException = None) -> '_Function':
        self.error = error
        _say(_ERROR, f'cannot load function {self.name}: {error}',
             None if isinstance(exc, FunctionLoadError) else exc)
        return self

    def bind(self, source: str, fn, trigger_arg, output, other_bindings=None) -> '_Function':
        """Check `fn` against its bindings once, so invoke() only looks up
        precomputed names. `trigger_arg` None: the first parameter other
        than `context` gets the request (FunctionHandler). `output` is the
        http output binding's name: '$return', an Out argument, or None.
        """
        try:
            if self.auth_level not in _AUTH_LEVELS:
                raise FunctionLoadError(f"unsupported authLevel '{self.auth_level}'")
            if other_bindings:
                raise FunctionLoadError(f"binding '{getattr(other_bindings[0], 'name', None)}' of "
                                        f"type '{getattr(other_bindings[0], 'type', None)}' is not "
                                        f"supported (only httpTrigger and http)")
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
            return self.fail(_error_line(source, exc), exc)
        self.callable = fn
        self.is_async = _is_coroutine_function(fn)
        self.trigger_arg = trigger_arg
        self.out_arg = out_arg
        self.returns = output == '$return'
        self.wants_context = 'context' in params and 'context' not in declared
        return self

    def arguments(self, method, url, headers, route_params, body, invocation_id):
        kwargs = {}
        out = None
        if self.trigger_arg is not None:
            kwargs[self.trigger_arg] = _package.request(method, url, headers, route_params, body)
        if self.wants_context:
            kwargs['context'] = _package.context(self, invocation_id, headers)
        if self.out_arg is not None:
            out = kwargs[self.out_arg] = _package.out()
        return kwargs, out

    def respond(self, result, out):
        if self.out_arg is not None or not self.returns:
            if result is not None:
                where = f"the '{self.out_arg}' argument" if self.out_arg else 'no binding'
                return _refuse(f'function returned {type(result).__name__} but its http output '
                               f'is {where}, not $return')
            result = out.get() if out is not None else None
        return _http_result(result)


def _refuse(message: str):
    _say(_ERROR, message)
    return _FAILED


def _http_result(value):
    """Azure's rules for what a function returns (or sets in its Out)."""
    if value is None:
        return 204, [], b''
    if isinstance(value, str):
        return 200, [_TEXT_PLAIN], value.encode('utf-8')
    if isinstance(value, (bytes, bytearray, memoryview)):
        return 200, [_OCTET_STREAM], bytes(value)
    if hasattr(value, 'get_body') and hasattr(value, 'status_code') and hasattr(value, 'headers'):
        return _from_response(value)
    return _refuse(f'function returned {type(value).__name__}; expected HttpResponse or str')


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
    charset = getattr(response, 'charset', None) or 'utf-8'
    if not any(k.lower() == 'content-type' for k, _ in headers):
        mimetype = getattr(response, 'mimetype', None)
        if mimetype:
            # As the Azure worker: a charset only for text types.
            headers.append(('Content-Type', f'{mimetype}; charset={charset}'
                            if mimetype.startswith('text/') else mimetype))
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


def _disabled(name: str) -> bool:
    # Azure's per-function switch, an app setting: AzureWebJobs.<name>.Disabled
    return os.environ.get(f'AzureWebJobs.{name}.Disabled', '').strip().lower() in ('true', '1')


def _app_failure(source: str, name: str, exc: BaseException) -> _Function:
    function = _Function(name, '{*path}', (), 'anonymous', os.path.dirname(source))
    return function.fail(_error_line(source, exc), exc)


# v2: function_app.py

def _index_v2(app_root: str, script: str) -> list:
    path = os.path.join(app_root, script)
    module_name = os.path.splitext(script)[0]
    try:
        if _package.function_register is None:
            raise ImportError('this azure.functions has no FunctionApp (v2 programming model)')
        module = importlib.import_module(module_name)
        apps = [v for v in vars(module).values() if isinstance(v, _package.function_register)]
        if not apps:
            raise ValueError(f'Could not find top level function app instances in {script}.')
        if len(apps) > 1:
            raise ValueError(f'More than one {type(apps[0]).__name__} or other top level '
                             f'function app instances are defined.')
        app_level = apps[0].auth_level
        indexed = apps[0].get_functions()
    except (Exception, SystemExit) as exc:
        return [_app_failure(path, module_name, exc)]
    functions = []
    for indexed_function in indexed:
        name = indexed_function.get_function_name()
        trigger = indexed_function.get_trigger()
        trigger_type = str(getattr(trigger, 'type', None))
        if trigger_type.lower() != 'httptrigger':
            _say(_INFO, f'function {name}: {trigger_type} trigger is not HTTP, not served')
            continue
        if _disabled(name):
            _say(_INFO, f'function {name}: disabled by AzureWebJobs.{name}.Disabled')
            continue
        bindings = [b for b in indexed_function.get_bindings() if b is not trigger]
        outputs = [b for b in bindings if str(getattr(b, 'type', '')).lower() == 'http']
        function = _Function(name, trigger.route, trigger.methods,
                             trigger.auth_level or app_level, app_root)
        functions.append(function.bind(
            path, indexed_function.get_user_function(), trigger.name,
            outputs[0].name if outputs else None, [b for b in bindings if b not in outputs[:1]]))
    return functions


# v1: one folder per function with function.json

def _install_app_namespace(app_root: str) -> None:
    # The Azure worker imports v1 functions as __app__.<folder>[.<module>],
    # so relative imports inside and between function folders work.
    import importlib.util
    spec = importlib.machinery.ModuleSpec('__app__', None, is_package=True)
    spec.submodule_search_locations = [app_root]
    sys.modules['__app__'] = importlib.util.module_from_spec(spec)


def _v1_module_name(app_root: str, script_path: str) -> str:
    relative = os.path.relpath(script_path, app_root)
    parts = relative.split(os.sep)
    if parts[0] == os.pardir or os.path.isabs(relative):
        raise FunctionLoadError('scriptFile is outside the function app')
    stem, ext = os.path.splitext(parts[-1])
    if ext != '.py':
        raise FunctionLoadError('scriptFile is not a .py file')
    return '.'.join(['__app__', *parts[:-1], *([] if stem == '__init__' else [stem])])


def _index_v1(app_root: str) -> list:
    functions = []
    _install_app_namespace(app_root)
    for folder in sorted(os.listdir(app_root)):
        directory = os.path.join(app_root, folder)
        config_path = os.path.join(directory, 'function.json')
        if os.path.isfile(config_path):
            function = _v1_function(app_root, folder, directory, config_path)
            if function is not None:
                functions.append(function)
    return functions


def _v1_function(app_root, name, directory, config_path):
    import json
    try:
        with open(config_path, encoding='utf-8-sig') as f:
            config = json.load(f)
        if not isinstance(config, dict):
            raise ValueError('function.json is not a JSON object')
    except (OSError, ValueError) as exc:
        return _Function(name, None, (), None, directory).fail(_error_line(config_path, exc), exc)
    bindings = [b for b in config.get('bindings') or () if isinstance(b, dict)]
    trigger = next((b for b in bindings if str(b.get('type', '')).lower() == 'httptrigger'), None)
    if trigger is None:
        _say(_INFO, f'function {name}: no httpTrigger binding, not served')
        return None
    if config.get('disabled') is True or _disabled(name):
        _say(_INFO, f'function {name}: disabled')
        return None
    outputs = [b for b in bindings if str(b.get('type', '')).lower() == 'http'
               and str(b.get('direction', 'out')).lower() == 'out']
    others = [types.SimpleNamespace(name=b.get('name'), type=b.get('type'))
              for b in bindings if b is not trigger and b not in outputs[:1]]
    function = _Function(name, trigger.get('route'), trigger.get('methods'),
                         trigger.get('authLevel'), directory)
    script_path = os.path.normpath(os.path.join(directory,
                                                config.get('scriptFile') or '__init__.py'))
    entry_point = config.get('entryPoint') or 'main'
    try:
        module = importlib.import_module(_v1_module_name(app_root, script_path))
        fn = getattr(module, entry_point, None)
        if fn is None:
            raise FunctionLoadError(f'function {entry_point}() is not present')
    except (Exception, SystemExit) as exc:
        return function.fail(_error_line(script_path, exc), exc)
    return function.bind(script_path, fn, trigger.get('name'),
                         outputs[0].get('name') if outputs else None, others)


# FunctionHandler directives

_handler_modules: dict = {}


def _import_handler(path: str) -> types.ModuleType:
    module = _handler_modules.get(path)
    if module is not None:
        return module
    directory = os.path.dirname(path)
    # Like a script: modules beside the file import by plain name. Appended,
    # so the file's neighbours never shadow installed packages.
    if directory not in sys.path:
        sys.path.append(directory)
    is_package = os.path.basename(path) == '__init__.py'
    module_name = f'__funcapp_handler{len(_handler_modules)}__'
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        module_name, path, submodule_search_locations=[directory] if is_package else None)
    if spec is None:
        raise FunctionLoadError('not a Python source file')
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    _handler_modules[path] = module
    return module


def _handler_function(route, path, callable_name, methods, auth_level) -> _Function:
    stem = os.path.splitext(os.path.basename(path))[0]
    directory = os.path.dirname(path)
    name = os.path.basename(directory) if stem == '__init__' else stem
    function = _Function(name, route, methods, auth_level, directory)
    try:
        fn = getattr(_import_handler(path), callable_name or 'main', None)
        if fn is None:
            raise FunctionLoadError(f'function {callable_name or "main"}() is not present')
    except (Exception, SystemExit) as exc:
        return function.fail(_error_line(path, exc), exc)
    return function.bind(path, fn, None, '$return')


# --- Entry points called by the C worker ------------------------------------

_functions: list = []


def setup(app_root, handlers, settings, log_level) -> list:
    """Prepare the interpreter, index the app, return the function table.

    Never raises: whatever cannot load becomes a table entry with `error`.
    """
    global _functions, _package
    functions = []
    try:
        _setup_logging(log_level)
        os.environ.update({str(k): str(v) for k, v in settings.items()})
        _set_sys_path(app_root)
        _install_finder()
        try:
            _package = _Package(importlib.import_module('azure.functions'))
        except (Exception, SystemExit) as exc:
            functions = [_app_failure('azure.functions', 'azure.functions', exc)]
        else:
            if app_root is not None:
                script = os.environ.get('PYTHON_SCRIPT_FILE_NAME') or _APP_SCRIPT_DEFAULT
                if os.path.isfile(os.path.join(app_root, script)):
                    functions = _index_v2(app_root, script)
                else:
                    functions = _index_v1(app_root)
            functions += [_handler_function(*handler) for handler in handlers]
    except (Exception, SystemExit) as exc:
        functions.append(_app_failure(app_root or 'setup', 'function_app', exc))
    _functions = functions
    return [f.entry() for f in functions]


def _start(index: int, invocation_id: str):
    function = _functions[index]
    invocation = _Invocation(function.name, invocation_id)
    _active_names[invocation_id] = function.name
    return function, invocation, _current.set(invocation)


def _finish(invocation: _Invocation, invocation_id: str, token) -> None:
    _flush_pending(invocation)
    _active_names.pop(invocation_id, None)
    _current.reset(token)


def _failed(exc: BaseException):
    # Start the traceback at the user's code, not at this module.
    _say(_ERROR, f'function raised {type(exc).__name__}', exc,
         exc.__traceback__.tb_next or exc.__traceback__)
    return _FAILED


def _unavailable(function: _Function):
    _say(_ERROR, f'function {function.name} unavailable: {function.error}')
    return _FAILED


def invoke(index, method, url, headers, route_params, body, invocation_id):
    """Run function `index` on this thread; returns (status, headers, body)."""
    function, invocation, token = _start(index, invocation_id)
    _tls.invocation_id = invocation_id
    try:
        if function.error is not None:
            return _unavailable(function)
        try:
            kwargs, out = function.arguments(method, url, headers, route_params, body,
                                             invocation_id)
            result = function.callable(**kwargs)
            if function.is_async:
                # The C side sends async functions to invoke_async() on its
                # event loop; this keeps them working if one arrives here.
                import asyncio
                result = asyncio.run(result)
            return function.respond(result, out)
        except (Exception, SystemExit) as exc:
            return _failed(exc)
    finally:
        _tls.invocation_id = None
        _finish(invocation, invocation_id, token)


async def invoke_async(index, method, url, headers, route_params, body, invocation_id):
    """Like invoke(), on the event loop: awaits async functions, runs sync
    ones in place. Cancellation propagates to the caller."""
    import asyncio
    function, invocation, token = _start(index, invocation_id)
    try:
        if function.error is not None:
            return _unavailable(function)
        try:
            kwargs, out = function.arguments(method, url, headers, route_params, body,
                                             invocation_id)
            result = function.callable(**kwargs)
            if function.is_async:
                result = await result
            return function.respond(result, out)
        except (Exception, SystemExit) as exc:
            return _failed(exc)
        except asyncio.CancelledError:
            _say(_INFO, 'cancelled: the client went away')
            raise
    finally:
        _finish(invocation, invocation_id, token)


# ---- the worker's event loop -----------------------------------------------
# One asyncio loop a worker, in a thread of its own, runs every async
# function as a task.  The C side queues requests without the GIL and writes
# one byte to `wake_fd`; the loop reads them with _funcapp.take() and hands
# each result to _funcapp.respond().

_loop = None
_tasks = {}


def _take() -> None:
    for item in _funcapp.take():
        if item[0] == 'cancel':
            task = _tasks.get(item[1])
            if task is not None:
                task.cancel()
        else:
            _, token, args = item
            _tasks[token] = _loop.create_task(_serve(token, args))


async def _serve(token, args) -> None:
    import asyncio
    result = None
    try:
        result = await invoke_async(*args)
    except asyncio.CancelledError:
        pass
    except BaseException as exc:  # the loader's own failure: still answer
        _say(_ERROR, f'mod_funcapp: invoke_async failed: {exc!r}')
        result = _FAILED
    finally:
        _tasks.pop(token, None)
        _funcapp.respond(token, args[-1], result)


def start_event_loop(wake_fd: int) -> None:
    """Start the worker's event loop thread, woken through `wake_fd`."""
    # imported here, not at the top: a worker with no async function never
    # starts the loop, and starts faster without asyncio
    import asyncio
    import threading
    global _loop
    _loop = asyncio.new_event_loop()
    _loop.add_reader(wake_fd, _take)
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(_loop)
        _loop.call_soon(started.set)
        _loop.run_forever()

    threading.Thread(target=run, name='funcapp-loop', daemon=True).start()
    started.wait()
