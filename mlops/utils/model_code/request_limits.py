"""How much one prediction request may hold, and the model server's guard on the body size.

The limits, each overridable by environment:

- ``MLOPS_MAX_RECORDS`` trips per request (default 100,000), on both request paths: the
  ``predict`` pipeline's inputs (mlops/utils/inference/inputs.py) and the model server, where
  the model counts each request (``input_rule.check_record_count``; HTTP 413 beyond it).
- ``MODEL_SERVER_MAX_BODY_BYTES`` per request body on the model server (default
  ``BODY_BYTES_PER_RECORD`` times the record limit): larger bodies are refused by
  ``BodySizeLimit`` with HTTP 413 before a byte of them is parsed.

Standard library only and no ``mlops`` import: ``scripts/serve.sh`` copies this file into the
server's working folder beside the server's application (``mlops/utils/inference/scoring_app.py``,
which imports it as ``request_limits``), loaded before the model (which brings its own ``mlops``
package, the code it ships) is. The model imports the same file as
``mlops.utils.model_code.request_limits`` from that code.
"""

from __future__ import annotations

import json
import os
from typing import Any, Awaitable, Callable, Dict, Optional

MAX_RECORDS_ENV_VAR = 'MLOPS_MAX_RECORDS'
DEFAULT_MAX_RECORDS = 100_000
MAX_BODY_BYTES_ENV_VAR = 'MODEL_SERVER_MAX_BODY_BYTES'
# A trip as dataframe_records JSON with a 17-digit distance is about 80 bytes; twice that leaves
# room for indentation, so no well-formed batch within the record limit is refused for its size
# (CSV and Parquet are smaller still). 16 MB with the default record limit.
BODY_BYTES_PER_RECORD = 160

# Set by the model server's application (inference/scoring_app.py) before a model loads: each
# call of the model's predict is one request, to be held to max_records(). In-process callers
# (monitoring a month, re-scoring the champion on a validation set) predict millions of trips in
# one call and are not requests.
SERVING_REQUESTS_ENV_VAR = 'MLOPS_SERVING_REQUESTS'

# The JSON error code of a refusal for size (MLflow's protocol has none that means HTTP 413).
TOO_LARGE_ERROR_CODE = 'RESOURCE_LIMIT_EXCEEDED'


def _positive_integer(name: str, default: int) -> int:
    raw = os.environ.get(name, '').strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f'{name} must be a positive integer, got {raw!r}')
    return value


def max_records() -> int:
    """Trips one request may hold: ``MLOPS_MAX_RECORDS``, else ``DEFAULT_MAX_RECORDS``."""
    return _positive_integer(MAX_RECORDS_ENV_VAR, DEFAULT_MAX_RECORDS)


def max_body_bytes() -> int:
    """Bytes one request body may hold on the model server: ``MODEL_SERVER_MAX_BODY_BYTES``,
    else ``BODY_BYTES_PER_RECORD`` per record of ``max_records()``."""
    return _positive_integer(MAX_BODY_BYTES_ENV_VAR, BODY_BYTES_PER_RECORD * max_records())


def serving_requests() -> bool:
    """True in a model server started by ``scripts/serve.sh``."""
    return os.environ.get(SERVING_REQUESTS_ENV_VAR) == '1'


Scope = Dict[str, Any]
Message = Dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def _declared_length(scope: Scope) -> Optional[int]:
    for name, value in scope.get('headers', ()):
        if name.lower() == b'content-length':
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP server refuses a malformed length before the app sees it
    return None


class BodySizeLimit:
    """ASGI middleware: a request whose body is over ``max_bytes`` gets HTTP 413 (JSON
    ``error_code`` and ``message``, as MLflow's errors).

    A body with a Content-Length is judged by it, before the application reads a byte (and
    within the limit it passes through untouched). A chunked body, which announces no length, is
    read up to the limit and handed on whole. Either way MLflow's scoring server, which reads the
    whole body into memory and then parses it, never holds more than ``max_bytes`` of one.

    The connection stays open: uvicorn discards the rest of a refused body as it arrives. Closed
    with the body unread, it would be reset, and a client still sending (as most do: they read
    the answer once the body is sent) would get a broken pipe instead of the 413.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None:
            if declared > self.max_bytes:
                await self._refuse(send, f'has {declared} bytes')
            else:
                await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message['type'] != 'http.request':  # the client went away
                return
            body += message.get('body', b'')
            if len(body) > self.max_bytes:
                await self._refuse(send, f'has more than {self.max_bytes} bytes')
                return
            if not message.get('more_body', False):
                break
        handed_on = False

        async def replay() -> Message:
            nonlocal handed_on
            if handed_on:
                return await receive()
            handed_on = True
            return {'type': 'http.request', 'body': bytes(body), 'more_body': False}

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, size: str) -> None:
        message = f'the request body {size}; at most {self.max_bytes} bytes a request ({MAX_BODY_BYTES_ENV_VAR})'
        content = json.dumps({'error_code': TOO_LARGE_ERROR_CODE, 'message': message}).encode()
        await send(
            {
                'type': 'http.response.start',
                'status': 413,
                'headers': [
                    (b'content-type', b'application/json'),
                    (b'content-length', str(len(content)).encode()),
                ],
            }
        )
        await send({'type': 'http.response.body', 'body': content})
