# SPDX-License-Identifier: Apache-2.0
# `azure` is a namespace shared by many distributions (azure-core,
# azure-storage-blob, ...): extend the path so their subpackages stay
# importable next to the azure.functions that mod_funcapp embeds.  This is
# what pkgutil.extend_path does for such a package, written out: pkgutil
# would cost every worker its imports (re, importlib.util, ...) at start.


def _extend_path(path, name):
    import os
    import sys
    for entry in sys.path:
        if isinstance(entry, str) and os.path.isdir(entry):
            subdir = os.path.join(entry, name)
            if subdir not in path and os.path.isdir(subdir):
                path.append(subdir)
    return path


__path__ = _extend_path(__path__, __name__)
del _extend_path
