# SPDX-License-Identifier: Apache-2.0
"""bench/apps/stream/wsgi_stream.py (the streaming echo and SSE) served by
mod_funcapp through WsgiFunctionApp: the app mod_wsgi runs, unchanged."""
import azure.functions as func

from wsgi_stream import application

app = func.WsgiFunctionApp(application,
                           http_auth_level=func.AuthLevel.ANONYMOUS)
