# SPDX-License-Identifier: Apache-2.0
"""The function timeout's Python half for def functions: the exception the
C watchdog raises in a function's thread once it runs past functionTimeout,
and that thread's stack for the error line that says so (FA072).

Apps import FunctionTimeoutError from _funcapp_loader; catching the
TimeoutError it derives from works on Azure too.
"""

# The log line that carries the stack is one record of httpd's error log,
# which cuts it at 2 kB with the rest of the line.
STACK_LIMIT = 1500


class FunctionTimeoutError(TimeoutError):
    """Raised in a def function's thread when it runs past functionTimeout.

    The client has had its 504 by then; the function should stop.  A
    function that swallows it, or that is blocked in C code (time.sleep, a
    socket read) where Python cannot raise it, has its worker retired.
    """

    def __init__(self, *args) -> None:
        # raised asynchronously, so made without arguments
        super().__init__(*(args or ('the function ran past functionTimeout',)))


def thread_stack(ident: int) -> str:
    """The Python stack of thread `ident` on one line, innermost frame
    first, cut at STACK_LIMIT characters."""
    import sys
    import traceback
    frame = sys._current_frames().get(ident)
    if frame is None:
        return '(no Python frame)'
    parts = []
    for summary in reversed(traceback.extract_stack(frame)):
        part = f'File "{summary.filename}", line {summary.lineno}, in {summary.name}'
        if summary.line:
            part += f': {summary.line.strip()}'
        parts.append(part)
    text = ' | '.join(parts)
    text = ''.join(c if c.isprintable() else ' ' for c in text)
    return text if len(text) <= STACK_LIMIT else text[:STACK_LIMIT - 3] + '...'


def discharge() -> None:
    """Does nothing, in Python: calling it lets a FunctionTimeoutError still
    pending in this thread be raised (and then dropped by the C side) before
    the thread's next invocation."""
