# SPDX-License-Identifier: Apache-2.0
"""The Python style of the tree: flake8 (pycodestyle and pyflakes) as
configured in .flake8 finds nothing, and every file it checks carries the
SPDX license line."""

import configparser
import fnmatch
import importlib.util
import os
import subprocess
import sys
import unittest

import stub

SPDX = '# SPDX-License-Identifier: Apache-2.0'


def _config() -> configparser.SectionProxy:
    parser = configparser.ConfigParser()
    parser.read(os.path.join(stub.TOP, '.flake8'))
    return parser['flake8']


def _patterns(value: str) -> list:
    return [p.strip() for p in value.split(',') if p.strip()]


def checked_files() -> list:
    """The files flake8 checks from the top of the tree, by .flake8's
    `filename` and `exclude` patterns."""
    config = _config()
    include, exclude = _patterns(config['filename']), _patterns(config['exclude'])
    found = []
    for dirpath, dirnames, filenames in os.walk(stub.TOP):
        dirnames[:] = sorted(d for d in dirnames
                             if not any(fnmatch.fnmatch(d, p) for p in exclude))
        for name in sorted(filenames):
            path = os.path.join('.', os.path.relpath(os.path.join(dirpath, name), stub.TOP))
            if any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(path, p) for p in include):
                found.append(path)
    return found


class LintTest(unittest.TestCase):

    def test_flake8_finds_nothing(self):
        if importlib.util.find_spec('flake8') is None:
            self.fail('flake8 is not installed (Debian: apt-get install flake8)')
        out = subprocess.run([sys.executable, '-m', 'flake8'], cwd=stub.TOP,
                             capture_output=True, text=True, timeout=600)
        self.assertEqual(out.stdout + out.stderr, '')
        self.assertEqual(out.returncode, 0)

    def test_every_python_file_has_the_spdx_line(self):
        files = checked_files()
        self.assertIn('./bench/bench', files)
        self.assertIn('./bin/funcapp-serve', files)
        self.assertIn('./python/_funcapp_loader/importer.py', files)
        missing = []
        for path in files:
            with open(os.path.join(stub.TOP, path), encoding='utf-8') as f:
                if SPDX not in f.read(200).split('\n')[:2]:
                    missing.append(path)
        self.assertEqual(missing, [], f'first or second line should be: {SPDX}')


if __name__ == '__main__':
    unittest.main()
