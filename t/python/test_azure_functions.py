# SPDX-License-Identifier: Apache-2.0
"""The embedded azure.functions: HttpRequest, HttpResponse, forms."""

import http
import importlib
import os
import sys
import unittest

from support import LoaderTestCase


class RequestTest(LoaderTestCase):

    def setUp(self):
        super().setUp()
        self.setup_app()
        self.func = sys.modules['azure.functions']

    def test_request_basics(self):
        req = self.func.HttpRequest(
            'post', 'http://h/api/x?a=1&a=2&b=&c=%C3%A9',
            headers=[('Content-Type', 'application/json'), ('X-Multi', '1'), ('x-multi', '2')],
            route_params={'id': '3'}, body=b'{"k": [1, 2]}')
        self.assertEqual(req.method, 'POST')
        self.assertEqual(req.url, 'http://h/api/x?a=1&a=2&b=&c=%C3%A9')
        self.assertEqual(req.headers['content-type'], 'application/json')
        self.assertEqual(req.headers['CONTENT-TYPE'], 'application/json')
        self.assertEqual(req.headers.get('x-multi'), '1, 2')
        self.assertIn('Content-Type', req.headers)
        self.assertNotIn('X-Missing', req.headers)
        with self.assertRaises(TypeError):
            req.headers['x'] = 'y'
        self.assertEqual(dict(req.params), {'a': '1,2', 'b': '', 'c': 'é'})
        self.assertEqual(req.route_params, {'id': '3'})
        self.assertEqual(req.get_body(), b'{"k": [1, 2]}')
        self.assertEqual(req.get_json(), {'k': [1, 2]})
        explicit = self.func.HttpRequest('GET', 'http://h/?a=1', params={'z': '9'}, body='é')
        self.assertEqual(dict(explicit.params), {'z': '9'})
        self.assertEqual(explicit.get_body(), 'é'.encode())
        for bad in (b'{nope', b'', b'\xff'):
            with self.assertRaises(ValueError):
                self.func.HttpRequest('GET', 'http://h/', body=bad).get_json()
        self.assertIsInstance(req, self.func.HttpRequest)

    def test_urlencoded_form(self):
        req = self.func.HttpRequest(
            'POST', 'http://h/', body=b'a=1&a=2&b=caf%C3%A9+x&e=&r=\xc3\xa9',
            headers={'Content-Type': 'application/x-www-form-urlencoded'})
        self.assertEqual(req.form['a'], '1')
        self.assertEqual(req.form.getlist('a'), ['1', '2'])
        self.assertEqual(req.form.to_dict(), {'a': '1', 'b': 'café x', 'e': '', 'r': 'é'})
        self.assertEqual(req.form.get('a', type=int), 1)
        self.assertEqual(len(req.files), 0)

    def test_multipart_form(self):
        body = (b'preamble\r\n--BOUND\r\n'
                b'Content-Disposition: form-data; name="title"\r\n\r\n'
                b'Hello caf\xc3\xa9\r\n'
                b'--BOUND\r\n'
                b'Content-Disposition: form-data; name="upload"; filename="a b.txt"\r\n'
                b'Content-Type: text/plain\r\n\r\n'
                b'line1\r\nline2\r\n'
                b'--BOUND\r\n'
                b'Content-Disposition: form-data; name="bin"; filename*=utf-8\'\'%C3%A9.bin\r\n'
                b'Content-Type: application/octet-stream\r\n\r\n'
                b'\x00\r\n\xff'
                b'\r\n--BOUND\r\n'
                b'Content-Disposition: form-data; name="empty"; filename=""\r\n\r\n'
                b'\r\n--BOUND--\r\nepilogue')
        req = self.func.HttpRequest('POST', 'http://h/', body=body, headers={
            'Content-Type': 'multipart/form-data; boundary="BOUND"'})
        self.assertEqual(req.form.to_dict(), {'title': 'Hello café'})
        upload = req.files['upload']
        self.assertEqual((upload.filename, upload.name, upload.content_type, upload.mimetype),
                         ('a b.txt', 'upload', 'text/plain', 'text/plain'))
        self.assertEqual(upload.read(), b'line1\r\nline2')
        self.assertEqual(upload.stream.getvalue(), b'line1\r\nline2')
        self.assertEqual((req.files['bin'].filename, req.files['bin'].read()),
                         ('é.bin', b'\x00\r\n\xff'))
        self.assertFalse(req.files['empty'])
        target = os.path.join(self.app, 'saved.txt')
        upload.save(target)
        with open(target, 'rb') as f:
            self.assertEqual(f.read(), b'line1\r\nline2')

    def test_malformed_forms_do_not_raise(self):
        for content_type, body in (('multipart/form-data', b'--x\r\n'),
                                   ('multipart/form-data; boundary=x', b'--x\r\nbroken'),
                                   ('multipart/form-data; boundary=x', b'no delimiter'),
                                   ('text/plain', b'a=1')):
            req = self.func.HttpRequest('POST', 'http://h/', body=body,
                                        headers={'content-type': content_type})
            self.assertEqual((len(req.form), len(req.files)), (0, 0), content_type)

    def test_response_object(self):
        resp = self.func.HttpResponse()
        self.assertEqual((resp.status_code, resp.mimetype, resp.charset, resp.get_body()),
                         (200, 'text/plain', 'utf-8', b''))
        resp = self.func.HttpResponse('é', status_code=http.HTTPStatus.NOT_FOUND,
                                      charset='latin-1', headers={'X-A': 1})
        self.assertEqual((resp.status_code, resp.get_body(), resp.headers['x-a']),
                         (404, b'\xe9', '1'))
        resp.headers.add('Set-Cookie', 'a=1')
        resp.headers.add_header('set-cookie', 'b=2')
        self.assertEqual(resp.headers.get_all('SET-COOKIE'), ['a=1', 'b=2'])
        self.assertEqual(resp.headers['Set-Cookie'], 'a=1')
        del resp.headers['set-cookie']
        self.assertNotIn('Set-Cookie', resp.headers)
        with self.assertRaises(KeyError):
            del resp.headers['set-cookie']
        with self.assertRaises(ValueError):
            resp.headers['X-Evil'] = 'a\r\nInjected: 1'
        with self.assertRaises(TypeError):
            self.func.HttpResponse(3.5)


