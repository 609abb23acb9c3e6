# SPDX-License-Identifier: Apache-2.0
"""An app that takes its worker down while being imported, as a broken
native extension would: the supervisor must back off, not spin."""
import os

os._exit(1)
