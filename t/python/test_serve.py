# SPDX-License-Identifier: Apache-2.0
"""bin/funcapp-serve on a temporary app folder, as a developer runs it:
it starts httpd, lists the functions, serves local.settings.json's Values
on Host.LocalHttpPort, reloads an edited function_app.py, and Ctrl-C
leaves no process and no temporary directory behind.  A port in use is
refused with a clear message."""

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVE = os.path.join(TOP, 'bin', 'funcapp-serve')
MODULE = os.path.join(TOP, 'mod_funcapp.so')
HTTPD = '/usr/sbin/apache2'


FUNCTION_APP = '''\
import os

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


@app.route(route="greet")
def greet(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("{version} " + os.environ["GREETING"])
'''


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def session_pids(sid):
    found = []
    for entry in os.listdir('/proc'):
        try:
            with open(f'/proc/{entry}/stat', encoding='ascii', errors='replace') as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == sid and fields[0] != 'Z':
            found.append(int(entry))
    return found


def read(path, mode='r'):
    with open(path, mode) as f:
        return f.read()


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return None, ''


def wait_for(what, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.1)
    return what()


class Output:
    """A stream of the script read line by line in a thread."""

    def __init__(self, stream):
        self.lines = []
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        for line in stream:
            self.lines.append(line.rstrip('\n'))

    def text(self):
        return '\n'.join(self.lines)


@unittest.skipUnless(os.path.exists(MODULE) and os.access(HTTPD, os.X_OK),
                     'needs mod_funcapp.so (make) and Debian\'s apache2')
class ServeTest(unittest.TestCase):

    def setUp(self):
        self.app = tempfile.mkdtemp(prefix='funcapp-serve-test.')
        self.addCleanup(shutil.rmtree, self.app, ignore_errors=True)
        self.port = free_port()
        # As root the workers run as the folder's owner.
        self.user = pwd.getpwnam('nobody') if os.geteuid() == 0 else None
        if self.user:
            os.chown(self.app, self.user.pw_uid, self.user.pw_gid)
        self.write('function_app.py', FUNCTION_APP.format(version='one'))
        self.write('local.settings.json',
                   '{"IsEncrypted": false, "Values": {"GREETING": "from local settings"},'
                   f' "Host": {{"LocalHttpPort": {self.port}}}}}')

    def write(self, name, text):
        path = os.path.join(self.app, name)
        with open(path + '.new', 'w', encoding='utf-8') as f:
            f.write(text)
        os.replace(path + '.new', path)  # as editors save
        if self.user:
            os.chown(path, self.user.pw_uid, self.user.pw_gid)

    def start(self, *args, **popen):
        proc = subprocess.Popen([SERVE, self.app, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, **popen)
        self.addCleanup(self._reap, proc)
        return proc, Output(proc.stdout), Output(proc.stderr)

    @staticmethod
    def _reap(proc):
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def serve_edit_stop(self, **popen):
        url = f'http://127.0.0.1:{self.port}/api/greet'
        proc, out, err = self.start(**popen)
        banner = wait_for(lambda: re.search(r'\(pid (\d+)\) on (\S+)', out.text()), 20)
        self.assertIsNotNone(banner, out.text() + err.text())
        self.assertEqual(banner.group(2), f'http://127.0.0.1:{self.port}/')
        httpd = int(banner.group(1))
        self.assertIn('keys are not checked', out.text())
        self.assertIn('reload on change: on', out.text())

        # the listing, with the function's URL, as func start prints it
        listing = wait_for(
            lambda: re.search(r'^\s+greet: \[[A-Z,*]+\] (\S+)$', out.text(), re.M), 30)
        self.assertIsNotNone(listing, out.text() + err.text())
        self.assertEqual(listing.group(1), url)
        status, body = wait_for(lambda: (lambda r: r if r[0] == 200 else None)(get(url)), 30) \
            or get(url)
        self.assertEqual((status, body), (200, 'one from local settings'), err.text())
        access = wait_for(lambda: ' 200 GET /api/greet ' in err.text(), 5)
        self.assertTrue(access, 'no access log line: ' + err.text())

        # httpd's command line names the temporary directory
        conf = read(f'/proc/{httpd}/cmdline', 'rb').split(b'\0')
        run = os.path.dirname(conf[conf.index(b'-f') + 1].decode())
        self.assertTrue(os.path.isdir(run))
        workers = [pid for pid in session_pids(httpd)
                   if read(f'/proc/{pid}/comm').startswith('funcapp-w')]
        self.assertTrue(workers, 'no worker in httpd\'s session')
        if self.user:
            self.assertEqual(os.stat(f'/proc/{workers[0]}').st_uid, self.user.pw_uid)

        self.write('function_app.py', FUNCTION_APP.format(version='two'))
        t0 = time.monotonic()
        answer = wait_for(lambda: get(url)[1] == 'two from local settings', 15)
        self.assertTrue(answer, f'no new answer after the edit: {get(url)}\n{err.text()}')
        reload_seconds = time.monotonic() - t0

        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(15), 0, out.text() + err.text())
        stop_seconds = time.monotonic() - t0
        self.assertEqual(session_pids(httpd), [])
        self.assertFalse(os.path.exists(run), run)
        self.assertIsNone(get(url)[0])
        out.thread.join(5)
        self.assertIn('funcapp-serve: stopped', out.text())
        return reload_seconds, stop_seconds

    def test_serve_list_reload_stop(self):
        """As whoever runs the tests (root: the workers run as the folder's
        owner, nobody)."""
        reload_seconds, stop_seconds = self.serve_edit_stop()
        self.assertLess(stop_seconds, 10)
        if os.environ.get('FUNCAPP_SERVE_TIMES'):
            print(f'reload {reload_seconds:.2f} s, stop {stop_seconds:.2f} s')

    @unittest.skipUnless(os.geteuid() == 0, 'run as root: covered by the test above')
    def test_serve_as_a_user(self):
        """Started by a user other than root, everything runs as that user."""
        nobody = pwd.getpwnam('nobody')
        probe = subprocess.run(['test', '-r', SERVE, '-a', '-r', MODULE],
                               user=nobody.pw_uid, group=nobody.pw_gid, extra_groups=[])
        if probe.returncode:
            self.skipTest('the source tree is not readable by nobody')
        self.serve_edit_stop(user=nobody.pw_uid, group=nobody.pw_gid, extra_groups=[],
                             env=dict(os.environ, HOME='/'))

    def test_port_in_use(self):
        with socket.socket() as s:
            s.bind(('127.0.0.1', self.port))
            s.listen()
            t0 = time.monotonic()
            done = subprocess.run([SERVE, self.app, '--port', str(self.port)],
                                  capture_output=True, text=True, timeout=60)
        self.assertNotEqual(done.returncode, 0)
        self.assertLess(time.monotonic() - t0, 30)
        self.assertIn(f'cannot listen on 127.0.0.1:{self.port}: Address already in use',
                      done.stderr)


if __name__ == '__main__':
    unittest.main()
