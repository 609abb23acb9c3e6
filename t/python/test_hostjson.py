# SPDX-License-Identifier: Apache-2.0
"""host.json as the worker reads it: the functions list and logging.logLevel."""

import logging
import unittest

from support import LoaderTestCase, funcapp, http_json


class HostJsonTest(LoaderTestCase):

    def write_v2(self):
        self.write('function_app.py', '''
            import logging
            import azure.functions as func
            app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

            @app.route()
            def Loud(req):
                logging.debug("loud debug")
                print("loud print")
                return "ok"

            @app.route()
            def quiet(req):
                logging.debug("quiet debug")
                logging.info("quiet info")
                logging.warning("quiet warning")
                print("quiet print")
                return "ok"

            @app.route()
            def muted(req):
                logging.error("muted error")
                return "ok"
            ''')

    def test_functions_list_limits_what_is_served(self):
        self.write_v2()
        self.write_json('host.json', {'version': '2.0', 'Functions': ['loud', 'quiet']})
        self.assertEqual(sorted(e['name'] for e in self.setup_app()), ['Loud', 'quiet'])
        self.assertIn("function muted: not in host.json's functions list, not served",
                      self.logs(logging.INFO))

    def test_v1_unlisted_folder_is_not_imported(self):
        self.write_json('host.json', {'functions': ['One']})
        for name in ('One', 'Two'):
            self.write_json(f'{name}/function.json', http_json())
        self.write('One/__init__.py', 'def main(req):\n    return "one"\n')
        self.write('Two/__init__.py', 'raise RuntimeError("imported")\n')
        self.assertEqual([e['name'] for e in self.setup_app()], ['One'])
        self.assertFalse(any('imported' in line for line in self.logs()))

    def test_empty_or_absent_list_serves_all(self):
        self.write_v2()
        self.write_json('host.json', {'functions': [], 'unknownKey': {'x': 1}})
        self.assertEqual(len(self.setup_app()), 3)

    def test_log_levels_per_function(self):
        self.write_v2()
        self.write_json('host.json', {'logging': {'logLevel': {
            'default': 'Warning', 'Function.Loud.User': 'Debug', 'function.muted': 'None',
            'Function.quiet': 'bogus'}}})
        self.setup_app(level=logging.DEBUG)
        for name in ('Loud', 'quiet', 'muted'):
            self.assertEqual(self.call(name, invocation_id='i')[0], 200)
        lines = [line for _, line in funcapp.records]
        self.assertIn('Loud i: loud debug', lines)
        self.assertIn('Loud i: loud print', lines)
        self.assertIn('quiet i: quiet warning', lines)
        for hidden in ('quiet debug', 'quiet info', 'quiet print', 'muted error'):
            self.assertFalse(any(hidden in line for line in lines), hidden)
        self.assertTrue(any("logging.logLevel.Function.quiet: 'bogus' is not a level" in line
                            for line in lines))


if __name__ == '__main__':
    unittest.main()
