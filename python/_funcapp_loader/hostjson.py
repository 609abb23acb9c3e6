# SPDX-License-Identifier: Apache-2.0
"""What the worker takes from host.json (the C side reads the rest): the
`functions` list, which limits the functions served, and `logging.logLevel`,
the level of each function's logs, as Azure's host filters them.  Other
keys are ignored, as Azure ignores keys it does not know."""

import os

from .logging import WARNING, say

# .NET's LogLevel names (case-insensitive in host.json) as Python levels;
# Trace is below DEBUG, None above CRITICAL: nothing passes.
_LEVELS = {'trace': 1, 'debug': 10, 'information': 20, 'warning': 30,
           'error': 40, 'critical': 50, 'none': 100}


def read(app_root) -> dict:
    """host.json as an object; {} if absent or not one (the C side has
    refused a broken one at configtest already)."""
    if app_root is None:
        return {}
    try:
        with open(os.path.join(app_root, 'host.json'), encoding='utf-8-sig') as f:
            text = f.read()
    except (OSError, ValueError):
        return {}
    lowered = text.lower()
    if '"functions"' not in lowered and '"loglevel"' not in lowered:
        return {}  # json (and re) cost every worker at start; most apps need neither
    import json
    try:
        host = json.loads(text)
    except ValueError:
        return {}
    return host if isinstance(host, dict) else {}


def _get(obj, key: str):
    # .NET reads host.json's keys ignoring case
    if not isinstance(obj, dict):
        return None
    return next((v for k, v in obj.items() if str(k).lower() == key), None)


def listed(host: dict):
    """The names host.json's `functions` allows, lower-cased (Azure compares
    them ignoring case), or None for all (absent or an empty list)."""
    names = _get(host, 'functions')
    if names is None:
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        say(WARNING, 'host.json: "functions" must be a list of function names; ignored')
        return None
    return {n.lower() for n in names} or None


def log_levels(host: dict) -> dict:
    """logging.logLevel's categories (lower-cased) as Python levels:
    'default', 'function', 'function.<name>', 'function.<name>.user'."""
    levels = _get(_get(host, 'logging'), 'loglevel')
    if not isinstance(levels, dict):
        return {}
    result = {}
    for category, name in levels.items():
        level = _LEVELS.get(str(name).lower()) if isinstance(name, str) else None
        if level is None:
            say(WARNING, f'host.json: logging.logLevel.{category}: {name!r} is not a level '
                         f'(Trace, Debug, Information, Warning, Error, Critical, None); ignored')
            continue
        result[str(category).lower()] = level
    return result
