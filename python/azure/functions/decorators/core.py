# SPDX-License-Identifier: Apache-2.0
"""What every binding shares: the default script file and AuthLevel."""

from .utils import StringifyEnum

__all__ = ('SCRIPT_FILE_NAME', 'AuthLevel', 'StringifyEnum')

# the file the worker indexes a v2 app from
SCRIPT_FILE_NAME = 'function_app.py'


class AuthLevel(StringifyEnum):
    """Which key, if any, a request must present."""
    FUNCTION = 'function'
    ANONYMOUS = 'anonymous'
    ADMIN = 'admin'
