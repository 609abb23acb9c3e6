"""Tests of the worker's Python side: _funcapp_loader and the embedded
azure.functions.

`_funcapp` is a C builtin only inside the worker, so a stand-in is put in
sys.modules before the loader is imported. The embedded package reaches the
tests exactly as in production, through the loader's import finder: python/
itself is never on sys.path.
"""

import asyncio
import http
import importlib.util
import json
import logging
import marshal
import os
import sys
import tempfile
import textwrap
import threading
import types
import unittest

PYTHON_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'python')


def _embedded_sources() -> dict:
    """What the C module compiles in: module name -> (is_package, source)."""
    sources = {}
    for dirpath, dirnames, filenames in os.walk(os.path.join(PYTHON_DIR, 'azure')):
        dirnames[:] = [d for d in dirnames if d != '__pycache__']
        for filename in filenames:
            if filename.endswith('.py'):
                path = os.path.join(dirpath, filename)
                parts = os.path.relpath(path, PYTHON_DIR)[:-3].split(os.sep)
                is_package = parts[-1] == '__init__'
                with open(path, encoding='utf-8') as f:
                    sources['.'.join(parts[:-1] if is_package else parts)] = (is_package, f.read())
    return sources


_funcapp = types.ModuleType('_funcapp')
_funcapp.records = []
_funcapp.log = lambda levelno, text: _funcapp.records.append((levelno, text))
_SOURCES = _embedded_sources()
_funcapp.embedded = lambda name: (_SOURCES[name][0], None) if name in _SOURCES else None
_funcapp.source = lambda name: _SOURCES[name][1] if name in _SOURCES else None
sys.modules['_funcapp'] = _funcapp

_spec = importlib.util.spec_from_file_location('_funcapp_loader',
                                               os.path.join(PYTHON_DIR, '_funcapp_loader.py'))
loader = importlib.util.module_from_spec(_spec)
sys.modules['_funcapp_loader'] = loader
_spec.loader.exec_module(loader)

TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'


