# SPDX-License-Identifier: Apache-2.0
"""WsgiMiddleware, AsgiMiddleware, WsgiFunctionApp and AsgiFunctionApp of the
embedded azure.functions, with hand-written apps, Flask and FastAPI.

Flask and FastAPI are imported here, once: LoaderTestCase drops the modules
each test imports, and these must survive from test to test.
"""

import asyncio
import json
import logging
import sys
import threading
import types
import unittest
import warnings

import fastapi
import fastapi.responses
import flask
import pydantic
import starlette.responses

from support import LoaderTestCase, loader

from _funcapp_loader import functions

ALL_METHODS = 'GET,POST,DELETE,HEAD,PATCH,PUT,OPTIONS'
CONTEXT = types.SimpleNamespace(invocation_id='inv-42', function_name='http_app_func',
                                function_directory='/srv/app', trace_context=None,
                                retry_context=None, thread_local_storage=None)


# --- the apps ---------------------------------------------------------------

def flask_app() -> flask.Flask:
    app = flask.Flask('flask_test_app')

    @app.get('/api/items/<int:item_id>')
    def get_item(item_id):
        return {'id': item_id, 'q': flask.request.args.get('q'),
                'tags': flask.request.args.getlist('tag')}

    @app.post('/api/items')
    def create_item():
        item = flask.request.get_json()
        return item, 201, {'Location': f'/api/items/{item["id"]}'}

    @app.get('/api/cookies')
    def cookies():
        response = flask.make_response('two cookies')
        response.set_cookie('a', '1')
        response.set_cookie('b', '2', httponly=True)
        response.headers['X-Custom'] = 'yes'
        return response

    @app.post('/api/echo')
    def echo():
        return flask.Response(flask.request.get_data(), mimetype='application/octet-stream')

    @app.get('/api/boom')
    def boom():
        raise ZeroDivisionError('flask boom')

    return app


class Item(pydantic.BaseModel):
    name: str
    price: float


def fastapi_app() -> fastapi.FastAPI:
    app = fastapi.FastAPI()

    @app.get('/api/items/{item_id}')
    def get_item(item_id: int, q: str = None):
        return {'id': item_id, 'q': q}

    @app.post('/api/items', status_code=201)
    async def create_item(item: Item, response: fastapi.Response):
        response.headers['Location'] = '/api/items/7'
        return {'id': 7, 'name': item.name, 'price': item.price}

    @app.get('/api/cookies')
    def cookies(response: fastapi.Response):
        response.set_cookie('a', '1')
        response.set_cookie('b', '2', httponly=True)
        response.headers['X-Custom'] = 'yes'
        return 'two cookies'

    @app.post('/api/echo')
    async def echo(request: fastapi.Request):
        return fastapi.Response(await request.body(), media_type='application/octet-stream')

    @app.get('/api/stream')
    def stream():
        return starlette.responses.StreamingResponse(iter([b'one ', b'two ', b'three']))

    @app.get('/api/boom')
    async def boom():
        raise ZeroDivisionError('fastapi boom')

    return app


def capture_wsgi(seen: dict):
    def app(environ, start_response):
        seen.update(environ)
        seen['body'] = environ['wsgi.input'].read()
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'ok']
    return app


def capture_asgi(seen: dict):
    async def app(scope, receive, send):
        assert scope['type'] == 'http'  # no lifespan support
        seen['scope'] = scope
        seen['first'] = await receive()
        await send({'type': 'http.response.start', 'status': 200,
                    'headers': [(b'content-type', b'text/plain')]})
        await send({'type': 'http.response.body', 'body': b'o', 'more_body': True})
        await send({'type': 'http.response.body', 'body': b'k'})
        seen['after'] = await receive()
    return app


