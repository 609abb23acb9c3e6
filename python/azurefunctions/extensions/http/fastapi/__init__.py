# SPDX-License-Identifier: Apache-2.0
"""azurefunctions.extensions.http.fastapi as embedded by mod_funcapp: Azure's
HTTP streams types for v2 functions, which are FastAPI's (Starlette's).

A function whose request parameter is annotated with `Request` gets a
Starlette request whose `stream()` reads the body as it arrives; one that
returns a `Response` (any of these) has it run as an ASGI app, so a
`StreamingResponse` reaches the client chunk by chunk. The worker's loader
does both (_funcapp_loader/httpstreams.py); this module only names the
types. A real azurefunctions-extensions-http-fastapi on sys.path (the app's
.python_packages or venv) wins over this one. Unlike on Azure, no
PYTHON_ENABLE_INIT_INDEXING setting is needed.
"""

from fastapi import Request, Response
from fastapi.responses import (FileResponse, HTMLResponse, JSONResponse, ORJSONResponse,
                               PlainTextResponse, RedirectResponse, StreamingResponse,
                               UJSONResponse)

__all__ = ('FileResponse', 'HTMLResponse', 'JSONResponse', 'ORJSONResponse',
           'PlainTextResponse', 'RedirectResponse', 'Request', 'Response',
           'StreamingResponse', 'UJSONResponse')

__version__ = '1.0.0+mod_funcapp'
