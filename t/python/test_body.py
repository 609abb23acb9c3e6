# SPDX-License-Identifier: Apache-2.0
"""Streamed request bodies on the Python side: the loader's RequestBody
over a stand-in for _funcapp.BodyReader, HttpRequest's lazy get_body(),
wsgi.input and ASGI receive() reading it as it arrives, and the dispatcher
reading it first for async functions."""

import asyncio
import hashlib
import os
import unittest

from support import LoaderTestCase, loader

from _funcapp_loader.body import RequestBody, RequestBodyAborted

DATA = b''.join(b'line %d\n' % i for i in range(20000))


class FakeReader:
    """_funcapp.BodyReader as the C side behaves: at most `step` bytes a
    read; read_nowait says None every other call (nothing there yet), and
    the pipe it hands out as fileno() is always readable; `abort_at` makes
    reads past that offset raise as a cut stream does."""

    def __init__(self, data, step=1000, abort_at=None):
        self.data, self.pos, self.step, self.abort_at = data, 0, step, abort_at
        self.reads = 0
        self._empty = False
        self._r, w = os.pipe()
        os.write(w, b'x')
        os.close(w)

    def close(self):
        os.close(self._r)

    def read(self, n=-1):
        if self.abort_at is not None and self.pos >= self.abort_at:
            raise ConnectionAbortedError('the request body was cut short')
        n = self.step if n < 0 else min(n, self.step)
        out = self.data[self.pos:self.pos + n]
        self.pos += len(out)
        self.reads += 1
        return out

    def read_nowait(self, n=-1):
        self._empty = not self._empty
        return None if self._empty else self.read(n)

    def fileno(self):
        return self._r


class RequestBodyTest(unittest.TestCase):

    def body(self, step=1000, first=10, **kw):
        raw = FakeReader(DATA[first:], step, **kw)
        self.addCleanup(raw.close)
        return RequestBody(DATA[:first], raw), raw

    def test_read_all_and_in_pieces(self):
        for step in (1, 999, 300000):
            stream, _ = self.body(step)
            self.assertEqual(stream.read(), DATA)
            self.assertTrue(stream.complete)
            self.assertEqual(stream.read(), b'')
            stream, _ = self.body(step)
            pieces = iter(lambda: stream.read(4096), b'')
            self.assertEqual(b''.join(pieces), DATA)

    def test_nothing_read_before_asked(self):
        stream, raw = self.body()
        self.assertEqual(raw.reads, 0)
        self.assertEqual(stream.read(5), DATA[:5])
        self.assertEqual(raw.reads, 0)  # the first part had them
        self.assertEqual(stream.read1(), DATA[5:10])
        self.assertEqual(len(stream.read1()), 1000)
        self.assertEqual(raw.reads, 1)

    def test_lines(self):
        stream, _ = self.body(step=7)
        lines = list(stream)
        self.assertEqual(lines, DATA.splitlines(keepends=True))
        stream, _ = self.body(step=7)
        self.assertEqual(stream.readline(3), b'lin')
        self.assertEqual(stream.readline(), b'e 0\n')
        self.assertEqual(stream.readlines(10), [b'line 1\n', b'line 2\n'])
        self.assertEqual(b''.join(stream.chunks()), DATA[len(b'line 0\nline 1\nline 2\n'):])

    def test_async(self):
        async def read_all():
            stream, _ = self.body(step=333)
            return await stream.aread()

        async def read_pieces():
            stream, _ = self.body(step=333)
            return [piece async for piece in stream]

        async def read_sized():
            stream, _ = self.body(step=333)
            return await stream.aread(5000), await stream.aread1(10)

        self.assertEqual(asyncio.run(read_all()), DATA)
        pieces = asyncio.run(read_pieces())
        self.assertEqual(b''.join(pieces), DATA)
        self.assertLessEqual(max(len(p) for p in pieces[1:]), 333)
        first, then = asyncio.run(read_sized())
        self.assertEqual(first, DATA[:5000])
        # what is there already, without waiting for more
        self.assertTrue(then and DATA[5000:5010].startswith(then))

    def test_aborted(self):
        stream, _ = self.body(abort_at=5000)
        with self.assertRaises(RequestBodyAborted):
            stream.read()
        self.assertTrue(issubclass(RequestBodyAborted, ConnectionAbortedError))


