"""./scripts/serve.sh: MLflow's scoring server on the champion answers raw trips with the minutes
the model gives in-process (naming its version in X-Model-Version), refuses bad payloads with a
400 that names the problem (the model's input rule: the field and record), too large ones with a
413, and keeps serving. Following the champion as its alias moves: test_serve_follows_champion.py.

Why it is this long: one model server on a registered champion is started once, and each refusal
and answer is a test against it.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pytest
import requests
from sklearn.linear_model import LinearRegression

from mlops.utils.model_code.model import TripDurationModel
from mlops.utils.models.training_data import TrainingData
from testkit.commands import run_command
from testkit.registered import embedded_store, register_model
from testkit.servers import REPO_ROOT, ServerProcess, free_port

MODEL = 'test-model'
BATCH_ROWS = 100_000  # served whole: the documented answer to a large batch, and the record limit
MAX_BODY_BYTES = 16_000_000  # the documented default body limit (docs/model-server.md)


@dataclass
class Served:
    url: str  # .../invocations
    model: TripDurationModel  # as fitted in this process
    loaded: object  # the registered version, loaded in-process by MLflow (mlflow.pyfunc.PyFuncModel)
    version: str  # the registered version (the champion)


def register_champion(data: TrainingData) -> tuple:
    """A LinearRegression through the pipelines' code paths in the current store; returns
    (model, model URI of the version)."""
    from mlops.utils.tracking.mlflow_setup import connect

    model = TripDurationModel(data.dv, LinearRegression().fit(data.X_train, data.y_train))
    promotion, _ = register_model(connect(), data, model, 'linear_model.LinearRegression')
    assert promotion.promoted
    return model, f'models:/{MODEL}/{promotion.version}'


@pytest.fixture(scope='module')
def served(tmp_path_factory, data) -> Iterator[Served]:
    """The champion of an empty embedded store served by ./scripts/serve.sh on a free port."""
    import mlflow

    root = tmp_path_factory.mktemp('serve')
    with embedded_store(root / 'data', MODEL):
        model, uri = register_champion(data)
        loaded = mlflow.pyfunc.load_model(uri)
        port = free_port()
        env = {'MODEL_SERVER_HOST': '127.0.0.1', 'MODEL_SERVER_PORT': str(port)}
        with ServerProcess(['bash', 'scripts/serve.sh'], f'http://127.0.0.1:{port}/ping', root / 'serve.log', env=env):
            yield Served(f'http://127.0.0.1:{port}/invocations', model, loaded, uri.rpartition('/')[2])
    assert not list(Path(tempfile.gettempdir()).glob('mlops-serve-*'))  # its working folder went with it


def post(url: str, payload) -> requests.Response:
    """``payload`` as JSON (text, bytes and byte iterators as they are: an iterator is sent chunked,
    without a Content-Length)."""
    body = payload if isinstance(payload, (str, bytes, Iterator)) else json.dumps(payload)
    return requests.post(url, data=body, headers={'Content-Type': 'application/json'}, timeout=120)


def expected_minutes(served: Served, trips: pd.DataFrame) -> np.ndarray:
    """What the registered model answers in this process."""
    return np.asarray(served.loaded.predict(trips), dtype=float)


def trips_of(data: TrainingData, rows: int, seed: int) -> pd.DataFrame:
    return (
        data.validation_records()
        .drop(columns=['duration'])
        .sample(rows, replace=True, random_state=seed)
        .reset_index(drop=True)
    )


@pytest.mark.slow
@pytest.mark.parametrize('layout', ['dataframe_records', 'dataframe_split'])
def test_answers_are_the_minutes_of_the_model_in_process(served, data, layout):
    trips = trips_of(data, 500, seed=0)
    rows = (
        trips.to_dict(orient='records') if layout == 'dataframe_records' else trips.to_dict(orient='split', index=False)
    )
    answer = post(served.url, {layout: rows})
    assert answer.status_code == 200, answer.text
    assert list(answer.json()) == ['predictions']  # MLflow's answer, as existing clients read it
    assert np.allclose(answer.json()['predictions'], expected_minutes(served, trips), rtol=0, atol=1e-9)
    assert answer.headers['X-Model-Version'] == served.version  # which version answered


@pytest.mark.slow
def test_single_trips_one_request_each(served, data):
    trips = trips_of(data, 5, seed=1)
    expected = expected_minutes(served, trips)
    for i, trip in enumerate(trips.to_dict(orient='records')):
        answer = post(served.url, {'dataframe_records': [trip]})
        assert answer.status_code == 200, answer.text
        assert np.allclose(answer.json()['predictions'], expected[i : i + 1], rtol=0, atol=1e-9)


@pytest.mark.slow
def test_a_100k_trip_batch_is_answered_whole(served, data):
    """No batch limit: 100k trips (6.6 MB of JSON) get 100k minutes, as in-process."""
    trips = trips_of(data, BATCH_ROWS, seed=2)
    answer = post(served.url, {'dataframe_split': trips.to_dict(orient='split', index=False)})
    assert answer.status_code == 200, answer.text[:500]
    assert np.allclose(answer.json()['predictions'], expected_minutes(served, trips), rtol=0, atol=1e-9)


GOOD_TRIP = {'PULocationID': 74, 'DOLocationID': 75, 'trip_distance': 1.2}


@pytest.mark.slow
@pytest.mark.parametrize(
    'payload, words',
    [
        ({'dataframe_records': [{'PULocationID': 74, 'DOLocationID': 75}]}, ["missing inputs ['trip_distance']"]),
        (
            {'dataframe_records': [{**GOOD_TRIP, 'trip_distance': 'far'}]},
            ['trip_distance', "could not convert string to float: 'far'"],
        ),
        ({'dataframe_records': [{**GOOD_TRIP, 'PULocationID': None}]}, ['PULocationID', 'int64']),
        # an empty list has no columns at all, so the signature finds every input missing
        ({'dataframe_records': []}, ["missing inputs ['PULocationID', 'DOLocationID', 'trip_distance']"]),
        ({'records': [GOOD_TRIP]}, ['exactly one of the input fields', 'dataframe_records']),
        ('{"dataframe_records": [', ['valid JSON']),
    ],
    ids=['missing field', 'text distance', 'null id', 'empty list', 'unknown key', 'not JSON'],
)
def test_a_bad_payload_is_a_400_naming_the_problem_and_serving_goes_on(served, payload, words):
    answer = post(served.url, payload)
    assert answer.status_code == 400, answer.text
    message = answer.json()['message']
    assert all(word in message for word in words), message
    good = post(served.url, {'dataframe_records': [GOOD_TRIP]})
    assert good.status_code == 200, good.text
    expected = expected_minutes(served, pd.DataFrame([GOOD_TRIP]))
    assert np.allclose(good.json()['predictions'], expected, rtol=0, atol=1e-9)


def assert_still_serving(served: Served) -> None:
    good = post(served.url, {'dataframe_records': [GOOD_TRIP]})
    assert good.status_code == 200, good.text
    expected = expected_minutes(served, pd.DataFrame([GOOD_TRIP]))
    assert np.allclose(good.json()['predictions'], expected, rtol=0, atol=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize(
    'trip, words',
    [
        ({'trip_distance': -100}, 'records[2].trip_distance must be a finite number >= 0, got -100.0'),
        ({'PULocationID': 0}, 'records[2].PULocationID must be a location id (an integer in [1, 2147483647]), got 0'),
        ({'DOLocationID': -7}, 'records[2].DOLocationID must be a location id (an integer in [1, 2147483647]), got -7'),
        ({'trip_distance': 1e308}, 'records[2].trip_distance must be at most 1000000 miles, got 1e+308'),
        ({'trip_distance': None}, 'records[2].trip_distance must be a finite number >= 0, got null or NaN'),
        ({'trip_distance': 'NaN'}, 'records[2].trip_distance must be a finite number >= 0, got null or NaN'),
        ({'PULocationID': 2**31}, 'records[2].PULocationID must be a location id'),
        ({'PULocationID': 1e308}, 'PULocationID'),  # not an int64: MLflow's signature refuses it first
    ],
    ids=[
        '-100 miles',
        'id 0',
        'negative id',
        '1e308 miles',
        'null distance',
        'NaN distance',
        'id past int32',
        '1e308 id',
    ],
)
def test_a_trip_the_input_rule_refuses_is_a_400_naming_record_and_field(served, trip, words):
    """The rule the predict pipeline applies (mlops/utils/model_code/input_rule.py), applied by
    the model itself: the first bad record of a batch is named."""
    trips = [GOOD_TRIP, GOOD_TRIP, {**GOOD_TRIP, **trip}, GOOD_TRIP]
    body = json.dumps({'dataframe_records': trips}).replace('"NaN"', 'NaN')  # JSON has no NaN; Python's parser does
    answer = post(served.url, body)
    assert answer.status_code == 400, answer.text
    assert answer.json()['error_code'] == 'INVALID_PARAMETER_VALUE'
    assert words in answer.json()['message'], answer.json()['message']
    assert_still_serving(served)


@pytest.mark.slow
def test_too_many_trips_or_too_large_a_body_is_a_413(served, data):
    """Limits of one request: 100,000 trips (counted by the model once parsed, as in the predict
    pipeline) and 16,000,000 bytes of body (judged before the body is read)."""
    trips = trips_of(data, BATCH_ROWS + 1, seed=3)
    too_many = post(served.url, {'dataframe_split': trips.to_dict(orient='split', index=False)})
    assert too_many.status_code == 413, too_many.text[:500]
    assert too_many.json()['error_code'] == 'RESOURCE_LIMIT_EXCEEDED'
    assert (
        'the request has 100001 records; at most 100000 per request (MLOPS_MAX_RECORDS)' in too_many.json()['message']
    )

    padded = json.dumps({'dataframe_records': [GOOD_TRIP]}).encode()
    padded += b' ' * (MAX_BODY_BYTES + 1 - len(padded))  # valid JSON, one byte over
    too_large = post(served.url, padded)
    assert too_large.status_code == 413, too_large.text[:500]
    assert too_large.json() == {
        'error_code': 'RESOURCE_LIMIT_EXCEEDED',
        'message': f'the request body has {MAX_BODY_BYTES + 1} bytes; at most {MAX_BODY_BYTES} bytes a request '
        '(MODEL_SERVER_MAX_BODY_BYTES)',
    }
    chunked = post(served.url, iter([padded[: MAX_BODY_BYTES // 2], padded[MAX_BODY_BYTES // 2 :]]))
    assert chunked.status_code == 413 and f'has more than {MAX_BODY_BYTES} bytes' in chunked.json()['message']
    exactly = post(served.url, padded[:MAX_BODY_BYTES])  # at the limit: parsed and answered
    assert exactly.status_code == 200, exactly.text[:500]
    assert_still_serving(served)


@pytest.mark.slow
def test_the_environment_picks_the_version_workers_and_address_and_options_reach_mlflow(tmp_path, data):
    """MODEL_SERVER_MODEL_URI serves another version than the champion, with
    MODEL_SERVER_WORKERS workers on MODEL_SERVER_HOST:MODEL_SERVER_PORT, with the request limits
    of MLOPS_MAX_RECORDS and MODEL_SERVER_MAX_BODY_BYTES; arguments go to uvicorn (an unknown one
    stops it, naming it), and a bad limit stops it before it starts, named."""
    import mlflow

    from testkit.registered import register_constant

    with embedded_store(tmp_path / 'data', MODEL) as experiment:
        register_champion(data)
        other, _ = register_constant(experiment, data, 30.0)  # worse: registered, not the champion
        assert not other.promoted
        expected = mlflow.pyfunc.load_model(f'models:/{MODEL}/{other.version}').predict(pd.DataFrame([GOOD_TRIP]))
    port = free_port()
    # as from a shell with only these set (this module's served fixture points this process's
    # MLFLOW_TRACKING_URI at its own store)
    env = {
        'PATH': os.environ['PATH'],
        'HOME': os.environ['HOME'],
        'MLOPS_DATA_DIR': str(tmp_path / 'data'),
        'MLOPS_REGISTERED_MODEL': MODEL,
        'MODEL_SERVER_HOST': '127.0.0.1',
        'MODEL_SERVER_PORT': str(port),
        'MODEL_SERVER_WORKERS': '1',
        'MODEL_SERVER_MODEL_URI': f'models:/{MODEL}/{other.version}',
        'MLOPS_MAX_RECORDS': '3',
        'MODEL_SERVER_MAX_BODY_BYTES': '1000',
    }
    log = tmp_path / 'serve.log'
    with ServerProcess(
        ['bash', 'scripts/serve.sh', '--timeout-keep-alive', '30'],
        f'http://127.0.0.1:{port}/ping',
        log,
        env=env,
        inherit_env=False,
    ):
        url = f'http://127.0.0.1:{port}/invocations'
        answer = post(url, {'dataframe_records': [GOOD_TRIP]})
        four = post(url, {'dataframe_records': [GOOD_TRIP] * 4})
        large = post(url, {'dataframe_records': [GOOD_TRIP] * 3, 'padding': ' ' * 1000})
    assert answer.status_code == 200 and np.allclose(answer.json()['predictions'], expected, rtol=0, atol=1e-9)
    assert answer.headers['X-Model-Version'] == str(other.version)  # the version asked for, not followed
    assert four.status_code == 413 and 'at most 3 per request' in four.json()['message']
    assert large.status_code == 413 and 'at most 1000 bytes a request' in large.json()['message']
    assert (
        f'serving models:/{MODEL}/{other.version} on http://127.0.0.1:{port}/invocations with 1 workers, '
        'at most 3 trips and 1000 bytes a request' in log.read_text()
    )
    assert 'following the alias' not in log.read_text()  # only models:/<name>@champion is followed
    refused = run_command(
        ['bash', 'scripts/serve.sh', '--no-such-option'],
        cwd=REPO_ROOT,
        timeout=300,
        env={**env, 'MODEL_SERVER_PORT': str(free_port())},
    )
    assert refused.returncode != 0 and '--no-such-option' in refused.stderr, refused.stderr[-2000:]
    bad_limit = run_command(
        ['bash', 'scripts/serve.sh'],
        cwd=REPO_ROOT,
        timeout=300,
        env={**env, 'MODEL_SERVER_PORT': str(free_port()), 'MLOPS_MAX_RECORDS': 'lots'},
    )
    assert bad_limit.returncode == 1, bad_limit.stderr[-2000:]
    assert "error: MLOPS_MAX_RECORDS must be a positive integer, got 'lots'" in bad_limit.stderr


@pytest.mark.slow
def test_without_a_store_it_says_so_before_starting(tmp_path):
    without_tracking_uri = {k: v for k, v in os.environ.items() if k != 'MLFLOW_TRACKING_URI'}
    result = run_command(
        ['bash', str(REPO_ROOT / 'scripts' / 'serve.sh')],
        cwd=tmp_path,
        timeout=300,
        env={**without_tracking_uri, 'MLOPS_DATA_DIR': str(tmp_path / 'nothing')},
    )
    assert result.returncode == 1, result.stderr
    assert f'no MLflow store at {tmp_path / "nothing" / "mlflow" / "mlflow.db"}' in result.stderr


def test_only_a_model_server_freezes_the_heap_when_loading_the_model(data, monkeypatch):
    """scripts/serve.sh asks for it (MLOPS_SERVING_FREEZE_GC=1); anywhere else (training,
    the registry re-scoring a champion, a notebook) loading the model changes nothing."""
    from mlops.utils.model_code import model as model_module

    frozen = []
    monkeypatch.setattr(model_module, 'freeze_heap', lambda: frozen.append(True))
    model = TripDurationModel(data.dv, None)
    monkeypatch.delenv(model_module.FREEZE_GC_ENV_VAR, raising=False)
    model.load_context(None)
    assert not frozen
    monkeypatch.setenv(model_module.FREEZE_GC_ENV_VAR, '1')
    model.load_context(None)
    assert frozen == [True]