class GatewayTestCase(LoaderTestCase):
    """The embedded azure.functions imported as the worker imports it."""

    def setUp(self):
        super().setUp()
        self.setup_app(app_root=None)
        self.f = self.func()

    def request(self, method='GET', url='http://localhost/api/x', headers=(), body=b''):
        return self.f.HttpRequest(method, url, headers=list(headers), body=body)

    def wsgi(self, app, *args, **kwargs):
        return self.f.WsgiMiddleware(app).handle(self.request(*args, **kwargs), CONTEXT)

    def asgi(self, app, *args, **kwargs):
        middleware = self.f.AsgiMiddleware(app)
        return asyncio.run(middleware.handle_async(self.request(*args, **kwargs), CONTEXT))


# --- WSGI ---------------------------------------------------------------------

class WsgiMiddlewareTest(GatewayTestCase):

    def test_environ(self):
        seen = {}
        response = self.wsgi(capture_wsgi(seen), 'POST',
                             'http://example.com:8080/api/caf%C3%A9%20x/%2F?a=1&b=%20&a=2',
                             [('Content-Type', 'application/json'), ('X-Custom', 'v1'),
                              ('x-custom', 'v2'), ('X_Spoof', 'no'), ('Cookie', 'c=1')],
                             b'{"k": 1}')
        self.assertEqual(response.status_code, 200)
        self.assertEqual(seen['REQUEST_METHOD'], 'POST')
        self.assertEqual(seen['SCRIPT_NAME'], '')
        # PEP 3333: decoded bytes as Latin-1 code points; %2F decoded too.
        self.assertEqual(seen['PATH_INFO'], '/api/caf\xc3\xa9 x//')
        self.assertEqual(seen['QUERY_STRING'], 'a=1&b=%20&a=2')
        self.assertEqual(seen['CONTENT_TYPE'], 'application/json')
        self.assertEqual(seen['CONTENT_LENGTH'], '8')
        self.assertEqual(seen['body'], b'{"k": 1}')
        self.assertEqual(seen['HTTP_X_CUSTOM'], 'v1, v2')
        self.assertEqual(seen['HTTP_COOKIE'], 'c=1')
        self.assertNotIn('HTTP_CONTENT_TYPE', seen)
        self.assertNotIn('HTTP_X_SPOOF', seen)
        self.assertEqual((seen['SERVER_NAME'], seen['SERVER_PORT']), ('example.com', '8080'))
        self.assertEqual(seen['SERVER_PROTOCOL'], 'HTTP/1.1')
        self.assertEqual(seen['wsgi.url_scheme'], 'http')
        self.assertEqual(seen['wsgi.version'], (1, 0))
        self.assertIs(seen['wsgi.multithread'], True)
        self.assertIs(seen['wsgi.multiprocess'], True)
        self.assertIs(seen['wsgi.run_once'], False)
        self.assertEqual(seen['azure_functions.invocation_id'], 'inv-42')
        self.assertEqual(seen['azure_functions.function_directory'], '/srv/app')
        for key, value in seen.items():
            if isinstance(value, str):
                value.encode('latin-1')  # native strings only

    def test_environ_https_default_port_and_empty_body(self):
        seen = {}
        self.wsgi(capture_wsgi(seen), 'GET', 'https://Example.COM/api/x',
                  [('X-Name', 'caf\u00e9 \u20ac')])
        self.assertEqual((seen['SERVER_NAME'], seen['SERVER_PORT']), ('example.com', '443'))
        self.assertEqual(seen['wsgi.url_scheme'], 'https')
        self.assertEqual(seen['QUERY_STRING'], '')
        self.assertEqual(seen['CONTENT_LENGTH'], '0')
        self.assertNotIn('CONTENT_TYPE', seen)
        self.assertEqual(seen['body'], b'')
        # Text beyond Latin-1 (a hand-built request) arrives as its UTF-8 bytes.
        self.assertEqual(seen['HTTP_X_NAME'].encode('latin-1'), 'caf\u00e9 \u20ac'.encode('utf-8'))

    def test_response(self):
        closed = []

        class Body:
            def __iter__(self):
                yield b'iter'
                yield b''
                yield bytearray(b'able')

            def close(self):
                closed.append(True)

        def app(environ, start_response):
            write = start_response('201 Created', [
                ('Content-Type', 'application/octet-stream'), ('Set-Cookie', 'a=1'),
                ('Set-Cookie', 'b=2; HttpOnly'), ('Location', '/api/x/1')])
            write(b'\x00\xffwritten-')
            return Body()

        response = self.wsgi(app)
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.get_body(), b'\x00\xffwritten-iterable')
        self.assertEqual(response.headers.get_all('Set-Cookie'), ['a=1', 'b=2; HttpOnly'])
        self.assertEqual(response.headers['Location'], '/api/x/1')
        self.assertEqual(response.mimetype, 'application/octet-stream')
        self.assertEqual(closed, [True])

    def test_start_response_from_a_generator(self):
        def app(environ, start_response):
            start_response('404 Not Found', [])
            yield b'late'
        response = self.wsgi(lambda e, s: app(e, s))
        self.assertEqual((response.status_code, response.get_body()), (404, b'late'))

    def test_error_page_replaces_a_started_response(self):
        def app(environ, start_response):
            start_response('200 OK', [('X-First', '1')])
            try:
                raise KeyError('x')
            except KeyError:
                start_response('503 Service Unavailable', [('Retry-After', '5')], sys.exc_info())
            return [b'later']
        response = self.wsgi(app)
        self.assertEqual(response.status_code, 503)
        self.assertEqual(list(response.headers.items()), [('Retry-After', '5')])

    def test_app_errors(self):
        closed = []

        class Failing:
            def __iter__(self):
                raise ValueError('while iterating')
                yield b''

            def close(self):
                closed.append(True)

        def failing(environ, start_response):
            start_response('200 OK', [])
            return Failing()

        with self.assertRaisesRegex(ValueError, 'while iterating'):
            self.wsgi(failing)
        self.assertEqual(closed, [True], 'close() is called even when iteration fails')

        with self.assertRaisesRegex(RuntimeError, 'without calling start_response'):
            self.wsgi(lambda environ, start_response: [b'x'])

        def twice(environ, start_response):
            start_response('200 OK', [])
            start_response('200 OK', [])
            return []
        with self.assertRaises(AssertionError):
            self.wsgi(twice)

        for status in ('OK', 200, '2000 Long', '200OK'):
            with self.subTest(status=status), self.assertRaises(ValueError):
                self.wsgi(lambda e, s, status=status: s(status, []) and [])

        def text_body(environ, start_response):
            start_response('200 OK', [])
            return ['not bytes']
        with self.assertRaisesRegex(TypeError, 'must produce bytes'):
            self.wsgi(text_body)

    def test_wsgi_errors_go_to_the_log(self):
        def app(environ, start_response):
            errors = environ['wsgi.errors']
            errors.write('first line\nsecond ')
            errors.writelines(['line\n', 'unfinished'])
            start_response('200 OK', [])
            return []
        self.assertEqual(self.wsgi(app).status_code, 200)
        self.assertEqual(self.logs(logging.ERROR), ['first line', 'second line', 'unfinished'])

    def test_main_is_a_function_of_req_and_context(self):
        seen = {}
        main = self.f.WsgiMiddleware(capture_wsgi(seen)).main
        self.assertEqual(main(self.request(), CONTEXT).get_body(), b'ok')
        self.assertEqual(seen['azure_functions.function_name'], 'http_app_func')

    def test_flask(self):
        app = flask_app().wsgi_app
        response = self.wsgi(app, 'GET', 'http://localhost/api/items/42?q=x&tag=a&tag=b')
        self.assertEqual(response.status_code, 200)
        self.assertEqual(json.loads(response.get_body()), {'id': 42, 'q': 'x', 'tags': ['a', 'b']})
        self.assertEqual(response.mimetype, 'application/json')

        response = self.wsgi(app, 'POST', 'http://localhost/api/items',
                             [('Content-Type', 'application/json')], b'{"id": 7, "name": "n"}')
        self.assertEqual(response.status_code, 201)
        self.assertEqual(json.loads(response.get_body()), {'id': 7, 'name': 'n'})
        self.assertTrue(response.headers['Location'].endswith('/api/items/7'))

        response = self.wsgi(app, 'GET', 'http://localhost/api/cookies')
        self.assertEqual([c.split(';')[0] for c in response.headers.get_all('Set-Cookie')],
                         ['a=1', 'b=2'])
        self.assertEqual(response.headers['X-Custom'], 'yes')

        payload = bytes(range(256))
        response = self.wsgi(app, 'POST', 'http://localhost/api/echo',
                             [('Content-Type', 'application/octet-stream')], payload)
        self.assertEqual(response.get_body(), payload)

        self.assertEqual(self.wsgi(app, 'GET', 'http://localhost/items/42').status_code, 404,
                         'the app sees the full URL path, /api included')
        self.assertEqual(self.wsgi(app, 'PUT', 'http://localhost/api/items/42').status_code, 405)

        response = self.wsgi(app, 'GET', 'http://localhost/api/boom')
        self.assertEqual(response.status_code, 500, "Flask's own error page")
        self.assertTrue(any('flask boom' in line for line in self.logs(logging.ERROR)))


