# SPDX-License-Identifier: Apache-2.0
# Once a year (an app setting names the schedule), and at start-up: one
# line "startup PID TIME PAST_DUE" in TIMER_LOG.  The admin API runs it by
# hand too.
import os
import time


def main(timer) -> None:
    with open(os.environ['TIMER_LOG'], 'a') as f:
        f.write(f'startup {os.getpid()} {time.time():.3f} {timer.past_due}\n')
