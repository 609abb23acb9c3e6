# SPDX-License-Identifier: Apache-2.0
# What the warm-up function did in this worker process.
WARMED = []