# --- ASGI ---------------------------------------------------------------------

class AsgiMiddlewareTest(GatewayTestCase):

    def test_scope_and_receive(self):
        seen = {}
        response = self.asgi(capture_asgi(seen), 'PUT',
                             'https://example.com/api/caf%C3%A9%20x?a=1&b=%20',
                             [('Content-Type', 'application/json'), ('X-Custom', 'v')],
                             b'{"k": 1}')
        self.assertEqual((response.status_code, response.get_body()), (200, b'ok'))
        scope = seen['scope']
        self.assertEqual(scope['type'], 'http')
        self.assertEqual(scope['asgi']['version'], '3.0')
        self.assertEqual(scope['http_version'], '1.1')
        self.assertEqual(scope['method'], 'PUT')
        self.assertEqual(scope['scheme'], 'https')
        self.assertEqual(scope['path'], '/api/caf\u00e9 x')
        self.assertEqual(scope['raw_path'], b'/api/caf%C3%A9%20x')
        self.assertEqual(scope['query_string'], b'a=1&b=%20')
        self.assertEqual(scope['root_path'], '')
        self.assertEqual(scope['headers'], [(b'content-type', b'application/json'),
                                            (b'x-custom', b'v')])
        self.assertEqual(scope['server'], ('example.com', 443))
        self.assertIsNone(scope['client'])
        self.assertEqual(scope['state'], {})
        self.assertEqual(scope['azure_functions.invocation_id'], 'inv-42')
        self.assertEqual(seen['first'], {'type': 'http.request', 'body': b'{"k": 1}',
                                         'more_body': False})
        self.assertEqual(seen['after'], {'type': 'http.disconnect'})

    def test_disconnect_only_after_the_response(self):
        order = []

        async def app(scope, receive, send):
            await receive()

            async def listen():
                order.append((await receive())['type'])

            listener = asyncio.ensure_future(listen())
            await send({'type': 'http.response.start', 'status': 200, 'headers': []})
            for part in (b'a', b'b'):
                await asyncio.sleep(0.01)
                order.append(part)
                await send({'type': 'http.response.body', 'body': part, 'more_body': True})
            await send({'type': 'http.response.body', 'body': b''})
            await listener

        self.assertEqual(self.asgi(app).get_body(), b'ab')
        self.assertEqual(order, [b'a', b'b', 'http.disconnect'])

    def test_response_headers_and_binary_body(self):
        async def app(scope, receive, send):
            await send({'type': 'http.response.start', 'status': 201, 'headers': [
                (b'content-type', b'application/octet-stream'), (b'set-cookie', b'a=1'),
                (b'set-cookie', b'b=2'), (b'x-latin', b'caf\xe9')]})
            await send({'type': 'http.response.body', 'body': b'\x00\xff'})
        response = self.asgi(app)
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.get_body(), b'\x00\xff')
        self.assertEqual(response.headers.get_all('set-cookie'), ['a=1', 'b=2'])
        self.assertEqual(response.headers['x-latin'], 'caf\u00e9')
        self.assertEqual(response.mimetype, 'application/octet-stream')

    def test_no_content_type_stays_without_one(self):
        async def app(scope, receive, send):
            await send({'type': 'http.response.start', 'status': 204})
            await send({'type': 'http.response.body'})
        response = self.asgi(app)
        self.assertEqual((response.status_code, response.mimetype), (204, ''))
        self.assertEqual(functions.http_result(response), (204, [], b''))

    def test_protocol_errors(self):
        async def body_first(scope, receive, send):
            await send({'type': 'http.response.body', 'body': b'x'})

        async def silent(scope, receive, send):
            pass

        async def unfinished(scope, receive, send):
            await send({'type': 'http.response.start', 'status': 200, 'headers': []})
            await send({'type': 'http.response.body', 'body': b'x', 'more_body': True})

        async def after_end(scope, receive, send):
            await send({'type': 'http.response.start', 'status': 200, 'headers': []})
            await send({'type': 'http.response.body', 'body': b'x'})
            await send({'type': 'http.response.body', 'body': b'y'})

        async def str_headers(scope, receive, send):
            await send({'type': 'http.response.start', 'status': 200, 'headers': [('a', 'b')]})

        for app, error in ((body_first, 'before'), (silent, 'without starting'),
                           (unfinished, 'before its response was complete'),
                           (after_end, 'after the response was complete'),
                           (str_headers, 'must be bytes')):
            with self.subTest(app=app.__name__), self.assertRaisesRegex(Exception, error):
                self.asgi(app)

    def test_handle_runs_a_loop_of_its_own(self):
        middleware = self.f.AsgiMiddleware(fastapi_app())
        results = []

        def in_thread():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter('always')
                results.append(middleware.handle(
                    self.request('GET', 'http://localhost/api/items/3?q=z')))
            results.append(caught[0].category)

        thread = threading.Thread(target=in_thread)
        thread.start()
        thread.join()
        response, category = results
        self.assertEqual(json.loads(response.get_body()), {'id': 3, 'q': 'z'})
        self.assertIs(category, DeprecationWarning)
        self.assertEqual(len([t for t in self.logs(logging.WARNING) if 'deprecated' in t]), 1)

    def test_fastapi(self):
        app = fastapi_app()
        response = self.asgi(app, 'GET', 'http://localhost/api/items/42?q=x')
        self.assertEqual(response.status_code, 200)
        self.assertEqual(json.loads(response.get_body()), {'id': 42, 'q': 'x'})
        self.assertEqual(response.mimetype, 'application/json')

        response = self.asgi(app, 'POST', 'http://localhost/api/items',
                             [('Content-Type', 'application/json')],
                             b'{"name": "pen", "price": 1.5}')
        self.assertEqual(response.status_code, 201)
        self.assertEqual(json.loads(response.get_body()), {'id': 7, 'name': 'pen', 'price': 1.5})
        self.assertEqual(response.headers['location'], '/api/items/7')

        response = self.asgi(app, 'GET', 'http://localhost/api/items/abc')
        self.assertEqual(response.status_code, 422)
        self.assertEqual(json.loads(response.get_body())['detail'][0]['loc'], ['path', 'item_id'])

        response = self.asgi(app, 'GET', 'http://localhost/api/cookies')
        self.assertEqual([c.split(';')[0] for c in response.headers.get_all('set-cookie')],
                         ['a=1', 'b=2'])
        self.assertEqual(response.headers['x-custom'], 'yes')

        payload = bytes(range(256))
        response = self.asgi(app, 'POST', 'http://localhost/api/echo', (), payload)
        self.assertEqual(response.get_body(), payload)

        self.assertEqual(self.asgi(app, 'GET', 'http://localhost/api/stream').get_body(),
                         b'one two three')
        self.assertEqual(self.asgi(app, 'GET', 'http://localhost/items/42').status_code, 404)
        self.assertEqual(self.asgi(app, 'DELETE', 'http://localhost/api/items/4').status_code,
                         405)
        # Starlette answers 500 and raises again; as with the real package,
        # the exception is the function's (a 500 with its traceback logged).
        with self.assertRaisesRegex(ZeroDivisionError, 'fastapi boom'):
            self.asgi(app, 'GET', 'http://localhost/api/boom')

    def test_lifespan(self):
        events = []
        app = fastapi_app()

        @app.on_event('startup')
        async def startup():
            await asyncio.sleep(0.05)
            events.append('startup')

        @app.on_event('shutdown')
        def shutdown():
            events.append('shutdown')

        middleware = self.f.AsgiMiddleware(app)

        async def scenario():
            started = await asyncio.gather(*[middleware.notify_startup() for _ in range(3)])
            response = await middleware.handle_async(self.request(
                'GET', 'http://localhost/api/items/1'))
            await middleware.notify_shutdown()
            return started, response.status_code

        self.assertEqual(asyncio.run(scenario()), ([True, True, True], 200))
        self.assertEqual(events, ['startup', 'shutdown'])

    def test_app_without_lifespan_support_is_served(self):
        middleware = self.f.AsgiMiddleware(capture_asgi({}))

        async def scenario():
            return await middleware.notify_startup(), await middleware.notify_startup()

        self.assertEqual(asyncio.run(scenario()), (True, True))
        self.assertEqual(self.logs(logging.ERROR), [])


