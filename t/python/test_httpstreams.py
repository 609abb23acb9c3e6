# SPDX-License-Identifier: Apache-2.0
"""Azure's HTTP streams (azurefunctions.extensions.http.fastapi) through the
loader: which functions get a Starlette Request, what its scope holds, its
stream() over a streamed body, and Starlette responses answered as ASGI
apps, whole or streamed, from async and def functions."""

import asyncio
import json
import sys

from support import LoaderTestCase, loader
from test_body import DATA, FakeReader

APP = '''
import asyncio
import azure.functions as func
from azurefunctions.extensions.http.fastapi import (
    HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Request, Response,
    StreamingResponse)
app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
gone = []

@app.route(route='echo/{name}', methods=['GET', 'POST'])
async def echo(req: Request) -> JSONResponse:
    n = 0
    async for chunk in req.stream():
        n += len(chunk)
    return JSONResponse({
        'type': type(req).__module__, 'method': req.method, 'path': req.url.path,
        'query': dict(req.query_params), 'name': req.path_params.get('name'),
        'header': req.headers.get('x-thing'), 'client': req.client and req.client.host,
        'bytes': n}, status_code=201, headers={'X-Out': 'yes'})

@app.route(route='count')
async def count(req: Request) -> StreamingResponse:
    async def gen():
        try:
            for i in range(int(req.query_params.get('n', 3))):
                yield f'data: {i}\\n\\n'
                await asyncio.sleep(0)
            if req.query_params.get('forever'):
                while True:
                    yield 'tick\\n'
                    await asyncio.sleep(0.01)
        finally:
            gone.append('finally')
    return StreamingResponse(gen(), media_type='text/event-stream')

@app.route(route='sync')
def sync(req: Request) -> StreamingResponse:
    def gen():
        for i in range(3):
            yield f'line {i}\\n'
    return StreamingResponse(gen(), media_type='text/plain',
                             headers={'X-Path': req.url.path})

@app.route(route='sync_forever')
def sync_forever(req: Request) -> StreamingResponse:
    def ticks():
        try:
            while True:
                yield 'tick\\n'
        finally:
            gone.append('sync finally')
    return StreamingResponse(ticks())

@app.route(route='html')
def html(req: Request) -> HTMLResponse:
    return HTMLResponse('<p>hi</p>')

@app.route(route='redirect')
async def redirect(req: Request) -> RedirectResponse:
    return RedirectResponse('/elsewhere', status_code=307)

@app.route(route='plain')
def plain(req: func.HttpRequest) -> PlainTextResponse:
    return PlainTextResponse('from an HttpRequest', status_code=202)

@app.route(route='bare')
async def bare(req: Request) -> Response:
    return Response(b'\\x00\\x01')

@app.route(route='old')
async def old(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(type(req).__name__)
'''


