# SPDX-License-Identifier: Apache-2.0
"""The entry points (_funcapp_loader.dispatcher): setup(), and what a
fresh interpreter imports, as in a worker."""

import marshal
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

import stub
from support import LoaderTestCase, bridge


class SetupTest(LoaderTestCase):

    def test_settings_and_sys_path(self):
        sys.path.append(self.app)
        self.setup_app(settings={'MY_SETTING': 'value', 'OTHER': 'x'})
        self.assertEqual(os.environ['MY_SETTING'], 'value')
        self.assertEqual(sys.path[:2], [self.app, os.path.join(
            self.app, '.python_packages', 'lib', 'site-packages')])
        self.assertEqual(sys.path.count(self.app), 1)
        self.assertIsInstance(sys.stdout, bridge.LineLogger)

    def test_missing_app_root_never_raises(self):
        table = self.setup_app(app_root=os.path.join(self.app, 'gone'))
        self.assertEqual(len(table), 1)
        self.assertIn('FileNotFoundError', table[0]['error'])


def run_fresh(script: str, app_source: str) -> object:
    """Runs `script` in a new interpreter, as a worker, over an app whose
    function_app.py is `app_source`: the loader started from the embedded
    bytecode (stub.start_loader) as `fake`, argv[1] the app; returns what
    the script wrote to stdout, evaluated."""
    prologue = textwrap.dedent('''
        import marshal, sys
        sys.path.insert(0, sys.argv[2])
        import stub
        fake = stub.start_loader(marshal.loads(sys.stdin.buffer.read()))
        import _funcapp_loader as loader
        APP = sys.argv[1]
    ''')
    with tempfile.TemporaryDirectory() as app:
        with open(os.path.join(app, 'function_app.py'), 'w', encoding='utf-8') as f:
            f.write(textwrap.dedent(app_source))
        out = subprocess.run([sys.executable, '-I', '-c', prologue + textwrap.dedent(script),
                              app, stub.T_PYTHON_DIR],
                             input=marshal.dumps(stub.embedded_sources(compiled=True)),
                             capture_output=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError(out.stderr.decode())
    return eval(out.stdout.decode())


class FreshInterpreterTest(unittest.TestCase):
    """In a new interpreter, as in a worker: what setup() imports, and the
    logging handler arriving when the app first imports logging."""

    SCRIPT = '''
        table = loader.setup(APP, [], {}, 20)
        heavy = sorted(m for m in ('logging', 'json', 're', 'typing', 'urllib.parse',
                                   'inspect', 'asyncio', 'pkgutil', 'importlib.util',
                                   'threading', 'traceback', 'importlib', 'warnings')
                       if m in sys.modules)
        status, headers, body = loader.invoke(0, 'GET', 'http://h/api/say', [], {}, b'', 'i-1')
        sys.__stdout__.write(repr((heavy, [e['name'] for e in table], status, body,
                                   fake.records, 'logging' in sys.modules)))
    '''

    def test_setup_imports_little_and_logging_arrives_with_the_app(self):
        heavy, names, status, body, records, has_logging = run_fresh(self.SCRIPT, '''
            import azure.functions as func
            app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

            @app.route(route='say')
            def say(req):
                import logging   # first imported here, at the first request
                logging.getLogger('app').info('info line')
                logging.debug('below the level')
                print('printed')
                return 'ok'
        ''')
        self.assertEqual(heavy, [], 'modules a worker should not import at start')
        self.assertEqual(names, ['say'])
        self.assertEqual((status, body), (200, b'ok'))
        self.assertEqual(records, [(20, 'say i-1: info line'), (20, 'say i-1: printed')])
        self.assertTrue(has_logging)


class EventLoopTest(unittest.TestCase):
    """start_event_loop(): requests taken from the C side when woken, each
    answered through respond(), cancellations honoured."""

    SCRIPT = '''
        import os, threading
        loader.setup(APP, [], {}, 20)
        wake_r, wake_w = os.pipe()
        answered = threading.Semaphore(0)

        def take():   # as the C take() does, empties the wake pipe first
            os.read(wake_r, 256)
            items, fake.queue[:] = fake.queue[:], []
            return items

        def respond(token, invocation_id, result):
            fake.responses.append((token, invocation_id, result))
            answered.release()

        def send(*items):
            fake.queue.extend(items)
            os.write(wake_w, b'x')

        fake.take, fake.respond = take, respond
        loader.start_event_loop(wake_r)
        send(('run', 1, (0, 'GET', 'http://h/api/slow', [], {}, b'', 'i-1')),
             ('run', 2, (1, 'GET', 'http://h/api/fast', [], {}, b'', 'i-2')),
             ('run', 3, (7, 'GET', 'http://h/api/none', [], {}, b'', 'i-3')))
        answered.acquire(timeout=10)
        answered.acquire(timeout=10)
        send(('cancel', 1), ('cancel', 99))
        answered.acquire(timeout=10)
        sys.__stdout__.write(repr((fake.responses, fake.records)))
    '''

    def test_run_answer_and_cancel(self):
        responses, records = run_fresh(self.SCRIPT, '''
            import asyncio
            import azure.functions as func
            app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

            @app.route(route='slow')
            async def slow(req):
                await asyncio.sleep(60)

            @app.route(route='fast')
            def fast(req):
                return 'fast'
        ''')
        self.assertEqual(sorted(responses[:2]), [
            (2, 'i-2', (200, [('Content-Type', 'text/plain; charset=utf-8')], b'fast')),
            (3, 'i-3', (500, [], b''))])
        self.assertEqual(responses[2], (1, 'i-1', None))
        self.assertEqual(records, [
            (40, "mod_funcapp: invoke_async failed: IndexError('list index out of range')"),
            (20, 'slow i-1: cancelled: the client went away')])


class StreamResultTest(LoaderTestCase):
    """A generator body becomes a fourth result item: non-empty bytes for
    the C side, the function's exception logged and turned into Aborted,
    the function's generator closed when the stream stops."""

    def setUp(self):
        super().setUp()
        self.write('function_app.py', '''
            import azure.functions as func
            app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
            events = []

            @app.route(route="gen")
            def gen(req):
                def body():
                    try:
                        yield "caf\\u00e9"
                        yield b""
                        yield b"x"
                        if req.params.get("fail"):
                            raise ValueError("mid-stream")
                        yield bytearray(b"y")
                    finally:
                        events.append("closed")
                return func.HttpResponse(body(), charset="latin-1")

            @app.route(route="agen")
            async def agen(req):
                async def body():
                    yield "a"
                    yield b"b"
                return func.HttpResponse(body())
        ''')
        self.setup_app()
        self.events = sys.modules['function_app'].events

    def test_sync_chunks(self):
        status, headers, body, chunks = self.call('gen')
        self.assertEqual((status, body), (200, b''))
        self.assertIn(('Content-Type', 'text/plain; charset=latin-1'), headers)
        self.assertEqual(list(chunks), [b'caf\xe9', b'x', b'y'])
        chunks.close()
        self.assertEqual(self.events, ['closed'])

    def test_sync_stopped_early_and_failing(self):
        chunks = self.call('gen')[3]
        self.assertEqual(next(chunks), b'caf\xe9')
        chunks.close()  # the client went away
        self.assertEqual(self.events, ['closed'])
        chunks = self.call('gen', url='http://localhost/api/gen?fail=1')[3]
        with self.assertRaises(Exception) as caught:
            list(chunks)
        self.assertEqual(type(caught.exception).__name__, 'Aborted')
        self.assertTrue(any('ValueError: mid-stream' in line for line in self.logs()))

    def test_async_function_chunks(self):
        import asyncio

        async def scenario():
            from _funcapp_loader import dispatcher
            result = await dispatcher.invoke_async(self.table['agen'], 'GET',
                                                   'http://localhost/api/agen', [], {}, b'',
                                                   'inv-2')
            return [chunk async for chunk in result[3]]
        self.assertEqual(asyncio.run(scenario()), [b'a', b'b'])