# --- streamed responses (mod_funcapp's loader turns them on) --------------------

class StreamedGatewayTest(GatewayTestCase):

    def setUp(self):
        super().setUp()
        self.f.WsgiMiddleware  # imports the gateways (the package is lazy)
        gateway = sys.modules['azure.functions._http_gateway']
        # as in a worker, whose _funcapp has stream_begin
        gateway.STREAM_RESPONSES = True
        self.addCleanup(setattr, gateway, 'STREAM_RESPONSES', False)

    def test_wsgi_generator_streams_and_closes(self):
        closed = []

        def app(environ, start_response):
            def body():
                try:
                    start_response('200 OK', [('Content-Type', 'text/plain')])
                    yield b'a'
                    yield b''
                    yield b'b'
                finally:
                    closed.append('generator')
            return body()
        response = self.wsgi(app)
        self.assertEqual(response.get_body(), b'')
        chunks = response.body_iterator
        self.assertEqual(list(chunks), [b'a', b'', b'b'])
        chunks.close()
        self.assertEqual(closed, ['generator'])

        # closed unread (the client left before the head went out)
        self.wsgi(app).body_iterator.close()
        self.assertEqual(closed, ['generator'] * 2)

    def test_wsgi_lists_and_short_lengths_stay_whole(self):
        def listed(environ, start_response):
            start_response('200 OK', [])
            return [b'x', b'y']

        def sized(environ, start_response):
            start_response('200 OK', [('Content-Length', '2')])
            yield b'xy'
        for app in (listed, sized):
            response = self.wsgi(app)
            self.assertIsNone(response.body_iterator)
            self.assertEqual(response.get_body(), b'xy')

    def test_asgi_streams_from_more_body(self):
        async def app(scope, receive, send):
            await send({'type': 'http.response.start', 'status': 200, 'headers': []})
            for part in (b'1', b'2', b'3'):
                await send({'type': 'http.response.body', 'body': part, 'more_body': True})
            await send({'type': 'http.response.body', 'body': b''})

        async def scenario():
            response = await self.f.AsgiMiddleware(app).handle_async(self.request(), CONTEXT)
            return response.get_body(), [chunk async for chunk in response.body_iterator]
        self.assertEqual(asyncio.run(scenario()), (b'', [b'1', b'2', b'3', b'']))

    def test_asgi_client_gone_disconnects_and_cancels(self):
        seen = []

        async def app(scope, receive, send):
            await send({'type': 'http.response.start', 'status': 200, 'headers': []})
            await send({'type': 'http.response.body', 'body': b'first', 'more_body': True})
            seen.append((await receive())['type'])
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                seen.append('cancelled')
                raise

        async def scenario():
            response = await self.f.AsgiMiddleware(app).handle_async(self.request(), CONTEXT)
            chunks = response.body_iterator
            first = await chunks.__anext__()
            await asyncio.sleep(0.01)
            await chunks.aclose()
            return first
        self.assertEqual(asyncio.run(scenario()), b'first')
        self.assertEqual(seen, ['http.request', 'cancelled'])


