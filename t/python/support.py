# SPDX-License-Identifier: Apache-2.0
"""What the test modules share: the loader, started as the C worker starts
it over the `_funcapp` stand-in (stub.py), and LoaderTestCase.

The embedded package reaches the tests exactly as in production, through
the loader's import finder: python/ itself is never on sys.path.
"""

import asyncio
import json
import logging
import os
import sys
import tempfile
import textwrap
import unittest

import stub

SOURCES = stub.embedded_sources()
funcapp = stub.start_loader(SOURCES)

import _funcapp_loader as loader  # noqa: E402 (served by the finder just installed)
from _funcapp_loader import logging as bridge  # noqa: E402

TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'


class LoaderTestCase(unittest.TestCase):
    """Builds apps in a temp dir and restores the interpreter afterwards."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.app = os.path.realpath(self._tmp.name)
        self._saved = (sys.path[:], sys.meta_path[:], set(sys.modules), dict(os.environ),
                       sys.stdout, sys.stderr, logging.root.level)
        funcapp.records.clear()

    def tearDown(self):
        path, meta_path, modules, environ, stdout, stderr, level = self._saved
        sys.stdout, sys.stderr = stdout, stderr
        sys.path[:] = path
        sys.meta_path[:] = meta_path
        for name in set(sys.modules) - modules:
            del sys.modules[name]
        os.environ.clear()
        os.environ.update(environ)
        logging.root.removeHandler(bridge.handler())
        logging.root.setLevel(level)
        self._tmp.cleanup()

    def write(self, relpath, text, root=None):
        path = os.path.join(root or self.app, relpath)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(textwrap.dedent(text))
        return path

    def write_json(self, relpath, value):
        return self.write(relpath, json.dumps(value))

    def setup_app(self, handlers=(), settings=None, level=logging.DEBUG, app_root=True):
        table = loader.setup(self.app if app_root is True else app_root, list(handlers),
                             settings or {}, level)
        self.table = {entry['name']: index for index, entry in enumerate(table)}
        return table

    def entry(self, table, name):
        return table[self.table[name]]

    def call(self, name, method='GET', url=None, headers=(), route_params=None, body=b'',
             invocation_id='inv-1'):
        return loader.invoke(self.table[name], method, url or f'http://localhost/api/{name}',
                             list(headers), route_params or {}, body, invocation_id)

    def call_async(self, name, method='GET', url=None, headers=(), route_params=None, body=b'',
                   invocation_id='inv-1'):
        return asyncio.run(loader.invoke_async(
            self.table[name], method, url or f'http://localhost/api/{name}', list(headers),
            route_params or {}, body, invocation_id))

    def logs(self, levelno=None):
        return [text for level, text in funcapp.records if levelno is None or level == levelno]

    def func(self):
        return sys.modules['azure.functions']


def http_json(name='req', out='$return', **trigger):
    return {'bindings': [dict({'type': 'httpTrigger', 'direction': 'in', 'name': name}, **trigger),
                         {'type': 'http', 'direction': 'out', 'name': out}]}
