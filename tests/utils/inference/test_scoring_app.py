"""The model server's application (mlops/utils/inference/scoring_app.py): the pointer it follows,
the check a model passes before it serves, a new model loaded with its own code beside the one
serving, and the swap on a real uvicorn on 127.0.0.1 (the whole server following a real registry
is tests/scripts/test_serve_follows_champion.py's)."""

from __future__ import annotations

import asyncio
import http.client
import json
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Iterator

import pandas as pd
import pytest
import uvicorn

from mlops.utils.inference import scoring_app
from mlops.utils.inference.scoring_app import (
    KEPT_MODELS,
    FollowingApp,
    ModelCheckError,
    Pointer,
    ServedModel,
    Serving,
    load_checked,
    read_pointer,
    write_pointer,
)
from testkit.servers import free_port

TRIPS = pd.DataFrame({'PULocationID': [74, 43, 166], 'DOLocationID': [75, 151, 41], 'trip_distance': [1.3, 2.0, 0.7]})


def test_the_pointer_is_replaced_whole_and_keeps_the_newest_models(tmp_path):
    models = tuple(ServedModel(g, str(g), f'/m/{g}') for g in range(KEPT_MODELS + 2, 0, -1))
    write_pointer(str(tmp_path), Pointer('m', 'models:/m@champion', models))
    read = read_pointer(str(tmp_path))
    assert read == Pointer('m', 'models:/m@champion', models[:KEPT_MODELS])
    assert [p.name for p in tmp_path.iterdir()] == ['served.json']  # the partial file was renamed
    assert read.named('3') == 'm version 3' and Pointer('', 'runs:/abc/model', ()).named('') == 'runs:/abc/model'


# A model that ships its own code: one module, the minutes it answers written into it. Two
# versions of it share the module's name, as two registered versions share ``mlops``.
PROBE = textwrap.dedent("""
    import numpy as np
    from mlflow.pyfunc import PythonModel

    MINUTES = float('{minutes}')

    class Constant(PythonModel):
        def predict(self, context, model_input, params=None):
            return np.full(len(model_input), MINUTES)
""")


@pytest.fixture
def probe_models(tmp_path, monkeypatch) -> Iterator:
    """save(minutes) -> the folder of a saved pyfunc model whose code (module ``probe_minutes``,
    shipped with it) answers ``minutes`` for every trip; this process's modules and path are put
    back afterwards."""
    import mlflow

    monkeypatch.setattr(sys, 'path', list(sys.path))

    def save(minutes: float, example=TRIPS) -> str:
        code = tmp_path / f'code-{len(list(tmp_path.iterdir()))}'
        code.mkdir()
        (code / 'probe_minutes.py').write_text(PROBE.format(minutes=minutes))
        sys.path.insert(0, str(code))
        imported = sys.modules.pop('probe_minutes', None)  # a model loaded before: put back after
        import probe_minutes

        path = tmp_path / f'model-{minutes}-{len(list(tmp_path.iterdir()))}'
        mlflow.pyfunc.save_model(
            str(path),
            python_model=probe_minutes.Constant(),
            code_paths=[str(code / 'probe_minutes.py')],
            input_example=example,
        )
        sys.path.remove(str(code))
        del sys.modules['probe_minutes']
        if imported is not None:
            sys.modules['probe_minutes'] = imported
        return str(path)

    yield save
    sys.modules.pop('probe_minutes', None)


def test_a_model_is_checked_on_its_own_input_example(probe_models):
    """load_checked loads, then check_answers: as many trips as a request may hold, of the
    model's own input example, one finite number of minutes each."""
    assert list(load_checked(probe_models(7.5)).predict(TRIPS)) == [7.5] * 3
    with pytest.raises(ModelCheckError, match=r'it predicts nan minutes for trip 0 of its input example \(3 of 3'):
        load_checked(probe_models(float('nan')))
    with pytest.raises(ModelCheckError, match='it predicts inf minutes for trip 0'):
        load_checked(probe_models(float('inf')))
    with pytest.raises(ModelCheckError, match='it has no input example to check its answers with'):
        load_checked(probe_models(7.5, example=None))


