# SPDX-License-Identifier: Apache-2.0
"""The worker's Python shutdown (_funcapp_loader.shutdown): the lifespan
shutdown of the ASGI apps whose lifespan started, on their loop, latest
first, then the atexit handlers; once; failures logged, the rest run."""

import asyncio
import logging
import threading
import unittest
from unittest import mock

import fastapi

from support import LoaderTestCase

from _funcapp_loader import shutdown


class ShutdownTest(LoaderTestCase):

    def setUp(self):
        super().setUp()
        self.setup_app(app_root=None)
        shutdown._running.clear()
        shutdown._ran = False
        self.events = []
        # the worker's loop, in a thread of its own
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def tearDown(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()
        super().tearDown()

    def asgi_app(self, name, fail=False):
        api = fastapi.FastAPI()

        @api.on_event('shutdown')
        def down():
            self.events.append(name)
            if fail:
                raise OSError(f'{name} cannot close')
        return api

    def start(self, app):
        middleware = self.func().AsgiMiddleware(app)
        started = asyncio.run_coroutine_threadsafe(middleware.notify_startup(), self.loop)
        self.assertTrue(started.result(5))
        return middleware

    def run_shutdown(self):
        with mock.patch('atexit._run_exitfuncs', lambda: self.events.append('atexit')):
            shutdown.run()

    def test_lifespans_latest_first_then_atexit_once(self):
        self.start(self.asgi_app('first'))
        self.start(self.asgi_app('second'))
        self.run_shutdown()
        self.assertEqual(self.events, ['second', 'first', 'atexit'])
        self.assertEqual(shutdown._running, [])
        self.run_shutdown()
        self.assertEqual(self.events, ['second', 'first', 'atexit'], 'hooks run once')

    def test_a_failing_lifespan_is_logged_and_the_rest_run(self):
        self.start(self.asgi_app('first'))
        self.start(self.asgi_app('second', fail=True))
        self.run_shutdown()
        self.assertEqual(self.events, ['second', 'first', 'atexit'])
        self.assertTrue(any('second cannot close' in line for line in self.logs(logging.ERROR)))

    def test_ended_lifespans_are_not_stopped_again(self):
        middleware = self.start(self.asgi_app('stopped'))
        asyncio.run_coroutine_threadsafe(middleware.notify_shutdown(), self.loop).result(5)

        async def no_lifespan(scope, receive, send):
            raise RuntimeError('http only')
        self.start(no_lifespan)
        self.assertEqual(shutdown._running, [])
        self.run_shutdown()
        self.assertEqual(self.events, ['stopped', 'atexit'])

    def test_atexit_failure_is_logged(self):
        def boom():
            raise RuntimeError('exit funcs broke')
        with mock.patch('atexit._run_exitfuncs', boom):
            shutdown.run()
        self.assertTrue(any('exit funcs broke' in line for line in self.logs(logging.ERROR)))


if __name__ == '__main__':
    unittest.main()