class DecoratorsLayoutTest(LoaderTestCase):
    """azure.functions.decorators is a package with the real library's
    module names, each holding what the real one holds."""

    def test_modules_of_the_real_library(self):
        self.setup_app(app_root=None)
        func = self.func()
        homes = {
            'core': ('AuthLevel', 'SCRIPT_FILE_NAME'),
            'http': ('HttpMethod', 'HttpTrigger', 'HttpOutput'),
            'function_app': ('Function', 'FunctionBuilder', 'DecoratorApi', 'FunctionRegister',
                             'FunctionApp', 'Blueprint'),
            'constants': ('HTTP_TRIGGER', 'HTTP_OUTPUT'),
            'utils': ('StringifyEnum',),
        }
        decorators = importlib.import_module('azure.functions.decorators')
        for module_name, names in homes.items():
            module = importlib.import_module(f'azure.functions.decorators.{module_name}')
            self.assertEqual(module.__file__,
                             f'<mod_funcapp>/azure/functions/decorators/{module_name}.py')
            for name in names:
                value = getattr(module, name)
                if isinstance(value, type):
                    self.assertEqual(value.__module__, module.__name__, name)
                    self.assertIs(getattr(decorators, name), value, name)
        from azure.functions.decorators.core import AuthLevel
        from azure.functions.decorators.http import HttpMethod, HttpTrigger
        self.assertIs(func.AuthLevel, AuthLevel)
        self.assertIs(func.HttpMethod, HttpMethod)
        self.assertIs(func.FunctionApp, decorators.function_app.FunctionApp)
        self.assertEqual((HttpTrigger.type, decorators.HttpOutput.type), ('httpTrigger', 'http'))
        self.assertEqual(str(AuthLevel.ANONYMOUS), 'ANONYMOUS')


if __name__ == '__main__':
    unittest.main()