class HttpStreamsTest(LoaderTestCase):

    def setUp(self):
        super().setUp()
        self.write('function_app.py', APP)
        self.functions = self.setup_app()

    def body(self, result):
        """The whole body of a result, pulling a streamed one."""
        if len(result) < 4:
            return result[2]
        return b''.join(result[3])

    def run_async(self, name, body=b'', **kw):
        async def scenario():
            result = await loader.invoke_async(
                self.table[name], kw.get('method', 'GET'),
                kw.get('url', f'http://example.com:8080/api/{name}'), kw.get('headers', []),
                kw.get('route_params', {}), body, 'inv')
            if len(result) < 4:
                return result, result[2]
            chunks = [chunk async for chunk in result[3]]
            await result[3].aclose()
            return result, b''.join(chunks)
        return asyncio.run(scenario())

    def test_functions_load(self):
        for entry in self.functions:
            self.assertIsNone(entry['error'], entry)

    def test_request_scope_and_json_response(self):
        result, body = self.run_async(
            'echo', b'abc', method='POST', url='http://example.com:8080/api/echo/x%20y?a=1&b=2',
            headers=[('X-Thing', 'v'), ('X-Forwarded-For', '10.1.2.3, 10.0.0.1')],
            route_params={'name': 'x y'})
        self.assertEqual(result[0], 201)
        self.assertIn(('x-out', 'yes'), result[1])
        self.assertIn(('content-type', 'application/json'), result[1])
        self.assertEqual(json.loads(body), {
            'type': 'starlette.requests', 'method': 'POST', 'path': '/api/echo/x y',
            'query': {'a': '1', 'b': '2'}, 'name': 'x y', 'header': 'v',
            'client': '10.1.2.3', 'bytes': 3})

    def test_stream_reads_a_streamed_body_in_pieces(self):
        raw = FakeReader(DATA[10:], 5000)
        self.addCleanup(raw.close)
        _, body = self.run_async('echo', (DATA[:10], raw), method='POST')
        self.assertEqual(json.loads(body)['bytes'], len(DATA))
        self.assertGreater(raw.reads, len(DATA) // 5000)

    def test_streaming_response_streams(self):
        result, body = self.run_async('count', url='http://h/api/count?n=4')
        self.assertEqual(len(result), 4, 'a streamed result')
        self.assertIn(('content-type', 'text/event-stream; charset=utf-8'), result[1])
        self.assertEqual(body, b''.join(b'data: %d\n\n' % i for i in range(4)))

    def test_client_gone_cancels_the_stream(self):
        module = sys.modules['function_app']

        async def scenario():
            result = await loader.invoke_async(self.table['count'], 'GET',
                                               'http://h/api/count?n=1&forever=1', [], {},
                                               b'', 'inv')
            chunks = result[3]
            got = [await chunks.__anext__() for _ in range(3)]
            await chunks.aclose()
            await asyncio.sleep(0.05)
            return got
        self.assertEqual(asyncio.run(scenario())[0], b'data: 0\n\n')
        self.assertEqual(module.gone, ['finally'])

    def test_def_function_streams_on_its_thread(self):
        result = loader.invoke(self.table['sync'], 'GET', 'http://h/api/sync', [], {}, b'',
                               'inv')
        self.assertEqual(len(result), 4)
        self.assertIn(('x-path', '/api/sync'), result[1])
        chunks = result[3]
        self.assertEqual(b''.join(chunks), b'line 0\nline 1\nline 2\n')
        chunks.close()

    def test_def_function_stream_closed_unread(self):
        result = loader.invoke(self.table['sync'], 'GET', 'http://h/api/sync', [], {}, b'',
                               'inv')
        result[3].close()  # the client left before the head went out: no hang, no leak

    def test_def_function_client_gone_closes_its_generator(self):
        result = loader.invoke(self.table['sync_forever'], 'GET', 'http://h/api/sync_forever',
                               [], {}, b'', 'inv')
        chunks = iter(result[3])
        self.assertEqual([next(chunks), next(chunks)], [b'tick\n', b'tick\n'])
        result[3].close()
        self.assertEqual(sys.modules['function_app'].gone, ['sync finally'])

    def test_whole_responses(self):
        result = loader.invoke(self.table['html'], 'GET', 'http://h/api/html', [], {}, b'',
                               'inv')
        self.assertEqual((result[0], result[2]), (200, b'<p>hi</p>'))
        self.assertIn(('content-type', 'text/html; charset=utf-8'), result[1])
        result, _ = self.run_async('redirect')
        self.assertEqual(result[0], 307)
        self.assertIn(('location', '/elsewhere'), result[1])
        result, body = self.run_async('bare')
        self.assertEqual((result[0], body), (200, b'\x00\x01'))
        self.assertFalse(any(k == 'content-type' for k, _ in result[1]))

    def test_response_from_an_http_request_function(self):
        result = loader.invoke(self.table['plain'], 'GET', 'http://h/api/plain', [], {}, b'',
                               'inv')
        self.assertEqual((result[0], result[2]), (202, b'from an HttpRequest'))

    def test_plain_functions_unchanged(self):
        _, body = self.run_async('old')
        self.assertEqual(body, b'HttpRequest')


class RequestTypeTest(LoaderTestCase):

    def test_annotations(self):
        from _funcapp_loader.httpstreams import request_type
        import starlette.requests

        class Tracked:  # the extension's early stand-in
            request_type = starlette.requests.Request

        def stringly(req: 'starlette.requests.Request'):
            pass

        def unknown(req: 'NoSuchName'):  # noqa: F821
            pass

        def plain(req):
            pass

        def tracked(req: Tracked):
            pass
        stringly.__globals__['starlette'] = starlette
        self.assertIs(request_type(stringly, 'req'), starlette.requests.Request)
        self.assertIs(request_type(tracked, 'req'), starlette.requests.Request)
        self.assertIsNone(request_type(unknown, 'req'))
        self.assertIsNone(request_type(plain, 'req'))

    def test_the_embedded_extension_names_fastapi_types(self):
        import fastapi
        import fastapi.responses
        from azurefunctions.extensions.http import fastapi as ext
        self.assertIs(ext.Request, fastapi.Request)
        self.assertIs(ext.StreamingResponse, fastapi.responses.StreamingResponse)
        self.assertIn('mod_funcapp', ext.__version__)
