# SPDX-License-Identifier: Apache-2.0
"""Indexing (_funcapp_loader.loader): v2 function_app.py, v1 folders with
function.json, FunctionHandler directives."""

import asyncio
import logging
import os
import sys
import unittest

from support import LoaderTestCase, funcapp, http_json, loader


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
            {'name': 'hello', 'trigger': 'httpTrigger',
             'route': 'hello/{name}', 'methods': 'GET,POST',
             'auth_level': 'anonymous', 'is_async': False, 'error': None},
            {'name': 'Named', 'trigger': 'httpTrigger',
             'route': 'Named', 'methods': '', 'auth_level': 'admin',
             'is_async': False, 'error': None},
            {'name': 'Reversed', 'trigger': 'httpTrigger',
             'route': 'rev', 'methods': 'PUT', 'auth_level': 'function',
             'is_async': False, 'error': None},
            {'name': 'named_out', 'trigger': 'httpTrigger',
             'route': 'named_out', 'methods': '', 'auth_level': 'anonymous',
             'is_async': False, 'error': None},
            {'name': 'nothing', 'trigger': 'httpTrigger',
             'route': 'nothing', 'methods': '', 'auth_level': 'anonymous',
             'is_async': False, 'error': None},
            {'name': 'bp_items', 'trigger': 'httpTrigger',
             'route': 'bp/items', 'methods': 'DELETE',
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
        self.assertEqual(self.call('nothing'), (500, [], b''))  # as on Azure
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
        self.assertEqual(table[0], {'name': 'function_app', 'trigger': 'httpTrigger',
                                    'route': '{*path}', 'methods': '',
                                    'auth_level': 'anonymous', 'is_async': False})
        self.assertTrue(error.startswith(os.path.join(self.app, 'function_app.py') +
                                         ': SyntaxError: '), error)
        self.assertNotIn('\n', error)
        self.assertEqual(len(self.logs(logging.ERROR)), 1)
        funcapp.records.clear()
        self.assertEqual(loader.invoke(0, 'GET', 'http://h/api/x', [], {}, b'', 'i9'),
                         (500, [], b''))
        self.assertEqual(self.logs(logging.ERROR),
                         [f'function_app i9: function function_app unavailable: {error}'])

    def test_function_app_without_app_instance(self):
        self.write('function_app.py', 'import azure.functions as func\n')
        table = self.setup_app()
        # Azure indexes nothing of such an app: no function, its URLs 404
        self.assertEqual(table, [])
        self.assertEqual(self.logs(logging.ERROR), [
            f'{self.app}/function_app.py: worker failed to index functions: ValueError: Could '
            f'not find top level function app instances in function_app.py. (no function of '
            f'this app is served)'])

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
        self.write('Timer/__init__.py', 'seen = []\n\ndef main(t):\n    seen.append(t)\n')
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
                                              'NoMain', 'Queue', 'Timer', 'Unbound'])
        self.assertEqual(self.entry(table, 'HttpA'), {
            'name': 'HttpA', 'trigger': 'httpTrigger',
            'route': 'things/{id:int}', 'methods': 'GET,POST',
            'auth_level': 'anonymous', 'is_async': False, 'error': None})
        self.assertEqual(self.entry(table, 'HttpB')['auth_level'], 'admin')
        self.assertEqual(self.entry(table, 'HttpC'), {
            'name': 'HttpC', 'trigger': 'httpTrigger',
            'route': 'HttpC', 'methods': '', 'auth_level': 'function',
            'is_async': False, 'error': None})
        self.assertEqual(self.call('HttpA', route_params={'id': 'abc'})[2], b'hi ABC X')
        self.assertEqual(self.call('HttpB', 'post')[::2], (201, b'HttpB POST'))
        self.assertEqual(self.call('HttpC'), (204, [], b''))
        # a timer: in the table with its settings, without route or key
        self.assertEqual(self.entry(table, 'Timer'), {
            'name': 'Timer', 'trigger': 'timerTrigger', 'route': None, 'methods': '',
            'auth_level': None, 'is_async': False, 'error': None, 'schedule': '0 * * * * *',
            'run_on_startup': False, 'use_monitor': None})
        tick = b'{"Schedule": {"AdjustForDST": true}, "IsPastDue": true, "ScheduleStatus": ' \
               b'{"Last": "2026-01-01T00:00:00+00:00", "Next": "2026-01-01T00:01:00+00:00"}}'
        self.assertEqual(self.call('Timer', 'TIMER', 'timer:Timer', body=tick), (204, [], b''))
        # by hand (the admin API): not past due
        self.assertEqual(self.call('Timer', 'POST', body=b'x')[0], 204)
        seen = sys.modules['__app__.Timer'].seen
        self.assertEqual([t.past_due for t in seen], [True, False])
        self.assertEqual(seen[0].schedule_status['Next'], '2026-01-01T00:01:00+00:00')
        self.assertEqual(seen[0].schedule, {'AdjustForDST': True})
        self.assertEqual(seen[1].schedule_status, {})
        self.assertNotIn('function Timer: no httpTrigger binding, not served',
                         self.logs(logging.INFO))

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
        funcapp.records.clear()
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
            {'name': 'tools', 'trigger': 'httpTrigger',
             'route': 'h/one', 'methods': 'GET,POST', 'auth_level': 'function',
             'is_async': False, 'error': None},
            {'name': 'tools', 'trigger': 'httpTrigger',
             'route': 'h/two', 'methods': '', 'auth_level': 'anonymous',
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


if __name__ == '__main__':
    unittest.main()