def test_a_new_model_loads_its_own_code_beside_the_serving_one_and_a_failed_one_changes_nothing(probe_models):
    first = load_checked(probe_models(1.0))
    second = load_checked(probe_models(2.0))
    assert list(first.predict(TRIPS)) == [1.0] * 3  # the serving model keeps the code it loaded
    assert list(second.predict(TRIPS)) == [2.0] * 3  # the new one runs its own, not the module imported first
    serving_module = sys.modules['probe_minutes']
    path_before = list(sys.path)

    with pytest.raises(ModelCheckError, match='nan minutes'):
        load_checked(probe_models(float('nan')))
    assert sys.modules['probe_minutes'] is serving_module and sys.path == path_before
    broken = Path(probe_models(3.0))
    (broken / 'python_model.pkl').unlink()
    with pytest.raises(FileNotFoundError) as missing:
        load_checked(str(broken))
    assert scoring_app.failure(missing.value) == f'it cannot be loaded: {broken / "python_model.pkl"} is missing'
    assert sys.modules['probe_minutes'] is serving_module and sys.path == path_before
    assert list(second.predict(TRIPS)) == [2.0] * 3


class Answer:
    """An ASGI application answering its name, after ``delay`` seconds."""

    def __init__(self, name: str, delay: float = 0.0):
        self.name, self.delay = name, delay

    async def __call__(self, scope, receive, send):
        if scope['type'] != 'http':
            return
        await asyncio.sleep(self.delay)
        await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'content-type', b'text/plain')]})
        await send({'type': 'http.response.body', 'body': self.name.encode()})


@pytest.fixture
def following(tmp_path) -> Iterator[FollowingApp]:
    """A FollowingApp serving version 1 (an application slow to answer) on uvicorn, on a free port."""
    first = ServedModel(1, '1', str(tmp_path / 'v1'))
    slow_one = Serving(first, Answer('one', 1.5), (b'x-model-version', b'1'))
    app = FollowingApp(str(tmp_path), Pointer('m', 'models:/m@champion', (first,)), slow_one)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host='127.0.0.1', port=port, log_level='warning', lifespan='off'))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), 'uvicorn did not start'
        time.sleep(0.05)
    app.port = port
    yield app
    server.should_exit = True
    thread.join(10)


def get(port: int, body: bytes = b'{}') -> tuple:
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    try:
        connection.request('POST', '/invocations', body=body, headers={'Content-Type': 'application/json'})
        response = connection.getresponse()
        return response.status, response.getheader('X-Model-Version'), response.read().decode()
    finally:
        connection.close()


def test_a_swap_serves_new_requests_while_those_in_flight_finish_on_the_old_model(following):
    in_flight = []
    thread = threading.Thread(target=lambda: in_flight.append(get(following.port)))
    thread.start()
    time.sleep(0.5)  # the request is on version 1, which takes 1.5 s to answer
    second = ServedModel(2, '2', '/v2')
    following.serving = Serving(second, Answer('two'), (b'x-model-version', b'2'))
    assert get(following.port) == (200, '2', 'two')
    thread.join(10)
    assert in_flight == [(200, '1', 'one')]  # started on version 1: answered by it, and says so
    following.serving = Serving(ServedModel(3, '', '/path'), Answer('three'), None)
    assert get(following.port) == (200, None, 'three')  # a model that is no registered version: no header


def test_a_worker_tries_each_new_model_once_and_keeps_serving_when_it_fails(following, probe_models, caplog):
    """``switch_to`` (what the follow thread does when the pointer changes): a model that fails
    its check is logged naming its version and why; one that passes serves; the same version
    again is not reloaded."""
    serving_before = following.serving
    nan = ServedModel(2, '2', probe_models(float('nan')))
    following.pointer = Pointer('m', 'models:/m@champion', (nan, following.pointer.models[0]))
    with caplog.at_level('INFO', logger='uvicorn.error'):
        following.switch_to(nan)
    assert following.serving is serving_before
    assert 'm version 2 is not served, m version 1 goes on: it predicts nan minutes for trip 0' in caplog.text
    assert 'Tried again when the alias moves.' in caplog.text
    assert get(following.port)[1] == '1'

    good = ServedModel(3, '3', probe_models(3.0))
    with caplog.at_level('INFO', logger='uvicorn.error'):
        following.switch_to(good)
    assert following.serving.model == good
    assert 'm version 3 answers now (was m version 1), loaded and checked in' in caplog.text
    trips = json.dumps({'dataframe_records': TRIPS.to_dict(orient='records')}).encode()
    assert get(following.port, trips) == (200, '3', '{"predictions": [3.0, 3.0, 3.0]}')  # MLflow's scoring server
    current = following.serving
    following.switch_to(ServedModel(4, '3', '/not/even/there'))  # the alias came back to version 3
    assert following.serving is current