class StreamingInterfacesTest(LoaderTestCase):

    def setUp(self):
        super().setUp()
        self.setup_app(app_root=None)
        self.f = self.func()

    def streamed_request(self, headers=(), step=4096):
        raw = FakeReader(DATA[100:], step)
        self.addCleanup(raw.close)
        return self.f.HttpRequest('POST', 'http://h/api/x', headers=list(headers),
                                  body=RequestBody(DATA[:100], raw)), raw

    def test_get_body_reads_it_all_once(self):
        req, raw = self.streamed_request()
        from azure.functions._http import request_body_stream
        self.assertIsNotNone(request_body_stream(req))
        self.assertEqual(raw.reads, 0)
        self.assertEqual(req.get_body(), DATA)
        self.assertEqual(req.get_body(), DATA)
        self.assertIsNone(request_body_stream(req))

    def test_get_body_after_streaming_raises(self):
        req, _ = self.streamed_request()
        from azure.functions._http import request_body_stream
        request_body_stream(req).read(10)
        with self.assertRaises(RuntimeError):
            req.get_body()

    def test_plain_bytes_have_no_stream(self):
        from azure.functions._http import request_body_stream
        req = self.f.HttpRequest('POST', 'http://h/', body=b'abc')
        self.assertIsNone(request_body_stream(req))

    def test_wsgi_input_reads_as_it_arrives(self):
        seen = {}

        def app(environ, start_response):
            stream = environ['wsgi.input']
            seen['first_line'] = stream.readline()
            seen['rest'] = stream.read()
            seen['length'] = environ.get('CONTENT_LENGTH')
            start_response('200 OK', [])
            return [b'ok']

        req, _ = self.streamed_request()
        self.f.WsgiMiddleware(app).handle(req)
        self.assertEqual(seen['first_line'] + seen['rest'], DATA)
        self.assertIsNone(seen['length'])  # chunked: absent
        req, _ = self.streamed_request([('Content-Length', str(len(DATA)))])
        self.f.WsgiMiddleware(app).handle(req)
        self.assertEqual(seen['length'], str(len(DATA)))

    def test_asgi_receive_gives_successive_messages(self):
        messages = []

        async def app(scope, receive, send):
            while True:
                message = await receive()
                messages.append(message)
                if not message['more_body']:
                    break
            await send({'type': 'http.response.start', 'status': 200, 'headers': []})
            await send({'type': 'http.response.body', 'body': b'ok'})

        req, _ = self.streamed_request(step=30000)
        response = asyncio.run(self.f.AsgiMiddleware(app).handle_async(req))
        self.assertEqual(response.status_code, 200)
        self.assertGreater(len(messages), 3)
        self.assertTrue(all(m['type'] == 'http.request' for m in messages))
        self.assertTrue(all(m['more_body'] for m in messages[:-1]))
        self.assertEqual(b''.join(m['body'] for m in messages), DATA)


class DispatcherTest(LoaderTestCase):

    def test_async_functions_get_their_body_read_first(self):
        self.write('function_app.py', '''
            import hashlib
            import azure.functions as func
            from azure.functions._http import request_body_stream
            app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

            @app.route(route='whole')
            async def whole(req):
                return f'{request_body_stream(req) is None} {len(req.get_body())}'

            async def pieces(req):
                n = 0
                async for piece in request_body_stream(req):
                    n += len(piece)
                return f'streamed {n}'
            pieces.funcapp_streams_body = True
            app.route(route='pieces')(pieces)

            @app.route(route='sync')
            def sync(req):
                return hashlib.sha256(req.get_body()).hexdigest()
            ''')
        table = self.setup_app()
        index = {entry['name']: i for i, entry in enumerate(table)}

        def call(name):
            raw = FakeReader(DATA[10:], 5000)
            self.addCleanup(raw.close)
            args = (index[name], 'POST', 'http://h/api/x', [], {}, (DATA[:10], raw), 'inv')
            fn = table[index[name]]
            if fn['is_async']:
                return asyncio.run(loader.invoke_async(*args))
            return loader.invoke(*args)

        self.assertEqual(call('whole')[2], f'True {len(DATA)}'.encode())
        self.assertEqual(call('pieces')[2], f'streamed {len(DATA)}'.encode())
        self.assertEqual(call('sync')[2], hashlib.sha256(DATA).hexdigest().encode())


if __name__ == '__main__':
    unittest.main()
