"""Which model the model server serves (mlops/utils/inference/follow_champion.py), asked of a real
MLflow store: the champion's version, downloaded and named in the server's pointer when the alias
moves; a version it must not serve (artifacts gone, another target) is said once and not tried
again until the alias moves; a registry that does not answer (nothing listening on its port) is
said once and never read as "no champion"."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Dict, List
from urllib.parse import urlparse

import numpy as np
import pytest
from mlflow.pyfunc import PythonModel
from mlflow.tracking import MlflowClient

from mlops.utils.errors import ConfigError
from mlops.utils.inference.follow_champion import Follower, followed_model, poll_seconds, start
from mlops.utils.inference.scoring_app import read_pointer
from mlops.utils.tracking.schema import CONTRACT_TARGET, CONTRACT_TARGET_UNIT
from testkit.servers import free_port

MODEL = 'test-model'
CHAMPION_URI = f'models:/{MODEL}@champion'


class Minutes(PythonModel):
    def predict(self, context, model_input, params=None):
        return np.full(len(model_input), 10.0)


@pytest.fixture
def versions(tracking_store) -> Dict[str, str]:
    """Three registered versions of MODEL; version 1 the champion."""
    import mlflow

    made = {}
    for _ in range(3):
        with mlflow.start_run(experiment_id=tracking_store):
            info = mlflow.pyfunc.log_model(name='model', python_model=Minutes())
        made[str(mlflow.register_model(info.model_uri, MODEL).version)] = info.model_uri
    MlflowClient().set_registered_model_alias(MODEL, 'champion', '1')
    return made


@pytest.fixture
def said() -> List[str]:
    return []


def test_which_uri_is_followed_and_how_often(monkeypatch):
    assert followed_model(CHAMPION_URI) == MODEL
    assert followed_model(f'models:/{MODEL}/3') is None and followed_model(f'models:/{MODEL}@staging') is None
    monkeypatch.delenv('MODEL_SERVER_POLL_SECONDS', raising=False)
    assert poll_seconds() == 2.0
    monkeypatch.setenv('MODEL_SERVER_POLL_SECONDS', '0.5')
    assert poll_seconds() == 0.5
    for bad in ('0', '-1', 'often', 'inf', 'nan'):
        monkeypatch.setenv('MODEL_SERVER_POLL_SECONDS', bad)
        with pytest.raises(
            ConfigError, match=f"MODEL_SERVER_POLL_SECONDS must be a positive number of seconds, got '{bad}'"
        ):
            poll_seconds()


def test_no_champion_stops_the_start_naming_it(tracking_store, tmp_path):
    with pytest.raises(ConfigError, match="model 'test-model' has no 'champion' version yet: train first"):
        start(MlflowClient(), CHAMPION_URI, str(tmp_path))


def test_the_champion_is_followed_and_a_broken_one_is_said_once_until_the_alias_moves(versions, tmp_path, said):
    client, folder = MlflowClient(), str(tmp_path / 'serving')
    os.makedirs(folder)
    assert start(client, CHAMPION_URI, folder) == f'{CHAMPION_URI} (version 1, following the alias: asked every 2 s)'
    first = read_pointer(folder)
    assert (first.model, first.uri, [(m.generation, m.version) for m in first.models]) == (
        MODEL,
        CHAMPION_URI,
        [(1, '1')],
    )
    assert (Path(first.models[0].path) / 'MLmodel').is_file()  # the model itself, downloaded

    follower = Follower(client, folder, said.append)
    follower.poll()
    assert said == [] and read_pointer(folder) == first  # the alias has not moved

    client.set_registered_model_alias(MODEL, 'champion', '2')
    follower.poll()
    assert said == [
        'the champion of test-model moved from version 1 to version 2: downloaded; each worker loads and checks it, then answers with it'
    ]
    second = read_pointer(folder)
    assert [(m.generation, m.version) for m in second.models] == [(2, '2'), (1, '1')]
    assert (Path(second.models[0].path) / 'MLmodel').is_file()

    location = client.get_model_version_download_uri(MODEL, '3')
    shutil.rmtree(urlparse(location).path)  # version 3's artifacts are gone
    client.set_registered_model_alias(MODEL, 'champion', '3')
    said.clear()
    follower.poll()
    follower.poll()  # still version 3: not tried again
    assert said == [
        f'test-model version 3 cannot be loaded: nothing is stored at {location} (its artifacts are gone): it is not '
        'served, the workers keep the model they answer with. Tried again when the alias moves.'
    ]
    assert read_pointer(folder) == second
    assert not [p for p in os.listdir(Path(folder) / 'versions') if p.startswith('.')]  # no partial download left

    client.set_registered_model_alias(MODEL, 'champion', '2')  # back to the version named: nothing to fetch
    follower.poll()
    client.set_registered_model_alias(MODEL, 'champion', '3')  # moved again: tried again
    follower.poll()
    assert len(said) == 2 and said[1] == said[0] and read_pointer(folder) == second

    client.set_model_version_tag(MODEL, '1', CONTRACT_TARGET, 'trip_distance')
    client.set_model_version_tag(MODEL, '1', CONTRACT_TARGET_UNIT, 'miles')
    client.set_registered_model_alias(MODEL, 'champion', '1')
    follower.poll()
    assert said[2] == (
        'test-model version 1 cannot be the champion: its target trip_distance (miles) is not what the champion '
        'serves: duration (minutes): it is not served, the workers keep the model they answer with. Tried again '
        'when the alias moves.'
    )
    assert read_pointer(folder) == second

    client.delete_registered_model_alias(MODEL, 'champion')
    follower.poll()
    follower.poll()
    assert said[3:] == ['test-model has no champion alias now: the workers keep the model they answer with']
    assert read_pointer(folder) == second


def test_a_registry_that_does_not_answer_is_said_once_and_the_pointer_stays(versions, tmp_path, said, monkeypatch):
    monkeypatch.setenv('MLFLOW_HTTP_REQUEST_MAX_RETRIES', '0')
    monkeypatch.setenv('MLFLOW_HTTP_REQUEST_TIMEOUT', '5')
    client, folder = MlflowClient(), str(tmp_path)
    start(client, CHAMPION_URI, folder)
    named = read_pointer(folder)
    follower = Follower(client, folder, said.append)
    down = f'http://127.0.0.1:{free_port()}'  # nothing listens there
    follower.client = MlflowClient(down, down)
    follower.poll()
    follower.poll()
    assert len(said) == 1, said
    assert said[0].startswith(
        'the registry did not answer, the workers keep the model they answer with: the MLflow registry at '
        f"{down} could not tell the champion version of 'test-model'"
    ), said
    assert read_pointer(folder) == named

    follower.client = client  # up again, and the alias moved meanwhile
    client.set_registered_model_alias(MODEL, 'champion', '2')
    follower.poll()
    assert said[1:] == [
        'the registry answers again',
        'the champion of test-model moved from version 1 to version 2: downloaded; each worker loads and checks it, '
        'then answers with it',
    ]


def test_another_uri_is_served_as_it_is(versions, tmp_path):
    client = MlflowClient()
    client.set_registered_model_alias(MODEL, 'staging', '3')
    for uri, version in [(f'models:/{MODEL}/2', '2'), (f'models:/{MODEL}@staging', '3'), (versions['1'], '')]:
        folder = tmp_path / f'{len(os.listdir(tmp_path))}'
        folder.mkdir()
        assert start(client, uri, str(folder)) == uri
        pointer = read_pointer(str(folder))
        assert (pointer.uri, pointer.models[0].version) == (uri, version)
        assert (Path(pointer.models[0].path) / 'MLmodel').is_file()
        with pytest.raises(ConfigError, match=f'the model server serves {uri}, not a champion: nothing to follow'):
            Follower(client, str(folder), print)
