# SPDX-License-Identifier: Apache-2.0
"""Indexing: what functions an app has and how to load them, as the Azure
worker's loader does.  v2 apps are a function_app.py with one top-level
FunctionApp; v1 apps a folder per function with its function.json; and
FunctionHandler directives name a file and a callable each.  Whatever
cannot load becomes a table row with its error, never an exception.
"""

import os
import sys
import types

from .functions import Function, FunctionLoadError, error_line
from .importer import ModuleSpec, import_module, invalidate_caches
from .logging import INFO, say

_APP_SCRIPT_DEFAULT = 'function_app.py'


def set_sys_path(app_root) -> None:
    """The app root, then its .python_packages, before the system's."""
    if app_root is None:
        return
    front = [app_root, os.path.join(app_root, '.python_packages', 'lib', 'site-packages')]
    sys.path[:] = front + [p for p in sys.path if p not in front]
    invalidate_caches()


def index_app(app_root, package) -> list:
    """The function table of the app at `app_root` (None: no app), over
    `package` (a bindings.Package)."""
    if app_root is None:
        return []
    script = os.environ.get('PYTHON_SCRIPT_FILE_NAME') or _APP_SCRIPT_DEFAULT
    if os.path.isfile(os.path.join(app_root, script)):
        return _index_v2(app_root, script, package)
    return _index_v1(app_root, package)


def _disabled(name: str) -> bool:
    # Azure's per-function switch, an app setting: AzureWebJobs.<name>.Disabled
    return os.environ.get(f'AzureWebJobs.{name}.Disabled', '').strip().lower() in ('true', '1')


def app_failure(source: str, name: str, exc: BaseException) -> Function:
    function = Function(name, '{*path}', (), 'anonymous', os.path.dirname(source))
    return function.fail(error_line(source, exc), exc)


# v2: function_app.py

def _index_v2(app_root: str, script: str, package) -> list:
    path = os.path.join(app_root, script)
    module_name = os.path.splitext(script)[0]
    try:
        if package.function_register is None:
            raise ImportError('this azure.functions has no FunctionApp (v2 programming model)')
        module = import_module(module_name)
        apps = [v for v in vars(module).values() if isinstance(v, package.function_register)]
        if not apps:
            raise ValueError(f'Could not find top level function app instances in {script}.')
        if len(apps) > 1:
            raise ValueError(f'More than one {type(apps[0]).__name__} or other top level '
                             f'function app instances are defined.')
        app_level = apps[0].auth_level
        indexed = apps[0].get_functions()
    except (Exception, SystemExit) as exc:
        return [app_failure(path, module_name, exc)]
    functions = []
    for indexed_function in indexed:
        name = indexed_function.get_function_name()
        trigger = indexed_function.get_trigger()
        trigger_type = str(getattr(trigger, 'type', None))
        if trigger_type.lower() != 'httptrigger':
            say(INFO, f'function {name}: {trigger_type} trigger is not HTTP, not served')
            continue
        if _disabled(name):
            say(INFO, f'function {name}: disabled by AzureWebJobs.{name}.Disabled')
            continue
        bindings = [b for b in indexed_function.get_bindings() if b is not trigger]
        outputs = [b for b in bindings if str(getattr(b, 'type', '')).lower() == 'http']
        function = Function(name, trigger.route, trigger.methods,
                            trigger.auth_level or app_level, app_root)
        functions.append(function.bind(
            package, path, indexed_function.get_user_function(), trigger.name,
            outputs[0].name if outputs else None, [b for b in bindings if b not in outputs[:1]]))
    return functions


# v1: one folder per function with function.json

def _install_app_namespace(app_root: str) -> None:
    # The Azure worker imports v1 functions as __app__.<folder>[.<module>],
    # so relative imports inside and between function folders work.
    import importlib.util
    spec = ModuleSpec('__app__', None, is_package=True)
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


def _index_v1(app_root: str, package) -> list:
    functions = []
    _install_app_namespace(app_root)
    for folder in sorted(os.listdir(app_root)):
        directory = os.path.join(app_root, folder)
        config_path = os.path.join(directory, 'function.json')
        if os.path.isfile(config_path):
            function = _v1_function(package, app_root, folder, directory, config_path)
            if function is not None:
                functions.append(function)
    return functions


def _v1_function(package, app_root, name, directory, config_path):
    import json
    try:
        with open(config_path, encoding='utf-8-sig') as f:
            config = json.load(f)
        if not isinstance(config, dict):
            raise ValueError('function.json is not a JSON object')
    except (OSError, ValueError) as exc:
        return Function(name, None, (), None, directory).fail(error_line(config_path, exc), exc)
    bindings = [b for b in config.get('bindings') or () if isinstance(b, dict)]
    trigger = next((b for b in bindings if str(b.get('type', '')).lower() == 'httptrigger'), None)
    timer = next((b for b in bindings if str(b.get('type', '')).lower() == 'timertrigger'), None)
    if trigger is None and timer is None:
        say(INFO, f'function {name}: no httpTrigger binding, not served')
        return None
    if config.get('disabled') is True or _disabled(name):
        say(INFO, f'function {name}: disabled')
        return None
    if trigger is None:
        return _v1_timer(package, app_root, name, directory, config, bindings, timer)
    outputs = [b for b in bindings if str(b.get('type', '')).lower() == 'http'
               and str(b.get('direction', 'out')).lower() == 'out']
    others = [types.SimpleNamespace(name=b.get('name'), type=b.get('type'))
              for b in bindings if b is not trigger and b not in outputs[:1]]
    function = Function(name, trigger.get('route'), trigger.get('methods'),
                        trigger.get('authLevel'), directory)
    return _v1_bind(package, app_root, function, config, trigger,
                    outputs[0].get('name') if outputs else None, others)


def _v1_bind(package, app_root, function, config, trigger, output, others):
    script_path = os.path.normpath(os.path.join(function.directory,
                                                config.get('scriptFile') or '__init__.py'))
    entry_point = config.get('entryPoint') or 'main'
    try:
        module = import_module(_v1_module_name(app_root, script_path))
        fn = getattr(module, entry_point, None)
        if fn is None:
            raise FunctionLoadError(f'function {entry_point}() is not present')
    except (Exception, SystemExit) as exc:
        return function.fail(error_line(script_path, exc), exc)
    return function.bind(package, script_path, fn, trigger.get('name'), output, others)


def _v1_timer(package, app_root, name, directory, config, bindings, timer):
    # function.json's timerTrigger: schedule, runOnStartup, useMonitor
    # (unset: the C side applies Azure's default)
    others = [types.SimpleNamespace(name=b.get('name'), type=b.get('type'))
              for b in bindings if b is not timer]
    function = Function(name, None, (), 'anonymous', directory).as_timer(
        timer.get('schedule'), timer.get('runOnStartup'), timer.get('useMonitor'))
    return _v1_bind(package, app_root, function, config, timer, None, others)


# FunctionHandler directives

_handler_modules: dict = {}  # path -> module: each file runs once


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


def handler_function(package, route, path, callable_name, methods, auth_level) -> Function:
    stem = os.path.splitext(os.path.basename(path))[0]
    directory = os.path.dirname(path)
    name = os.path.basename(directory) if stem == '__init__' else stem
    function = Function(name, route, methods, auth_level, directory)
    try:
        fn = getattr(_import_handler(path), callable_name or 'main', None)
        if fn is None:
            raise FunctionLoadError(f'function {callable_name or "main"}() is not present')
    except (Exception, SystemExit) as exc:
        return function.fail(error_line(path, exc), exc)
    return function.bind(package, path, fn, None, '$return')
