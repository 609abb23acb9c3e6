# SPDX-License-Identifier: Apache-2.0
"""The import finder that serves Python code compiled into mod_funcapp.

The C worker executes this module first, by itself, as
`_funcapp_loader.importer`, before its package exists: so it imports only
what the interpreter has loaded at start (sys, marshal, importlib's frozen
core and the C module _funcapp).  Executing it installs two finders over
the same table of embedded modules:

- one at the FRONT of sys.meta_path for the loader's own package
  (`_funcapp_loader` and its submodules): a worker finds them without a
  single sys.path scan, and nothing on sys.path can shadow them;
- one at the END for azure.functions (and the HTTP streams extension,
  azurefunctions.extensions.http.fastapi): a real azure.functions anywhere
  on sys.path wins, and since the finder is asked per module, a namespace
  `azure` found elsewhere (azure-core installed alone) still gets ours.

It also gives the loader what it uses of importlib, from importlib's frozen
core that every interpreter has loaded: the importlib package itself would
bring `warnings` along, near a millisecond of every worker's start.
"""

import _frozen_importlib
import _frozen_importlib_external
import marshal
import sys

import _funcapp

ModuleSpec = _frozen_importlib.ModuleSpec
PathFinder = _frozen_importlib_external.PathFinder

EMBEDDED_ROOT = '<mod_funcapp>'


def _ours(name: str) -> bool:
    return name == '_funcapp_loader' or name.startswith('_funcapp_loader.')


# The HTTP streams extension (azurefunctions-extensions-http-fastapi) and
# the packages above it: served like azure.functions, after sys.path.
_EXTENSION = ('azurefunctions', 'azurefunctions.extensions', 'azurefunctions.extensions.http',
              'azurefunctions.extensions.http.fastapi')


def _azure(name: str) -> bool:
    return (name in ('azure', 'azure.functions') or name.startswith('azure.functions.')
            or name in _EXTENSION)


class EmbeddedFinder:
    """Finds and loads the embedded modules whose names `serves` accepts."""

    def __init__(self, serves) -> None:
        self._serves = serves

    def _entry(self, fullname: str):
        # (is_package, bytecode compiled at build time or None)
        entry = _funcapp.embedded(fullname) if self._serves(fullname) else None
        if entry is None:
            raise ImportError(f'no embedded source for {fullname}', name=fullname)
        return entry

    @staticmethod
    def _filename(fullname: str, is_package: bool) -> str:
        # '<mod_funcapp>/azure/functions/_http.py': tracebacks say where.
        parts = [EMBEDDED_ROOT, *fullname.split('.'), *(['__init__'] if is_package else [])]
        return '/'.join(parts) + '.py'

    def find_spec(self, fullname, path=None, target=None):
        try:
            is_package = self._entry(fullname)[0]
        except ImportError:
            return None
        spec = ModuleSpec(fullname, self, is_package=is_package,
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


# what importlib.import_module() does with an absolute name
import_module = _frozen_importlib._gcd_import


def invalidate_caches() -> None:
    """importlib.invalidate_caches()."""
    for finder in sys.meta_path:
        if hasattr(finder, 'invalidate_caches'):
            finder.invalidate_caches()


# importlib compiles a .py it has no .pyc for (the app's, as a rule: a
# worker cannot write its __pycache__) with compile(), which makes the ast
# module's classes, ~200 kB of every worker; _funcapp.compile does not.
_frozen_importlib_external.compile = _funcapp.compile

LOADER = EmbeddedFinder(_ours)
AZURE = EmbeddedFinder(_azure)


def install() -> None:
    """Puts LOADER first and AZURE last on sys.meta_path, each once."""
    sys.meta_path[:] = [LOADER, *(f for f in sys.meta_path if not isinstance(f, EmbeddedFinder)),
                        AZURE]


install()
# This module was executed, not imported: give it the loader it would have
# had, so that tracebacks through it show its lines.
__loader__ = LOADER
if __spec__ is not None:
    __spec__.loader = LOADER
