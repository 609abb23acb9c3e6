# SPDX-License-Identifier: Apache-2.0
"""The function model (_funcapp_loader.functions): return rules and
parameters read without inspect."""

import logging
import unittest

from support import LoaderTestCase, funcapp

from _funcapp_loader import functions


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
        self.assertEqual(self.call('named_str'),
                         (200, [('Content-Type', 'text/plain; charset=utf-8')], b'set via out'))

    def test_wrong_types_are_500_with_reason(self):
        # As the Azure worker: its http converter takes HttpResponse or str,
        # nothing else (not even None or bytes).
        for name, kind in (('a_dict', 'dict'), ('a_list', 'list'), ('a_number', 'int'),
                           ('raw', 'bytes'), ('nothing', 'NoneType')):
            funcapp.records.clear()
            self.assertEqual(self.call(name, invocation_id='w'), (500, [], b''))
            self.assertEqual(self.logs(logging.ERROR), [
                f'{name} w: unable to encode outgoing TypedData: unsupported type "http" '
                f'for Python type "{kind}" (expected HttpResponse or str)'])
        funcapp.records.clear()
        self.assertEqual(self.call('bad_status')[0], 500)
        self.assertIn('invalid status_code 1000', self.logs(logging.ERROR)[0])
        funcapp.records.clear()
        self.assertEqual(self.call('named_and_returned')[0], 500)
        self.assertIn("without a $return binding returned a non-None value (str)",
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

        kinds = {inspect.Parameter.POSITIONAL_ONLY: functions._POS_ONLY,
                 inspect.Parameter.POSITIONAL_OR_KEYWORD: functions._ARG,
                 inspect.Parameter.VAR_POSITIONAL: functions._VAR_POS,
                 inspect.Parameter.KEYWORD_ONLY: functions._KWONLY,
                 inspect.Parameter.VAR_KEYWORD: functions._VAR_KW}
        for fn in (plain, defaults, varargs, posonly, coro, deco(defaults),
                   deco(coro), Callable(), Callable().method,
                   functools.partial(defaults, out=1)):
            with self.subTest(fn=fn):
                expected = [(p.name, kinds[p.kind], p.default is not p.empty)
                            for p in inspect.signature(fn).parameters.values()]
                got = [(p.name, p.kind, p.has_default)
                       for p in functions._parameters(fn).values()]
                self.assertEqual(got, expected)
                self.assertEqual(functions._is_coroutine_function(fn),
                                 inspect.iscoroutinefunction(fn))


if __name__ == '__main__':
    unittest.main()
