# SPDX-License-Identifier: Apache-2.0
"""The C side of a worker, played in Python for the tests: a stand-in for
the `_funcapp` C module serving what build/embed_python.py embeds, and the
loader started the way the C worker starts it.

Light on purpose: the fresh-interpreter tests import it in a new
interpreter and then check what the loader imported, so it imports nothing
a worker does not have at start (ctypes aside).
"""

import os
import sys
import types

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON_DIR = os.path.join(TOP, 'python')
T_PYTHON_DIR = os.path.join(TOP, 't', 'python')


def embedded_sources(compiled: bool = False) -> dict:
    """What the C module compiles in: module name -> (is_package, source
    text, marshalled bytecode or None), from build/embed_python.py itself."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'embed_python', os.path.join(TOP, 'build', 'embed_python.py'))
    embed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(embed)
    return {name: (is_package, source.decode('utf-8'), code)
            for name, is_package, _, source, code in embed.modules(PYTHON_DIR, compiled)}


def funcapp(sources: dict) -> types.ModuleType:
    """The stand-in for `_funcapp`: log() appends to `records`; take()
    hands out what `queue` holds; respond() appends to `responses`."""
    module = types.ModuleType('_funcapp')
    module.records = []
    module.queue = []
    module.responses = []
    module.log = lambda levelno, text: module.records.append((levelno, text))

    def embedded(name):
        if name not in sources:
            return None
        is_package, _, code = sources[name]
        return is_package, None if code is None else memoryview(code)

    def take():
        items, module.queue[:] = module.queue[:], []
        return items

    module.embedded = embedded
    module.source = lambda name: sources[name][1] if name in sources else None
    module.take = take
    module.compile = compile
    module.respond = lambda token, invocation_id, result: module.responses.append(
        (token, invocation_id, result))
    return module


def start_loader(sources: dict) -> types.ModuleType:
    """What the C worker does: install the `_funcapp` stand-in, execute
    `_funcapp_loader.importer` by itself with PyImport_ExecCodeModuleEx,
    then import `_funcapp_loader`; returns the stand-in."""
    import ctypes
    import marshal
    module = sys.modules['_funcapp'] = funcapp(sources)
    exec_code_module = ctypes.pythonapi.PyImport_ExecCodeModuleEx
    exec_code_module.restype = ctypes.py_object
    exec_code_module.argtypes = (ctypes.c_char_p, ctypes.py_object, ctypes.c_char_p)
    path = '<mod_funcapp>/_funcapp_loader/importer.py'
    _, source, code = sources['_funcapp_loader.importer']
    code = marshal.loads(code) if code is not None else compile(source, path, 'exec')
    exec_code_module(b'_funcapp_loader.importer', code, path.encode())
    __import__('_funcapp_loader')  # what PyImport_ImportModule does
    return module
