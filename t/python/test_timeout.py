# SPDX-License-Identifier: Apache-2.0
"""The Python half of the def function timeout (_funcapp_loader.timeout):
the exception the worker raises in a function's thread and the one-line
stack it logs with it."""

import threading
import unittest

from support import loader
from _funcapp_loader import timeout  # noqa: E402 (after support's finder)


def _spin_until(stop: list) -> None:
    while not stop:  # the line the stack must name
        pass


class FunctionTimeoutErrorTest(unittest.TestCase):

    def test_a_timeout_error_importable_from_the_loader(self):
        self.assertIs(loader.FunctionTimeoutError, timeout.FunctionTimeoutError)
        self.assertTrue(issubclass(loader.FunctionTimeoutError, TimeoutError))
        # raised asynchronously, it is made without arguments
        self.assertIn('functionTimeout', str(loader.FunctionTimeoutError()))
        self.assertEqual(str(loader.FunctionTimeoutError('x')), 'x')


class ThreadStackTest(unittest.TestCase):

    def test_stack_of_a_running_thread_on_one_line(self):
        stop = []
        thread = threading.Thread(target=_spin_until, args=(stop,))
        thread.start()
        try:
            text = timeout.thread_stack(thread.ident)
        finally:
            stop.append(True)
            thread.join()
        self.assertNotIn('\n', text)
        # innermost first: the spinning function, its file and line
        first = text.split(' | ')[0]
        self.assertRegex(first, r'^File ".*test_timeout\.py", line \d+, in _spin_until: '
                                r'while not stop:')
        self.assertIn('in run', text)

    def test_unknown_thread_and_limit(self):
        self.assertEqual(timeout.thread_stack(1), '(no Python frame)')

        def deep(n):
            return deep(n - 1) if n else timeout.thread_stack(threading.get_ident())
        text = deep(200)
        self.assertEqual(len(text), timeout.STACK_LIMIT)
        self.assertTrue(text.endswith('...'))


if __name__ == '__main__':
    unittest.main()