class LoaderTestCase(unittest.TestCase):
    """Builds apps in a temp dir and restores the interpreter afterwards."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.app = os.path.realpath(self._tmp.name)
        self._saved = (sys.path[:], sys.meta_path[:], set(sys.modules), dict(os.environ),
                       sys.stdout, sys.stderr, logging.root.level)
        _funcapp.records.clear()

    def tearDown(self):
        path, meta_path, modules, environ, stdout, stderr, level = self._saved
        sys.stdout, sys.stderr = stdout, stderr
        sys.path[:] = path
        sys.meta_path[:] = meta_path
        for name in set(sys.modules) - modules:
            del sys.modules[name]
        os.environ.clear()
        os.environ.update(environ)
        logging.root.removeHandler(loader._handler)
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
        return [text for level, text in _funcapp.records if levelno is None or level == levelno]

    def func(self):
        return sys.modules['azure.functions']


def http_json(name='req', out='$return', **trigger):
    return {'bindings': [dict({'type': 'httpTrigger', 'direction': 'in', 'name': name}, **trigger),
                         {'type': 'http', 'direction': 'out', 'name': out}]}


class EmbeddedPackageTest(LoaderTestCase):

    def test_served_by_the_finder_appended_last(self):
        self.setup_app()
        func = self.func()
        self.assertTrue(func._MOD_FUNCAPP_COMPAT)
        self.assertEqual(func.__version__, '1.0.0+mod_funcapp')
        self.assertEqual(func.__file__, '<mod_funcapp>/azure/functions/__init__.py')
        self.assertEqual(sys.modules['azure.functions._http'].__file__,
                         '<mod_funcapp>/azure/functions/_http.py')
        self.assertIsInstance(sys.meta_path[-1], loader._EmbeddedFinder)
        loader.setup(self.app, [], {}, logging.DEBUG)
        self.assertEqual(sum(isinstance(f, loader._EmbeddedFinder) for f in sys.meta_path), 1)

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


class V2AppTest(LoaderTestCase):

    def write_app(self):
        self.write('function_app.py', '''
            import azure.functions as func
            from blueprint import bp

            app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

            @app.route(route="hello/{name}", methods=["get", func.HttpMethod.POST])
            def hello(req: func.HttpRequest) -> func.HttpResponse:
                return func.HttpResponse(f"Hello {req.route_params['name']}")

            @app.function_name(name="Named")
            @app.route(auth_level=func.AuthLevel.ADMIN)
            def named_impl(req):
                return "named"

            @app.route(route="/rev", auth_level="function", methods="PUT")
            @app.function_name("Reversed")
            @app.http_type("function")
            def rev(req):
                return req.get_body()[::-1].decode()

            @app.route(trigger_arg_name="request", binding_arg_name="outres")
            def named_out(request, outres: func.Out[func.HttpResponse]):
                outres.set(func.HttpResponse("via out", status_code=201))

            @app.route()
            def nothing(req):
                return None

            app.register_functions(bp)
            ''')
        self.write('blueprint.py', '''
            import asyncio
            import azure.functions as func

            bp = func.Blueprint()

            @bp.route(route="bp/items", methods=["DELETE"])
            async def bp_items(req):
                await asyncio.sleep(0)
                return "from blueprint"
            ''')

    def test_table(self):
        self.write_app()
        table = self.setup_app()
        self.assertEqual(table, [
            {'name': 'hello', 'route': 'hello/{name}', 'methods': 'GET,POST',
             'auth_level': 'anonymous', 'is_async': False, 'error': None},
            {'name': 'Named', 'route': 'Named', 'methods': '', 'auth_level': 'admin',
             'is_async': False, 'error': None},
            {'name': 'Reversed', 'route': 'rev', 'methods': 'PUT', 'auth_level': 'function',
             'is_async': False, 'error': None},
            {'name': 'named_out', 'route': 'named_out', 'methods': '', 'auth_level': 'anonymous',
             'is_async': False, 'error': None},
            {'name': 'nothing', 'route': 'nothing', 'methods': '', 'auth_level': 'anonymous',
             'is_async': False, 'error': None},
            {'name': 'bp_items', 'route': 'bp/items', 'methods': 'DELETE',
             'auth_level': 'anonymous', 'is_async': True, 'error': None},
        ])

    def test_invocations(self):
        self.write_app()
        self.setup_app()
        self.assertEqual(self.call('hello', route_params={'name': 'Ann'}),
                         (200, [('Content-Type', 'text/plain; charset=utf-8')], b'Hello Ann'))
        self.assertEqual(self.call('Named')[2], b'named')
        self.assertEqual(self.call('Reversed', 'PUT', body=b'abc')[2], b'cba')
        self.assertEqual(self.call('named_out')[::2], (201, b'via out'))
        self.assertEqual(self.call('nothing'), (204, [], b''))
        self.assertEqual(self.call('bp_items', 'DELETE')[2], b'from blueprint')
        self.assertEqual(self.call_async('bp_items', 'DELETE')[2], b'from blueprint')
        self.assertEqual(self.call_async('hello', route_params={'name': 'Bo'})[2], b'Hello Bo')

    def test_default_app_auth_level_is_function(self):
        self.write('function_app.py', '''
            import azure.functions as func
            app = func.FunctionApp()

            @app.route(route="x")
            def x(req):
                return "x"
            ''')
        table = self.setup_app()
        self.assertEqual(table[0]['auth_level'], 'function')

    def test_decorated_function_stays_callable(self):
        self.setup_app()
        func = self.func()
        app = func.FunctionApp()

        @app.route(route='r')
        def handler(req):
            return 'called ' + req.method

        self.assertEqual(handler(func.HttpRequest('get', 'http://h/')), 'called GET')
        with self.assertRaises(KeyError):
            app.route(methods=['FETCH'])
        with self.assertRaises(TypeError):
            app.register_functions(func.FunctionApp())

    def test_broken_function_app(self):
        self.write('function_app.py', 'import azure.functions as func\napp = func.FunctionApp(\n')
        table = self.setup_app()
        self.assertEqual(len(table), 1)
        error = table[0].pop('error')
        self.assertEqual(table[0], {'name': 'function_app', 'route': '{*path}', 'methods': '',
                                    'auth_level': 'anonymous', 'is_async': False})
        self.assertTrue(error.startswith(os.path.join(self.app, 'function_app.py') +
                                         ': SyntaxError: '), error)
        self.assertNotIn('\n', error)
        self.assertEqual(len(self.logs(logging.ERROR)), 1)
        _funcapp.records.clear()
        self.assertEqual(loader.invoke(0, 'GET', 'http://h/api/x', [], {}, b'', 'i9'),
                         (500, [], b''))
        self.assertEqual(self.logs(logging.ERROR),
                         [f'function_app i9: function function_app unavailable: {error}'])

    def test_function_app_without_app_instance(self):
        self.write('function_app.py', 'import azure.functions as func\n')
        table = self.setup_app()
        self.assertEqual(len(table), 1)
        self.assertIn('ValueError: Could not find top level function app', table[0]['error'])

    def test_function_app_raising_at_import_keeps_handlers(self):
        self.write('function_app.py', 'raise RuntimeError("no config")\n')
        handler = self.write('handler.py', 'def main(req):\n    return "ok"\n')
        table = self.setup_app(handlers=[('h', handler, 'main', None, None)])
        self.assertEqual([e['name'] for e in table], ['function_app', 'handler'])
        self.assertTrue(table[0]['error'].endswith('function_app.py: RuntimeError: no config'))
        self.assertIsNone(table[1]['error'])


class V1AppTest(LoaderTestCase):

    def write_app(self):
        self.write('shared/util.py', 'def shout(s):\n    return s.upper()\n')
        self.write_json('HttpA/function.json', http_json(
            authLevel='anonymous', methods=['get', 'post'], route='/things/{id:int}'))
        self.write('HttpA/helper.py', 'GREETING = "hi"\n')
        self.write('HttpA/__init__.py', '''
            from . import helper
            from ..shared.util import shout
            from shared import util

            def main(req):
                return f"{helper.GREETING} {shout(req.route_params['id'])} {util.shout('x')}"
            ''')
        # scriptFile/entryPoint, another trigger name, a named output, no __init__.py
        self.write_json('HttpB/function.json', dict(
            http_json(name='request', out='res', authLevel='Admin'),
            scriptFile='handler.py', entryPoint='run'))
        self.write('HttpB/handler.py', '''
            import azure.functions as func

            def run(request: func.HttpRequest, res: func.Out[func.HttpResponse],
                    context: func.Context) -> None:
                res.set(func.HttpResponse(context.function_name + " " + request.method,
                                          status_code=201))
            ''')
        self.write_json('HttpC/function.json', {'bindings': [
            {'type': 'HTTPTRIGGER', 'direction': 'in', 'name': 'req'},
            {'type': 'http', 'direction': 'out', 'name': 'out'}]})
        self.write('HttpC/__init__.py', 'def main(req, out):\n    pass\n')
        self.write_json('Timer/function.json', {'bindings': [
            {'type': 'timerTrigger', 'direction': 'in', 'name': 't', 'schedule': '0 * * * * *'}]})
        self.write('Timer/__init__.py', 'def main(t):\n    pass\n')
        self.write_json('Broken/function.json', http_json())
        self.write('Broken/__init__.py', 'import nope\n')
        self.write_json('NoMain/function.json', http_json())
        self.write('NoMain/__init__.py', 'def other(req):\n    pass\n')
        self.write_json('Unbound/function.json', http_json())
        self.write('Unbound/__init__.py', 'def main(req, extra):\n    pass\n')
        self.write_json('Queue/function.json', {'bindings': http_json()['bindings'] + [
            {'type': 'queue', 'direction': 'out', 'name': 'msg'}]})
        self.write('Queue/__init__.py', 'def main(req, msg):\n    pass\n')
        self.write_json('BadJson/function.json', {})
        with open(os.path.join(self.app, 'BadJson', 'function.json'), 'w') as f:
            f.write('{"bindings": [')
        self.write('NotAFunction/readme.txt', 'no function.json here\n')

    def test_table_and_invocations(self):
        self.write_app()
        table = self.setup_app()
        self.assertEqual(sorted(self.table), ['BadJson', 'Broken', 'HttpA', 'HttpB', 'HttpC',
                                              'NoMain', 'Queue', 'Unbound'])
        self.assertEqual(self.entry(table, 'HttpA'), {
            'name': 'HttpA', 'route': 'things/{id:int}', 'methods': 'GET,POST',
            'auth_level': 'anonymous', 'is_async': False, 'error': None})
        self.assertEqual(self.entry(table, 'HttpB')['auth_level'], 'admin')
        self.assertEqual(self.entry(table, 'HttpC'), {
            'name': 'HttpC', 'route': 'HttpC', 'methods': '', 'auth_level': 'function',
            'is_async': False, 'error': None})
        self.assertEqual(self.call('HttpA', route_params={'id': 'abc'})[2], b'hi ABC X')
        self.assertEqual(self.call('HttpB', 'post')[::2], (201, b'HttpB POST'))
        self.assertEqual(self.call('HttpC'), (204, [], b''))
        self.assertIn('function Timer: no httpTrigger binding, not served', self.logs(logging.INFO))

    def test_load_errors(self):
        self.write_app()
        table = self.setup_app()
        broken = os.path.join(self.app, 'Broken', '__init__.py')
        self.assertEqual(self.entry(table, 'Broken')['error'],
                         f"{broken}: ModuleNotFoundError: No module named 'nope'")
        self.assertIn('FunctionLoadError: function main() is not present',
                      self.entry(table, 'NoMain')['error'])
        self.assertIn('declared in Python but not in the bindings: extra',
                      self.entry(table, 'Unbound')['error'])
        self.assertIn("binding 'msg' of type 'queue' is not supported",
                      self.entry(table, 'Queue')['error'])
        self.assertIn('function.json: JSONDecodeError:', self.entry(table, 'BadJson')['error'])
        errors = self.logs(logging.ERROR)
        self.assertEqual(len(errors), 5)
        self.assertTrue(any(e.startswith(f'cannot load function Broken: {broken}') and
                            'Traceback' in e for e in errors))
        _funcapp.records.clear()
        self.assertEqual(self.call('Broken', invocation_id='b1'), (500, [], b''))
        self.assertEqual(self.logs(), [f"Broken b1: function Broken unavailable: {broken}: "
                                       f"ModuleNotFoundError: No module named 'nope'"])

    def test_disabled_by_app_setting(self):
        self.write_json('Off/function.json', http_json())
        self.write('Off/__init__.py', 'def main(req):\n    pass\n')
        self.assertEqual(self.setup_app(settings={'AzureWebJobs.Off.Disabled': 'true'}), [])


class FunctionHandlerTest(LoaderTestCase):

    def test_handlers_without_app(self):
        elsewhere = os.path.join(self.app, 'elsewhere')
        path = self.write('tools.py', '''
            import sibling

            def handle(req):
                return sibling.VALUE + req.method

            async def other(context, request):
                return context.function_name + " " + request.url
            ''', root=elsewhere)
        self.write('sibling.py', 'VALUE = "sib-"\n', root=elsewhere)
        before = sys.path[:]
        table = self.setup_app(app_root=None, handlers=[
            ('/h/one', path, 'handle', 'get, post', None),
            ('h/two', path, 'other', None, 'anonymous'),
            ('h/missing', os.path.join(elsewhere, 'missing.py'), 'main', None, None),
            ('h/nocallable', path, 'absent', None, None),
        ])
        self.assertEqual(sys.path[:len(before)], before)
        self.assertEqual(table[:2], [
            {'name': 'tools', 'route': 'h/one', 'methods': 'GET,POST', 'auth_level': 'function',
             'is_async': False, 'error': None},
            {'name': 'tools', 'route': 'h/two', 'methods': '', 'auth_level': 'anonymous',
             'is_async': True, 'error': None}])
        self.assertIn('missing.py: FileNotFoundError', table[2]['error'])
        self.assertIn('function absent() is not present', table[3]['error'])
        self.assertEqual(loader.invoke(0, 'post', 'http://h/api/h/one', [], {}, b'', 'i')[2],
                         b'sib-POST')
        self.assertEqual(asyncio.run(loader.invoke_async(1, 'GET', 'http://h/api/h/two', [], {},
                                                         b'', 'i'))[2],
                         b'tools http://h/api/h/two')

    def test_handlers_follow_app_functions(self):
        self.write_json('F/function.json', http_json())
        self.write('F/__init__.py', 'def main(req):\n    return "f"\n')
        path = self.write('handlers/pkg/__init__.py', 'from .impl import main\n')
        self.write('handlers/pkg/impl.py', 'def main(*args, req, **kwargs):\n    return req.url\n')
        table = self.setup_app(handlers=[('p', path, 'main', 'GET', 'admin')])
        self.assertEqual([(e['name'], e['route'], e['methods'], e['auth_level'], e['error'])
                          for e in table],
                         [('F', 'F', '', 'function', None), ('pkg', 'p', 'GET', 'admin', None)])
        self.assertEqual(loader.invoke(1, 'GET', 'http://h/api/p', [], {}, b'', 'i')[2],
                         b'http://h/api/p')


class ReturnRulesTest(LoaderTestCase):

    def setUp(self):
        super().setUp()
        self.write('function_app.py', '''
            import http
            import azure.functions as func
            app = func.FunctionApp(http_auth_level="anonymous")

            @app.route()
            def response(req):
                return func.HttpResponse(b"\\x00\\x01", status_code=http.HTTPStatus.CREATED,
                                         headers={"X-A": "1"}, mimetype="application/json")

            @app.route()
            def latin(req):
                return func.HttpResponse("caf\\u00e9", charset="latin-1", mimetype="text/html")

            @app.route()
            def explicit_type(req):
                return func.HttpResponse("{}", headers=[("content-type", "application/x")])

            @app.route()
            def cookies(req):
                resp = func.HttpResponse("c", headers={"Set-Cookie": "a=1; Path=/"})
                resp.headers.add("Set-Cookie", "b=2; HttpOnly")
                resp.headers["X-Replaced"] = "old"
                resp.headers["x-replaced"] = "new"
                return resp

            @app.route()
            def text(req):
                return "caf\\u00e9"

            @app.route()
            def raw(req):
                return b"\\xff"

            @app.route()
            def nothing(req):
                pass

            @app.route()
            def a_dict(req):
                return {"a": 1}

            @app.route()
            def a_list(req):
                return [1]

            @app.route()
            def a_number(req):
                return 42

            @app.route()
            def bad_status(req):
                return func.HttpResponse("x", status_code=1000)

            @app.route()
            def boom(req):
                return 1 / 0

            @app.route()
            def exits(req):
                raise SystemExit(3)

            @app.route()
            async def aboom(req):
                raise KeyError("k")

            @app.route(binding_arg_name="res")
            def named_and_returned(req, res: func.Out[func.HttpResponse]):
                return "oops"

            @app.route(binding_arg_name="res")
            def named_str(req, res: func.Out[str]):
                res.set("set via out")
            ''')
        self.setup_app()

    def test_http_response(self):
        self.assertEqual(self.call('response'),
                         (201, [('X-A', '1'), ('Content-Type', 'application/json')], b'\x00\x01'))
        self.assertEqual(self.call('latin'),
                         (200, [('Content-Type', 'text/html; charset=latin-1')], b'caf\xe9'))
        self.assertEqual(self.call('explicit_type')[1], [('content-type', 'application/x')])

    def test_set_cookie_twice(self):
        self.assertEqual(self.call('cookies')[1], [
            ('Set-Cookie', 'a=1; Path=/'), ('Set-Cookie', 'b=2; HttpOnly'),
            ('x-replaced', 'new'), ('Content-Type', 'text/plain; charset=utf-8')])

    def test_plain_values(self):
        self.assertEqual(self.call('text'),
                         (200, [('Content-Type', 'text/plain; charset=utf-8')], 'café'.encode()))
        self.assertEqual(self.call('raw'),
                         (200, [('Content-Type', 'application/octet-stream')], b'\xff'))
        self.assertEqual(self.call('nothing'), (204, [], b''))
        self.assertEqual(self.call('named_str'),
                         (200, [('Content-Type', 'text/plain; charset=utf-8')], b'set via out'))

    def test_wrong_types_are_500_with_reason(self):
        for name, kind in (('a_dict', 'dict'), ('a_list', 'list'), ('a_number', 'int')):
            _funcapp.records.clear()
            self.assertEqual(self.call(name, invocation_id='w'), (500, [], b''))
            self.assertEqual(self.logs(logging.ERROR),
                             [f'{name} w: function returned {kind}; expected HttpResponse or str'])
        _funcapp.records.clear()
        self.assertEqual(self.call('bad_status')[0], 500)
        self.assertIn('invalid status_code 1000', self.logs(logging.ERROR)[0])
        _funcapp.records.clear()
        self.assertEqual(self.call('named_and_returned')[0], 500)
        self.assertIn("returned str but its http output is the 'res' argument",
                      self.logs(logging.ERROR)[0])

    def test_exceptions_are_500_and_the_worker_continues(self):
        self.assertEqual(self.call('boom', invocation_id='e1'), (500, [], b''))
        (error,) = self.logs(logging.ERROR)
        self.assertTrue(error.startswith('boom e1: function raised ZeroDivisionError\n'
                                         'boom e1: Traceback (most recent call last):\n'), error)
        self.assertTrue(all(line.startswith('boom e1: ') for line in error.split('\n')), error)
        self.assertIn('return 1 / 0', error)
        self.assertNotIn('_funcapp_loader', error)
        self.assertEqual(self.call('exits')[0], 500)
        self.assertEqual(self.call('aboom')[0], 500)
        self.assertEqual(self.call_async('aboom', invocation_id='e2')[0], 500)
        self.assertIn("aboom e2: function raised KeyError", self.logs(logging.ERROR)[-1])
        self.assertEqual(self.call('text')[0], 200)


class RequestTest(LoaderTestCase):

    def setUp(self):
        super().setUp()
        self.setup_app()
        self.func = sys.modules['azure.functions']

    def test_request_basics(self):
        req = self.func.HttpRequest(
            'post', 'http://h/api/x?a=1&a=2&b=&c=%C3%A9',
            headers=[('Content-Type', 'application/json'), ('X-Multi', '1'), ('x-multi', '2')],
            route_params={'id': '3'}, body=b'{"k": [1, 2]}')
        self.assertEqual(req.method, 'POST')
        self.assertEqual(req.url, 'http://h/api/x?a=1&a=2&b=&c=%C3%A9')
        self.assertEqual(req.headers['content-type'], 'application/json')
        self.assertEqual(req.headers['CONTENT-TYPE'], 'application/json')
        self.assertEqual(req.headers.get('x-multi'), '1, 2')
        self.assertIn('Content-Type', req.headers)
        self.assertNotIn('X-Missing', req.headers)
        with self.assertRaises(TypeError):
            req.headers['x'] = 'y'
        self.assertEqual(dict(req.params), {'a': '1,2', 'b': '', 'c': 'é'})
        self.assertEqual(req.route_params, {'id': '3'})
        self.assertEqual(req.get_body(), b'{"k": [1, 2]}')
        self.assertEqual(req.get_json(), {'k': [1, 2]})
        explicit = self.func.HttpRequest('GET', 'http://h/?a=1', params={'z': '9'}, body='é')
        self.assertEqual(dict(explicit.params), {'z': '9'})
        self.assertEqual(explicit.get_body(), 'é'.encode())
        for bad in (b'{nope', b'', b'\xff'):
            with self.assertRaises(ValueError):
                self.func.HttpRequest('GET', 'http://h/', body=bad).get_json()
        self.assertIsInstance(req, self.func.HttpRequest)

    def test_urlencoded_form(self):
        req = self.func.HttpRequest(
            'POST', 'http://h/', body=b'a=1&a=2&b=caf%C3%A9+x&e=&r=\xc3\xa9',
            headers={'Content-Type': 'application/x-www-form-urlencoded'})
        self.assertEqual(req.form['a'], '1')
        self.assertEqual(req.form.getlist('a'), ['1', '2'])
        self.assertEqual(req.form.to_dict(), {'a': '1', 'b': 'café x', 'e': '', 'r': 'é'})
        self.assertEqual(req.form.get('a', type=int), 1)
        self.assertEqual(len(req.files), 0)

    def test_multipart_form(self):
        body = (b'preamble\r\n--BOUND\r\n'
                b'Content-Disposition: form-data; name="title"\r\n\r\n'
                b'Hello caf\xc3\xa9\r\n'
                b'--BOUND\r\n'
                b'Content-Disposition: form-data; name="upload"; filename="a b.txt"\r\n'
                b'Content-Type: text/plain\r\n\r\n'
                b'line1\r\nline2\r\n'
                b'--BOUND\r\n'
                b'Content-Disposition: form-data; name="bin"; filename*=utf-8\'\'%C3%A9.bin\r\n'
                b'Content-Type: application/octet-stream\r\n\r\n'
                b'\x00\r\n\xff'
                b'\r\n--BOUND\r\n'
                b'Content-Disposition: form-data; name="empty"; filename=""\r\n\r\n'
                b'\r\n--BOUND--\r\nepilogue')
        req = self.func.HttpRequest('POST', 'http://h/', body=body, headers={
            'Content-Type': 'multipart/form-data; boundary="BOUND"'})
        self.assertEqual(req.form.to_dict(), {'title': 'Hello café'})
        upload = req.files['upload']
        self.assertEqual((upload.filename, upload.name, upload.content_type, upload.mimetype),
                         ('a b.txt', 'upload', 'text/plain', 'text/plain'))
        self.assertEqual(upload.read(), b'line1\r\nline2')
        self.assertEqual(upload.stream.getvalue(), b'line1\r\nline2')
        self.assertEqual((req.files['bin'].filename, req.files['bin'].read()),
                         ('é.bin', b'\x00\r\n\xff'))
        self.assertFalse(req.files['empty'])
        target = os.path.join(self.app, 'saved.txt')
        upload.save(target)
        with open(target, 'rb') as f:
            self.assertEqual(f.read(), b'line1\r\nline2')

    def test_malformed_forms_do_not_raise(self):
        for content_type, body in (('multipart/form-data', b'--x\r\n'),
                                   ('multipart/form-data; boundary=x', b'--x\r\nbroken'),
                                   ('multipart/form-data; boundary=x', b'no delimiter'),
                                   ('text/plain', b'a=1')):
            req = self.func.HttpRequest('POST', 'http://h/', body=body,
                                        headers={'content-type': content_type})
            self.assertEqual((len(req.form), len(req.files)), (0, 0), content_type)

    def test_response_object(self):
        resp = self.func.HttpResponse()
        self.assertEqual((resp.status_code, resp.mimetype, resp.charset, resp.get_body()),
                         (200, 'text/plain', 'utf-8', b''))
        resp = self.func.HttpResponse('é', status_code=http.HTTPStatus.NOT_FOUND,
                                      charset='latin-1', headers={'X-A': 1})
        self.assertEqual((resp.status_code, resp.get_body(), resp.headers['x-a']),
                         (404, b'\xe9', '1'))
        resp.headers.add('Set-Cookie', 'a=1')
        resp.headers.add_header('set-cookie', 'b=2')
        self.assertEqual(resp.headers.get_all('SET-COOKIE'), ['a=1', 'b=2'])
        self.assertEqual(resp.headers['Set-Cookie'], 'a=1')
        del resp.headers['set-cookie']
        self.assertNotIn('Set-Cookie', resp.headers)
        with self.assertRaises(KeyError):
            del resp.headers['set-cookie']
        with self.assertRaises(ValueError):
            resp.headers['X-Evil'] = 'a\r\nInjected: 1'
        with self.assertRaises(TypeError):
            self.func.HttpResponse(3.5)


class ContextTest(LoaderTestCase):

    def setUp(self):
        super().setUp()
        self.write_json('Ctx/function.json', http_json())
        self.write('Ctx/__init__.py', '''
            import json
            import azure.functions as func

            def main(req, context: func.Context):
                tc = context.trace_context
                return json.dumps({
                    'is_context': isinstance(context, func.Context),
                    'invocation_id': context.invocation_id,
                    'function_name': context.function_name,
                    'function_directory': context.function_directory,
                    'trace_parent': tc.trace_parent, 'trace_state': tc.trace_state,
                    'attributes': tc.attributes, 'retry_context': context.retry_context,
                    'tls': context.thread_local_storage.invocation_id})
            ''')
        self.setup_app()

    def test_fields(self):
        body = json.loads(self.call('Ctx', headers=[('TraceParent', TRACEPARENT),
                                                    ('tracestate', 'congo=t61')],
                                    invocation_id='abc-123')[2])
        self.assertEqual(body, {
            'is_context': True, 'invocation_id': 'abc-123', 'function_name': 'Ctx',
            'function_directory': os.path.join(self.app, 'Ctx'), 'trace_parent': TRACEPARENT,
            'trace_state': 'congo=t61', 'attributes': {}, 'retry_context': None,
            'tls': 'abc-123'})

    def test_trace_parent_generated_when_absent(self):
        body = json.loads(self.call('Ctx')[2])
        self.assertRegex(body['trace_parent'], r'^00-[0-9a-f]{32}-[0-9a-f]{16}-00$')
        self.assertEqual(body['trace_state'], '')


class LoggingTest(LoaderTestCase):

    def setUp(self):
        super().setUp()
        self.write('function_app.py', '''
            import asyncio
            import logging
            import sys
            import threading
            import time
            import azure.functions as func
            app = func.FunctionApp()

            @app.route()
            def chatty(req, context):
                logging.getLogger("user").info("hi %s", "there")
                print("printed")
                print()
                print("partial", end="")
                sys.stderr.write("err line\\n")
                logging.debug("debug line")

                def worker():
                    context.thread_local_storage.invocation_id = context.invocation_id
                    logging.warning("from a thread")
                thread = threading.Thread(target=worker)
                thread.start()
                thread.join()
                try:
                    {}["missing"]
                except KeyError:
                    logging.exception("handled")
                return "ok"

            @app.route()
            def slow_print(req, context):
                print("start-" + context.invocation_id, end="")
                time.sleep(0.05)
                print("-end")

            @app.route()
            async def async_log(req, context):
                await asyncio.sleep(0.01)
                logging.info("after await " + context.invocation_id)
            ''')

    def test_lines_carry_function_and_invocation(self):
        self.setup_app()
        logging.warning('outside')
        self.assertEqual(self.call('chatty', invocation_id='inv-7')[0], 200)
        records = _funcapp.records
        self.assertEqual(records[0], (logging.WARNING, 'outside'))
        self.assertIn((logging.INFO, 'chatty inv-7: hi there'), records)
        self.assertIn((logging.INFO, 'chatty inv-7: printed'), records)
        self.assertIn((logging.WARNING, 'chatty inv-7: err line'), records)
        self.assertIn((logging.DEBUG, 'chatty inv-7: debug line'), records)
        self.assertIn((logging.WARNING, 'chatty inv-7: from a thread'), records)
        self.assertEqual(records[-1], (logging.INFO, 'chatty inv-7: partial'))
        self.assertNotIn((logging.INFO, 'chatty inv-7: '), records)
        handled = [t for lvl, t in records if t.startswith('chatty inv-7: handled')]
        self.assertEqual(len(handled), 1)
        self.assertIn("KeyError: 'missing'", handled[0])

    def test_log_level_applies(self):
        self.setup_app(level=logging.WARNING)
        self.call('chatty', invocation_id='q')
        logs = self.logs()
        self.assertEqual(logs[:2], ['chatty q: err line', 'chatty q: from a thread'])
        self.assertTrue(logs[2].startswith('chatty q: handled\nchatty q: Traceback'))
        self.assertEqual(len(logs), 3)

    def test_concurrent_threads_keep_their_lines(self):
        self.setup_app()
        threads = [threading.Thread(target=self.call, args=('slow_print',),
                                    kwargs={'invocation_id': f't{i}'}) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(sorted(self.logs(logging.INFO)),
                         [f'slow_print t{i}: start-t{i}-end' for i in range(4)])

    def test_concurrent_tasks_keep_their_context(self):
        self.setup_app()

        async def main():
            return await asyncio.gather(*(loader.invoke_async(
                self.table['async_log'], 'GET', 'http://h/', [], {}, b'', f'a{i}')
                for i in range(5)))

        self.assertEqual([r[0] for r in asyncio.run(main())], [204] * 5)
        self.assertEqual(sorted(self.logs(logging.INFO)),
                         [f'async_log a{i}: after await a{i}' for i in range(5)])


class SetupTest(LoaderTestCase):

    def test_settings_and_sys_path(self):
        sys.path.append(self.app)
        self.setup_app(settings={'MY_SETTING': 'value', 'OTHER': 'x'})
        self.assertEqual(os.environ['MY_SETTING'], 'value')
        self.assertEqual(sys.path[:2], [self.app, os.path.join(
            self.app, '.python_packages', 'lib', 'site-packages')])
        self.assertEqual(sys.path.count(self.app), 1)
        self.assertIsInstance(sys.stdout, loader._LineLogger)

    def test_missing_app_root_never_raises(self):
        table = self.setup_app(app_root=os.path.join(self.app, 'gone'))
        self.assertEqual(len(table), 1)
        self.assertIn('FileNotFoundError', table[0]['error'])


if __name__ == '__main__':
    unittest.main()


class SignatureTest(unittest.TestCase):
    """The loader reads plain functions' parameters from their code object;
    it must agree with inspect on every shape of signature."""

    def test_agrees_with_inspect(self):
        import functools
        import inspect

        def plain(req, context): pass
        def defaults(req, context=None, *, out, flag=1): pass
        def varargs(req, *args, context, **kwargs): pass
        def posonly(a, /, req, *, k=2): pass
        async def coro(req): pass

        def deco(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                return fn(*args, **kwargs)
            return wrapper

        class Callable:
            def __call__(self, req, context=None): pass

            def method(self, req): pass

        kinds = {inspect.Parameter.POSITIONAL_ONLY: loader._POS_ONLY,
                 inspect.Parameter.POSITIONAL_OR_KEYWORD: loader._ARG,
                 inspect.Parameter.VAR_POSITIONAL: loader._VAR_POS,
                 inspect.Parameter.KEYWORD_ONLY: loader._KWONLY,
                 inspect.Parameter.VAR_KEYWORD: loader._VAR_KW}
        for fn in (plain, defaults, varargs, posonly, coro, deco(defaults),
                   deco(coro), Callable(), Callable().method,
                   functools.partial(defaults, out=1)):
            with self.subTest(fn=fn):
                expected = [(p.name, kinds[p.kind], p.default is not p.empty)
                            for p in inspect.signature(fn).parameters.values()]
                got = [(p.name, p.kind, p.has_default)
                       for p in loader._parameters(fn).values()]
                self.assertEqual(got, expected)
                self.assertEqual(loader._is_coroutine_function(fn),
                                 inspect.iscoroutinefunction(fn))


class FreshInterpreterTest(unittest.TestCase):
    """In a new interpreter, as in a worker: what setup() imports, and the
    logging handler arriving when the app first imports logging."""

    SCRIPT = textwrap.dedent('''
        import marshal, os, sys, types, importlib.util
        PYTHON_DIR, APP = sys.argv[1], sys.argv[2]
        sources = marshal.loads(sys.stdin.buffer.read())  # _embedded_sources(), sent
        records = []
        fake = types.ModuleType('_funcapp')
        fake.log = lambda levelno, text: records.append((levelno, text))
        fake.embedded = lambda name: (sources[name][0], None) if name in sources else None
        fake.source = lambda name: sources[name][1] if name in sources else None
        sys.modules['_funcapp'] = fake
        spec = importlib.util.spec_from_file_location(
            '_funcapp_loader', os.path.join(PYTHON_DIR, '_funcapp_loader.py'))
        loader = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loader)
        del sys.modules['importlib.util']  # the test's own use, not the loader's
        table = loader.setup(APP, [], {}, 20)
        heavy = sorted(m for m in ('logging', 'json', 're', 'typing', 'urllib.parse',
                                   'inspect', 'asyncio', 'pkgutil', 'importlib.util',
                                   'threading', 'traceback')
                       if m in sys.modules)
        status, headers, body = loader.invoke(0, 'GET', 'http://h/api/say', [], {}, b'', 'i-1')
        sys.__stdout__.write(repr((heavy, [e['name'] for e in table], status, body,
                                   records, 'logging' in sys.modules)))
    ''')

    def test_setup_imports_little_and_logging_arrives_with_the_app(self):
        import subprocess
        with tempfile.TemporaryDirectory() as app:
            with open(os.path.join(app, 'function_app.py'), 'w', encoding='utf-8') as f:
                f.write(textwrap.dedent('''
                    import azure.functions as func
                    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

                    @app.route(route='say')
                    def say(req):
                        import logging   # first imported here, at the first request
                        logging.getLogger('app').info('info line')
                        logging.debug('below the level')
                        print('printed')
                        return 'ok'
                '''))
            out = subprocess.run([sys.executable, '-I', '-c', self.SCRIPT, PYTHON_DIR, app],
                                 input=marshal.dumps(_SOURCES), capture_output=True,
                                 timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        heavy, names, status, body, records, has_logging = eval(out.stdout.decode())
        self.assertEqual(heavy, [], 'modules a worker should not import at start')
        self.assertEqual(names, ['say'])
        self.assertEqual((status, body), (200, b'ok'))
        self.assertEqual(records, [(20, 'say i-1: info line'), (20, 'say i-1: printed')])
        self.assertTrue(has_logging)
