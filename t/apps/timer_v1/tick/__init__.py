# SPDX-License-Identifier: Apache-2.0
# Every second: one line "tick PID TIME PAST_DUE" in the file TIMER_LOG
# names (t/timer.t counts them).
import os
import time


def main(mytimer) -> None:
    with open(os.environ['TIMER_LOG'], 'a') as f:
        f.write(f'tick {os.getpid()} {time.time():.3f} {mytimer.past_due}\n')
