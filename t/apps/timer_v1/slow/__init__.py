# SPDX-License-Identifier: Apache-2.0
# Every second, on the event loop, for 2.5 s: the ticks that find it still
# running are skipped.  One line "slow PID START" in SLOW_LOG a run.
import asyncio
import os
import time


async def main(timer) -> None:
    with open(os.environ['SLOW_LOG'], 'a') as f:
        f.write(f'slow {os.getpid()} {time.time():.3f}\n')
    await asyncio.sleep(2.5)
