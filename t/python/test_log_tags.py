# SPDX-License-Identifier: Apache-2.0
"""Every FA0xx log tag is written by one line of the C code, and the
README's table lists each of them: an operator who greps a tag finds one
place and one meaning."""

import collections
import os
import re
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TAG = re.compile(r'"FA(\d{3}):')


def _c_files():
    for folder, prefix in ((TOP, 'mod_funcapp'), (os.path.join(TOP, 'src'), 'fa_')):
        for name in sorted(os.listdir(folder)):
            if name.startswith(prefix) and name.endswith('.c'):
                yield os.path.join(folder, name)


class LogTagTest(unittest.TestCase):

    def _tags(self):
        seen = collections.defaultdict(list)
        for path in _c_files():
            with open(path, encoding='utf-8') as f:
                for number, line in enumerate(f, 1):
                    for tag in TAG.findall(line):
                        seen['FA' + tag].append(f'{os.path.basename(path)}:{number}')
        return seen

    def test_each_tag_written_once(self):
        seen = self._tags()
        self.assertGreater(len(seen), 20)
        twice = {tag: places for tag, places in seen.items() if len(places) > 1}
        self.assertEqual(twice, {}, 'log tags used more than once')

    def test_readme_lists_every_tag(self):
        with open(os.path.join(TOP, 'README.md'), encoding='utf-8') as f:
            listed = set(re.findall(r'^\| (FA\d{3}) \|', f.read(), re.M))
        written = set(self._tags())
        self.assertEqual(sorted(written - listed), [], 'tags missing from the README')
        self.assertEqual(sorted(listed - written), [], 'README lists tags no code writes')


if __name__ == '__main__':
    unittest.main()
