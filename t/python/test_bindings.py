# SPDX-License-Identifier: Apache-2.0
"""Context, TraceContext and RetryContext (_funcapp_loader.bindings), in
the shape the Azure Python worker gives them; and the import paths of a
venv and FunctionAppPythonPath (loader.set_sys_path)."""

import json
import os
import sys
import unittest

from support import TRACEPARENT, LoaderTestCase, http_json, loader

CTX = '''
import json
import azure.functions as func

def main(req, context: func.Context):
    tc = context.trace_context
    rc = context.retry_context
    return json.dumps({
        'is_context': isinstance(context, func.Context),
        'invocation_id': context.invocation_id,
        'function_name': context.function_name,
        'function_directory': context.function_directory,
        'trace_parent': tc.trace_parent, 'trace_state': tc.trace_state,
        'attributes': tc.attributes,
        'worker_names': [tc.Traceparent, tc.Tracestate, tc.Attributes],
        'retry': [rc.retry_count, rc.max_retry_count],
        'is_retry_context': isinstance(rc, func.RetryContext),
        'exception': [getattr(e, f) for e in (rc.exception, rc.rpc_exception)
                      for f in ('source', 'stack_trace', 'message')],
        'tls': context.thread_local_storage.invocation_id})
'''

LATE = '''
import threading
import azure.functions as func

seen = []

def main(req, context: func.Context):
    # a thread the function starts has its own storage, without an id until
    # it sets one (as on Azure)
    t = threading.Thread(target=lambda: seen.append(
        getattr(context.thread_local_storage, 'invocation_id', None)))
    t.start()
    t.join()
    return f'{context.thread_local_storage.invocation_id} {seen[-1]}'
'''


class ContextTest(LoaderTestCase):

    def setUp(self):
        super().setUp()
        self.write_json('Ctx/function.json', http_json())
        self.write('Ctx/__init__.py', CTX)
        self.write_json('Late/function.json', http_json())
        self.write('Late/__init__.py', LATE)
        self.setup_app()

    def test_fields(self):
        body = json.loads(self.call('Ctx', headers=[('TraceParent', TRACEPARENT),
                                                    ('tracestate', 'congo=t61')],
                                    invocation_id='abc-123')[2])
        self.assertEqual(body, {
            'is_context': True, 'invocation_id': 'abc-123', 'function_name': 'Ctx',
            'function_directory': os.path.join(self.app, 'Ctx'), 'trace_parent': TRACEPARENT,
            'trace_state': 'congo=t61', 'attributes': {},
            'worker_names': [TRACEPARENT, 'congo=t61', {}], 'retry': [0, 0],
            'is_retry_context': True, 'exception': [''] * 6, 'tls': 'abc-123'})

    def test_trace_parent_generated_when_absent(self):
        body = json.loads(self.call('Ctx')[2])
        self.assertRegex(body['trace_parent'], r'^00-[0-9a-f]{32}-[0-9a-f]{16}-00$')
        self.assertEqual(body['worker_names'][0], body['trace_parent'])
        self.assertEqual(body['trace_state'], '')

    def test_thread_local_storage_per_invocation(self):
        self.assertEqual(self.call('Late', invocation_id='i-1')[2], b'i-1 None')
        self.assertEqual(self.call('Late', invocation_id='i-2')[2], b'i-2 None')
        # a def function run on the event loop gets it too
        self.assertEqual(self.call_async('Late', invocation_id='i-3')[2], b'i-3 None')
        tls = sys.modules['_funcapp_loader.logging'].tls
        self.assertIsNone(getattr(tls, 'invocation_id', None), 'cleared after')


class SysPathTest(LoaderTestCase):

    def test_order_and_pth(self):
        site = os.path.join(self.app, '.venv', 'lib', 'python3', 'site-packages')
        extra = os.path.join(self.app, 'extra')
        self.write('hello_venv.py', 'WHERE = "venv"\n', root=site)
        self.write('hello_extra.py', 'WHERE = "extra"\n', root=extra)
        self.write('pthdir/hello_pth.py', 'WHERE = "pth"\n', root=site)
        self.write('mine.pth', 'pthdir\n', root=site)
        self.write('function_app.py', '''
            import azure.functions as func
            import hello_extra, hello_pth, hello_venv

            app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

            @app.route(route="where")
            def where(req):
                return " ".join([hello_extra.WHERE, hello_pth.WHERE, hello_venv.WHERE])
            ''')
        table = loader.setup(self.app, [], {}, 10, [extra], site)
        self.assertEqual([e['error'] for e in table], [None])
        self.assertEqual(loader.invoke(0, 'GET', 'http://h/api/where', [], {}, b'', 'i')[2],
                         b'extra pth venv')
        packages = os.path.join(self.app, '.python_packages', 'lib', 'site-packages')
        self.assertEqual(sys.path[:5], [self.app, packages, extra, site,
                                        os.path.join(site, 'pthdir')])

    def test_handlers_only(self):
        extra = os.path.join(self.app, 'extra')
        self.write('hello_extra.py', 'WHERE = "extra"\n', root=extra)
        loader.setup(None, [], {}, 10, [extra], None)
        self.assertEqual(sys.path[0], extra)


if __name__ == '__main__':
    unittest.main()
