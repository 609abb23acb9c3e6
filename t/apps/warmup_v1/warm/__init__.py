# SPDX-License-Identifier: Apache-2.0
# A v1 warm-up function that records its run, then fails: the failure is
# logged and the worker serves anyway (t/decorators.t).
import os

from ..shared import state


def main(warmupContext) -> None:
    state.WARMED.append(os.getpid())
    raise RuntimeError('warm-up failed on purpose')