# --- WsgiFunctionApp and AsgiFunctionApp through the loader ---------------------

class ExternalAppTest(LoaderTestCase):

    def write_app(self, body):
        self.write('function_app.py', 'import azure.functions as func\n'
                   'from test_wsgi_asgi import fastapi_app, flask_app\n' + body)

    def test_asgi_function_app(self):
        self.write_app('''
import asyncio, fastapi

api = fastapi_app()
started = []

@api.on_event('startup')
async def startup():
    await asyncio.sleep(0.05)
    started.append(1)

@api.get('/api/started')
def how_many():
    return len(started)

app = func.AsgiFunctionApp(app=api, http_auth_level=func.AuthLevel.ANONYMOUS)
''')
        table = self.setup_app()
        self.assertEqual(table, [{'name': 'http_app_func', 'trigger': 'httpTrigger',
                                  'route': '{*route}',
                                  'methods': ALL_METHODS, 'auth_level': 'anonymous',
                                  'is_async': True, 'error': None}])
        function_app = sys.modules['function_app'].app
        self.assertEqual(function_app.get_functions()[0].http_type, 'asgi')
        self.assertIsInstance(function_app, self.func().FunctionRegister)

        status, headers, body = self.call_async(
            'http_app_func', 'POST', 'http://localhost/api/items',
            [('Content-Type', 'application/json')], {'route': 'items'},
            b'{"name": "pen", "price": 2}')
        self.assertEqual(status, 201)
        self.assertIn(('location', '/api/items/7'), headers)
        self.assertEqual(json.loads(body), {'id': 7, 'name': 'pen', 'price': 2.0})

        _, headers, _ = self.call_async('http_app_func', url='http://localhost/api/cookies')
        self.assertEqual([v.split(';')[0] for k, v in headers if k == 'set-cookie'],
                         ['a=1', 'b=2'])

        async def burst():
            return await asyncio.gather(*[loader.invoke_async(
                self.table['http_app_func'], 'GET', 'http://localhost/api/started', [], {}, b'',
                f'inv-{i}') for i in range(5)])
        sys.modules['function_app'].started.clear()
        self.assertEqual([r[2] for r in asyncio.run(burst())], [b'1'] * 5,
                         'startup runs once, before the first requests of the loop')

        status, _, _ = self.call_async('http_app_func', url='http://localhost/api/boom')
        self.assertEqual(status, 500)
        self.assertTrue(any('ZeroDivisionError: fastapi boom' in line
                            for line in self.logs(logging.ERROR)))

    def test_asgi_startup_failure(self):
        self.write_app('''
attempts = []
api = fastapi_app()

@api.on_event('startup')
def startup():
    attempts.append(1)
    if len(attempts) == 1:
        raise ConnectionError('database not up yet')

app = func.AsgiFunctionApp(app=api, function_name='api')
''')
        table = self.setup_app()
        self.assertEqual((table[0]['name'], table[0]['auth_level']), ('api', 'function'))

        async def twice():
            first = await loader.invoke_async(0, 'GET', 'http://localhost/api/items/1', [], {},
                                              b'', 'inv-1')
            second = await loader.invoke_async(0, 'GET', 'http://localhost/api/items/1', [], {},
                                               b'', 'inv-2')
            return first[0], second[0]
        self.assertEqual(asyncio.run(twice()), (500, 200), 'a failed startup is tried again')
        errors = '\n'.join(self.logs(logging.ERROR))
        self.assertIn('database not up yet', errors)
        self.assertIn('ASGI middleware startup failed', errors)

    def test_wsgi_function_app(self):
        self.write_app('app = func.WsgiFunctionApp(app=flask_app().wsgi_app, '
                       'http_auth_level="ADMIN")\n')
        table = self.setup_app()
        self.assertEqual(table, [{'name': 'http_app_func', 'trigger': 'httpTrigger',
                                  'route': '{*route}',
                                  'methods': ALL_METHODS, 'auth_level': 'admin',
                                  'is_async': False, 'error': None}])
        self.assertEqual(sys.modules['function_app'].app.get_functions()[0].http_type, 'wsgi')
        status, headers, body = self.call('http_app_func', url='http://localhost/api/items/5?q=w',
                                          route_params={'route': 'items/5'})
        self.assertEqual((status, json.loads(body)), (200, {'id': 5, 'q': 'w', 'tags': []}))
        self.assertIn(('Content-Type', 'application/json'), headers)
        status, headers, body = self.call('http_app_func', url='http://localhost/api/cookies')
        self.assertEqual([v.split(';')[0] for k, v in headers if k == 'Set-Cookie'],
                         ['a=1', 'b=2'])

    def test_second_app_instance_is_refused(self):
        self.write_app('app = func.FunctionApp()\n'
                       'web = func.WsgiFunctionApp(app=flask_app().wsgi_app)\n')
        self.assertEqual(self.setup_app(), [])
        self.assertIn('ValueError: More than one FunctionApp or other top level function app '
                      'instances are defined.', self.logs(logging.ERROR)[0])

    def test_middleware_in_v1_functions(self):
        self.write('apps.py', 'from test_wsgi_asgi import fastapi_app, flask_app\n'
                   'asgi, wsgi = fastapi_app(), flask_app().wsgi_app\n')
        binding = {'bindings': [
            {'type': 'httpTrigger', 'direction': 'in', 'name': 'req', 'route': '{*route}'},
            {'type': 'http', 'direction': 'out', 'name': '$return'}]}
        self.write_json('Asgi/function.json', binding)
        self.write('Asgi/__init__.py', '''
            import azure.functions as func
            from apps import asgi

            async def main(req, context):
                return await func.AsgiMiddleware(asgi).handle_async(req, context)
        ''')
        self.write_json('Wsgi/function.json', binding)
        self.write('Wsgi/__init__.py', '''
            import azure.functions as func
            from apps import wsgi

            main = func.WsgiMiddleware(wsgi).main
        ''')
        self.setup_app()
        status, _, body = self.call_async('Asgi', url='http://localhost/api/items/8?q=v1')
        self.assertEqual((status, json.loads(body)), (200, {'id': 8, 'q': 'v1'}))
        status, _, body = self.call('Wsgi', url='http://localhost/api/items/9')
        self.assertEqual((status, json.loads(body)), (200, {'id': 9, 'q': None, 'tags': []}))


if __name__ == '__main__':
    unittest.main()
