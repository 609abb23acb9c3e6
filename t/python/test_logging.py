# SPDX-License-Identifier: Apache-2.0
"""The logging bridge (_funcapp_loader.logging): print() and logging to the
error log, with the function and invocation of each line."""

import asyncio
import logging
import threading
import unittest

from support import LoaderTestCase, funcapp, loader


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
                return "ok"
            ''')

    def test_lines_carry_function_and_invocation(self):
        self.setup_app()
        logging.warning('outside')
        self.assertEqual(self.call('chatty', invocation_id='inv-7')[0], 200)
        records = funcapp.records
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

        self.assertEqual([r[0] for r in asyncio.run(main())], [200] * 5)
        self.assertEqual(sorted(self.logs(logging.INFO)),
                         [f'async_log a{i}: after await a{i}' for i in range(5)])


if __name__ == '__main__':
    unittest.main()
