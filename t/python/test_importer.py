# SPDX-License-Identifier: Apache-2.0
"""The import finder (_funcapp_loader.importer): the loader's own package
served first from memory, the embedded azure.functions served last."""

import importlib
import json
import logging
import os
import sys
import unittest

from support import LoaderTestCase, http_json, loader

from _funcapp_loader import importer


class EmbeddedPackageTest(LoaderTestCase):

    def test_served_by_the_finder_appended_last(self):
        self.setup_app()
        func = self.func()
        self.assertTrue(func._MOD_FUNCAPP_COMPAT)
        self.assertEqual(func.__version__, '1.0.0+mod_funcapp')
        self.assertEqual(func.__file__, '<mod_funcapp>/azure/functions/__init__.py')
        self.assertEqual(sys.modules['azure.functions._http'].__file__,
                         '<mod_funcapp>/azure/functions/_http.py')
        self.assertIs(sys.meta_path[-1], importer.AZURE)
        loader.setup(self.app, [], {}, logging.DEBUG)
        self.assertEqual(sum(f is importer.AZURE for f in sys.meta_path), 1)
        self.assertEqual([f for f in sys.meta_path if isinstance(f, importer.EmbeddedFinder)],
                         [importer.LOADER, importer.AZURE])

    def test_loader_package_served_first(self):
        self.setup_app()
        self.assertIs(sys.meta_path[0], importer.LOADER)
        self.assertEqual(loader.__file__, '<mod_funcapp>/_funcapp_loader/__init__.py')
        self.assertEqual(loader.__path__, [], 'nothing on disk can add a submodule')
        for name in ('dispatcher', 'logging', 'bindings', 'functions', 'loader'):
            module = sys.modules[f'_funcapp_loader.{name}']
            self.assertIs(module.__loader__, importer.LOADER, name)
            self.assertEqual(module.__file__, f'<mod_funcapp>/_funcapp_loader/{name}.py')
        self.assertIs(importer.__loader__, importer.LOADER, 'executed, yet shows its lines')
        self.assertIn('def install()', importer.LOADER.get_source('_funcapp_loader.importer'))
        # each finder serves only its own names
        self.assertIsNone(importer.LOADER.find_spec('azure.functions'))
        self.assertIsNone(importer.AZURE.find_spec('_funcapp_loader.dispatcher'))
        self.assertIsNone(importer.LOADER.find_spec('_funcapp_loader_other'))
        self.write('_funcapp_loader/extra.py', 'X = 1\n')
        with self.assertRaises(ModuleNotFoundError):
            importlib.import_module('_funcapp_loader.extra')

    def test_namespace_azure_elsewhere_still_gets_our_functions(self):
        site = os.path.join(self.app, '.python_packages', 'lib', 'site-packages')
        self.write('azure/othersdk/__init__.py', 'VALUE = 42\n', root=site)
        self.setup_app()
        self.assertTrue(self.func()._MOD_FUNCAPP_COMPAT)
        self.assertEqual(importlib.import_module('azure.othersdk').VALUE, 42)

    def test_real_package_in_python_packages_wins(self):
        site = os.path.join(self.app, '.python_packages', 'lib', 'site-packages')
        self.write('azure/functions/__init__.py', '''
            """Stand-in for the real azure.functions: same public constructors."""
            import abc

            class Context(abc.ABC):
                @property
                @abc.abstractmethod
                def invocation_id(self): ...
                @property
                @abc.abstractmethod
                def function_name(self): ...
                @property
                @abc.abstractmethod
                def a_member_from_the_future(self): ...

            class Out(abc.ABC):
                @abc.abstractmethod
                def set(self, val): ...
                @abc.abstractmethod
                def get(self): ...

            class HttpRequest:
                def __init__(self, method, url, *, headers=None, params=None,
                             route_params=None, body):
                    self.method, self.url, self.body = method.upper(), url, body
                    self.headers, self.params = dict(headers), dict(params)
                    self.route_params = dict(route_params)

            class Headers(list):
                def items(self):
                    return list(self)

            class HttpResponse:
                def __init__(self, body=None, *, status_code=None, headers=None,
                             mimetype=None, charset=None):
                    self.status_code = status_code or 200
                    self.mimetype, self.charset = mimetype or 'text/plain', charset or 'utf-8'
                    self.headers = Headers((headers or {}).items())
                    self._body = body.encode(self.charset) if isinstance(body, str) else body
                def get_body(self):
                    return self._body
            ''', root=site)
        self.write_json('Real/function.json', http_json(out='res'))
        self.write('Real/__init__.py', '''
            import json
            import azure.functions as func

            def main(req: func.HttpRequest, res: func.Out, context: func.Context):
                res.set(func.HttpResponse(json.dumps({
                    'compat': hasattr(func, '_MOD_FUNCAPP_COMPAT'),
                    'headers': req.headers, 'params': req.params,
                    'route': req.route_params, 'body': req.body.decode(),
                    'name': context.function_name, 'future': context.a_member_from_the_future,
                    'out_is_out': isinstance(res, func.Out)}),
                    status_code=202, mimetype='application/json',
                    headers={'Set-Cookie': 'a=1'}))
                res.get().headers.append(('Set-Cookie', 'b=2'))
            ''')
        table = self.setup_app()
        self.assertIsNone(self.entry(table, 'Real')['error'])
        self.assertFalse(hasattr(self.func(), '_MOD_FUNCAPP_COMPAT'))
        status, headers, body = self.call(
            'Real', 'post', 'http://h/api/Real?x=1&x=2&y=',
            [('X-One', 'a'), ('x-one', 'b')], {'id': '7'}, b'payload')
        self.assertEqual(status, 202)
        self.assertEqual(headers, [('Set-Cookie', 'a=1'), ('Set-Cookie', 'b=2'),
                                   ('Content-Type', 'application/json')])
        self.assertEqual(json.loads(body), {
            'compat': False, 'headers': {'x-one': 'a, b'}, 'params': {'x': '1,2', 'y': ''},
            'route': {'id': '7'}, 'body': 'payload', 'name': 'Real', 'future': None,
            'out_is_out': True})


if __name__ == '__main__':
    unittest.main()
