# SPDX-License-Identifier: Apache-2.0
"""Context and TraceContext (_funcapp_loader.bindings)."""

import json
import os
import unittest

from support import TRACEPARENT, LoaderTestCase, http_json


class ContextTest(LoaderTestCase):

    def setUp(self):
        super().setUp()
        self.write_json('Ctx/function.json', http_json())
        self.write('Ctx/__init__.py', '''
            import json
            import azure.functions as func

            def main(req, context: func.Context):
                tc = context.trace_context
                return json.dumps({
                    'is_context': isinstance(context, func.Context),
                    'invocation_id': context.invocation_id,
                    'function_name': context.function_name,
                    'function_directory': context.function_directory,
                    'trace_parent': tc.trace_parent, 'trace_state': tc.trace_state,
                    'attributes': tc.attributes, 'retry_context': context.retry_context,
                    'tls': context.thread_local_storage.invocation_id})
            ''')
        self.setup_app()

    def test_fields(self):
        body = json.loads(self.call('Ctx', headers=[('TraceParent', TRACEPARENT),
                                                    ('tracestate', 'congo=t61')],
                                    invocation_id='abc-123')[2])
        self.assertEqual(body, {
            'is_context': True, 'invocation_id': 'abc-123', 'function_name': 'Ctx',
            'function_directory': os.path.join(self.app, 'Ctx'), 'trace_parent': TRACEPARENT,
            'trace_state': 'congo=t61', 'attributes': {}, 'retry_context': None,
            'tls': 'abc-123'})

    def test_trace_parent_generated_when_absent(self):
        body = json.loads(self.call('Ctx')[2])
        self.assertRegex(body['trace_parent'], r'^00-[0-9a-f]{32}-[0-9a-f]{16}-00$')
        self.assertEqual(body['trace_state'], '')


if __name__ == '__main__':
    unittest.main()
