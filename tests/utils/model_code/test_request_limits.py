"""The request limits: their defaults and overrides, and the body-size guard in front of a real
uvicorn on 127.0.0.1 (the whole model server is tests/scripts/test_serve.py's)."""

from __future__ import annotations

import ast
import asyncio
import http.client
import threading
import time
from pathlib import Path
from typing import Iterator, List

import pytest
import uvicorn

from mlops.utils.model_code import request_limits
from mlops.utils.model_code.request_limits import (
    MAX_BODY_BYTES_ENV_VAR,
    MAX_RECORDS_ENV_VAR,
    BodySizeLimit,
    max_body_bytes,
    max_records,
)
from testkit.servers import free_port


def test_defaults_and_overrides(monkeypatch):
    monkeypatch.delenv(MAX_RECORDS_ENV_VAR, raising=False)
    monkeypatch.delenv(MAX_BODY_BYTES_ENV_VAR, raising=False)
    assert max_records() == 100_000
    assert max_body_bytes() == 16_000_000  # 160 bytes a record: room for an indented dataframe_records trip
    monkeypatch.setenv(MAX_RECORDS_ENV_VAR, ' 1000 ')
    assert (max_records(), max_body_bytes()) == (1000, 160_000)  # the body follows the record limit
    monkeypatch.setenv(MAX_BODY_BYTES_ENV_VAR, '5000')
    assert (max_records(), max_body_bytes()) == (1000, 5000)
    monkeypatch.setenv(MAX_RECORDS_ENV_VAR, '')
    assert max_records() == 100_000


@pytest.mark.parametrize('variable', [MAX_RECORDS_ENV_VAR, MAX_BODY_BYTES_ENV_VAR])
@pytest.mark.parametrize('value', ['0', '-5', '1e6', 'lots'])
def test_a_bad_setting_is_named(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=f"{variable} must be a positive integer, got '{value}'"):
        max_records() if variable == MAX_RECORDS_ENV_VAR else max_body_bytes()


def test_the_module_imports_nothing_but_the_standard_library_at_the_top():
    """scripts/serve.sh loads it as a lone file before the model's own code is importable."""
    tree = ast.parse(Path(request_limits.__file__).read_text())
    top = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    modules = {alias.name for node in top if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module for node in top if isinstance(node, ast.ImportFrom)}
    assert modules <= {'__future__', 'json', 'os', 'typing'}, modules


LIMIT = 1000


class Echo:
    """An application that reads the whole body, as MLflow's scoring server does, and answers
    its length; it records every request it got."""

    def __init__(self):
        self.bodies: List[int] = []

    async def __call__(self, scope, receive, send):
        body = b''
        while True:
            message = await receive()
            body += message.get('body', b'')
            if not message.get('more_body'):
                break
        self.bodies.append(len(body))
        await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'content-type', b'text/plain')]})
        await send({'type': 'http.response.body', 'body': str(len(body)).encode()})


@pytest.fixture(scope='module')
def guarded() -> Iterator[tuple]:
    """BodySizeLimit(Echo, 1000 bytes) on uvicorn, on a free port of 127.0.0.1."""
    app = Echo()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(BodySizeLimit(app, LIMIT), host='127.0.0.1', port=port, log_level='warning', lifespan='off')
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), 'uvicorn did not start'
        time.sleep(0.05)
    yield port, app
    server.should_exit = True
    thread.join(10)


def post(port: int, body, chunked: bool = False) -> tuple:
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    try:
        if chunked:
            connection.request('POST', '/invocations', body=iter(body), encode_chunked=True)
        else:
            connection.request('POST', '/invocations', body=body)
        response = connection.getresponse()
        answer = response.status, response.read().decode()
        connection.request('GET', '/ping')  # the same connection goes on
        assert connection.getresponse().status == 200
        return answer
    finally:
        connection.close()


def test_a_body_within_the_limit_reaches_the_app_whole(guarded):
    port, app = guarded
    assert post(port, b'x' * LIMIT) == (200, str(LIMIT))
    assert post(port, [b'x' * 600, b'y' * 400], chunked=True) == (200, str(LIMIT))
    assert app.bodies[-4:] == [LIMIT, 0, LIMIT, 0]


def test_a_declared_length_over_the_limit_is_refused_before_the_app_reads_it(guarded):
    port, app = guarded
    seen = len(app.bodies)
    status, text = post(port, b'x' * (LIMIT + 1))
    assert status == 413
    assert text == (
        '{"error_code": "RESOURCE_LIMIT_EXCEEDED", "message": "the request body has 1001 bytes; '
        f'at most {LIMIT} bytes a request (MODEL_SERVER_MAX_BODY_BYTES)"}}'
    )
    assert app.bodies[seen:] == [0]  # the application never saw it (0: the /ping after it)
    # a large body, sent whole before the client reads the answer: 413, not a broken pipe
    assert post(port, b'x' * 20_000_000)[0] == 413


def test_a_chunked_body_is_refused_once_it_passes_the_limit(guarded):
    port, app = guarded
    seen = len(app.bodies)
    status, text = post(port, [b'x' * 600, b'y' * 600, b'z' * 10_000], chunked=True)
    assert status == 413 and f'has more than {LIMIT} bytes' in text
    assert app.bodies[seen:] == [0]
