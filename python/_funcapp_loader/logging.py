# SPDX-License-Identifier: Apache-2.0
"""The logging bridge: print(), the app's logging and the loader's own
messages go to httpd's error log through _funcapp.log, each line prefixed
with the function and invocation it belongs to, at httpd's LogLevel.

The app's logging records reach the error log through a handler on the
root logger.  logging brings traceback, re, string, weakref and more: some
3 MB and milliseconds a worker, which an app that never logs should not
pay.  So the handler goes in the moment the app imports logging (or at
setup, if something imported it already); print() and the loader's own
messages do without it.
"""

import contextvars
import io
import sys
from _thread import _local as _thread_local  # threading.local, without threading

import _funcapp

from .importer import PathFinder

# logging's level numbers, for code that runs before (or without) it
DEBUG, INFO, WARNING, ERROR = 10, 20, 30, 40
_MAX_PARTIAL_LINE = 65536


class _Invocation:
    """What log lines need to know about the running invocation; reached
    through a ContextVar, so each pool thread and each asyncio task sees
    its own."""
    __slots__ = ('prefix', 'pending', 'floor')

    def __init__(self, function_name: str, invocation_id: str) -> None:
        self.prefix = f'{function_name} {invocation_id}: '
        self.pending = ['', '']  # unfinished stdout / stderr line
        self.floor = function_floor(function_name)


def function_floor(function_name: str) -> int:
    """The lowest level of the function's own logs that host.json's
    logging.logLevel lets through, as the host picks a category's level:
    the most specific of Function.<name>.User, Function.<name>, Function,
    default; 0 (no floor) when none is set."""
    levels = _state.function_levels
    if not levels:
        return 0
    name = function_name.lower()
    for category in (f'function.{name}.user', f'function.{name}', 'function', 'default'):
        if category in levels:
            return levels[category]
    return 0


def set_function_levels(levels: dict) -> None:
    """host.json's logging.logLevel, from hostjson.log_levels()."""
    _state.function_levels = dict(levels)


def _below_floor(levelno: int) -> bool:
    # the function's logs under its host.json level are dropped (the host
    # filters them so); lines outside an invocation have no floor
    invocation = _current.get()
    if invocation is not None:
        return levelno < invocation.floor
    invocation_id = getattr(tls, 'invocation_id', None)
    name = _active_names.get(invocation_id) if invocation_id is not None else None
    return name is not None and levelno < function_floor(name)


class _State:
    """The configured level, and logging once the handler is on its root."""
    __slots__ = ('level', 'logging', 'handler', 'function_levels')

    def __init__(self) -> None:
        self.level = WARNING  # LogLevel funcapp:...
        self.logging = None
        self.handler = None
        self.function_levels = {}  # host.json logging.logLevel


_state = _State()
_current = contextvars.ContextVar('mod_funcapp_invocation', default=None)
# The Context.thread_local_storage of every invocation, as on Azure: a thread
# the function starts sets its invocation_id to have its lines attributed.
tls = _thread_local()
_active_names: dict = {}  # invocation id -> function name, for tls lookups


def begin(function_name: str, invocation_id: str):
    """Attributes what this thread or task logs to an invocation, until
    end(*returned values)."""
    invocation = _Invocation(function_name, invocation_id)
    _active_names[invocation_id] = function_name
    return invocation, _current.set(invocation)


def end(invocation: _Invocation, invocation_id: str, token) -> None:
    """Logs what the invocation left unfinished; stops attributing."""
    for slot, levelno in ((0, INFO), (1, WARNING)):
        if invocation.pending[slot]:
            if _enabled(levelno):
                _emit(levelno, invocation.pending[slot])
            invocation.pending[slot] = ''
    _active_names.pop(invocation_id, None)
    _current.reset(token)


def _prefix() -> str:
    invocation = _current.get()
    if invocation is not None:
        return invocation.prefix
    invocation_id = getattr(tls, 'invocation_id', None)
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


def say(levelno: int, message: str, exc: BaseException = None, tb=None) -> None:
    """The loader's own messages, at the configured level whatever the app
    does to logging; with `exc`, its traceback (from `tb`) as logging
    formats exc_info."""
    if levelno < _state.level:
        return
    if exc is not None:
        import traceback
        lines = traceback.format_exception(type(exc), exc, tb or exc.__traceback__)
        message = f"{message}\n{''.join(lines).rstrip(chr(10))}"
    _emit(levelno, message)


def _enabled(levelno: int) -> bool:
    if _below_floor(levelno):
        return False
    if _state.logging is not None:
        return _state.logging.root.isEnabledFor(levelno)
    return levelno >= _state.level


class LineLogger(io.TextIOBase):
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
        pending = getattr(tls, 'pending', None)
        if pending is None:
            pending = tls.pending = ['', '']
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


def _install_handler(logging) -> None:
    if _state.handler is None:
        class _Handler(logging.Handler):
            """Sends records to httpd's error log through the C module."""

            def __init__(self) -> None:
                super().__init__()
                self.setFormatter(logging.Formatter('%(message)s'))

            def emit(self, record) -> None:
                if _below_floor(record.levelno):
                    return
                try:
                    _emit(record.levelno, self.format(record))
                except Exception:
                    self.handleError(record)
        _state.handler = _Handler()
    root = logging.getLogger()
    if _state.handler not in root.handlers:
        root.addHandler(_state.handler)
    root.setLevel(_state.level)
    _state.logging = logging


def handler():
    """The handler on logging's root logger, or None before logging."""
    return _state.handler


class _LoggingHook:
    """On sys.meta_path until logging is imported: finds it as the path
    finder would, and installs the handler right after its code has run."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != 'logging':
            return None
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _RunAfter(spec.loader, _install_handler)
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


def setup(log_level: int) -> None:
    """Sends print() and logging (now or once imported) to the error log."""
    _state.level = log_level
    if 'logging' in sys.modules:
        _install_handler(sys.modules['logging'])
    elif not any(isinstance(f, _LoggingHook) for f in sys.meta_path):
        sys.meta_path.insert(0, _LoggingHook())
    sys.stdout = LineLogger(INFO, 0, '<stdout>')
    sys.stderr = LineLogger(WARNING, 1, '<stderr>')
