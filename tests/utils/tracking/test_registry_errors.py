"""Registry errors are errors: only "no such registered model" or "no such alias" (MLflow's
own answers, from a real store) mean there is no champion; a registry that does not answer
(a real closed port) raises a named error and nothing is registered or promoted. A champion
whose artifacts are gone fails the registration naming the version and what is missing."""

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import mlflow
import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from mlops.utils.tracking import registry
from mlops.utils.tracking.loading import BrokenModelError
from mlops.utils.tracking.mlflow_setup import RegistryError
from mlops.utils.tracking.registry import register_and_promote
from mlops.utils.tracking.schema import CHAMPION, champion_version
from testkit.servers import free_port
from tests.utils.tracking.constant_versions import log_constant, register

MODEL = 'test-model'  # the tracking_store fixture's registered model name


@pytest.fixture(scope='module')
def best(synthetic_data):
    return float(np.mean(synthetic_data.y_val))


def artifact_folder(version: str) -> Path:
    """Where MLflow says the version's model files are."""
    return Path(urlparse(MlflowClient().get_model_version_download_uri(MODEL, version)).path)


def test_no_registered_model_and_no_alias_mean_no_champion(tracking_store):
    client = MlflowClient()
    assert champion_version(client, MODEL) is None  # MLflow: RESOURCE_DOES_NOT_EXIST
    client.create_registered_model(MODEL)
    assert champion_version(client, MODEL) is None  # MLflow: INVALID_PARAMETER_VALUE, and no alias on the model


def test_an_unreachable_registry_is_an_error_naming_it():
    uri = f'http://127.0.0.1:{free_port()}'  # nothing listens there
    with pytest.raises(
        RegistryError,
        match=f"the MLflow registry at {uri} could not tell the champion version of '{MODEL}' \\(INTERNAL_ERROR\\)",
    ):
        champion_version(MlflowClient(uri), MODEL)


def test_a_registry_gone_mid_run_registers_and_promotes_nothing(tracking_store, synthetic_data, best):
    first = register(tracking_store, synthetic_data, best + 3)
    uri, rmse, validation = log_constant(tracking_store, synthetic_data, best)  # better: it would become champion
    store = mlflow.get_tracking_uri()
    closed = f'http://127.0.0.1:{free_port()}'
    mlflow.set_tracking_uri(closed)  # the registry stops answering once the model is logged
    try:
        with pytest.raises(RegistryError, match=f'the MLflow registry at {closed} could not tell') as raised:
            register_and_promote(uri, rmse, validation)
    finally:
        mlflow.set_tracking_uri(store)
    assert 'Connection refused' in str(raised.value)
    client = MlflowClient()
    assert [str(v.version) for v in client.search_model_versions(f"name = '{MODEL}'")] == [first.version]
    assert str(client.get_model_version_by_alias(MODEL, CHAMPION).version) == first.version


def test_a_champion_whose_artifacts_are_gone_fails_the_run_naming_it_and_the_challenger_says_so(
    tracking_store, synthetic_data, best
):
    good = register(tracking_store, synthetic_data, best + 4)
    broken = register(tracking_store, synthetic_data, best + 2)
    folder = artifact_folder(broken.version)
    shutil.rmtree(folder)
    with pytest.raises(BrokenModelError) as raised:
        register(tracking_store, synthetic_data, best)
    message = str(raised.value)
    location = MlflowClient().get_model_version_download_uri(MODEL, broken.version)
    assert message.startswith(
        f'{MODEL} version {broken.version} cannot be loaded: nothing is stored at {location} (its artifacts are gone)'
    )
    assert 'python -m mlops.utils.tracking.rollback' in message
    client = MlflowClient()
    newest = max(client.search_model_versions(f"name = '{MODEL}'"), key=lambda v: int(v.version))
    assert newest.tags['role'] == f'not compared: the champion (version {broken.version}) cannot be loaded'
    assert str(client.get_model_version_by_alias(MODEL, CHAMPION).version) == broken.version != good.version


def test_a_missing_model_file_is_named(tracking_store, synthetic_data, best):
    register(tracking_store, synthetic_data, best + 2)
    champion = str(MlflowClient().get_model_version_by_alias(MODEL, CHAMPION).version)
    pickle = artifact_folder(champion) / 'python_model.pkl'
    os.remove(pickle)
    with pytest.raises(BrokenModelError, match=f'{MODEL} version {champion} cannot be loaded: {pickle} is missing'):
        register(tracking_store, synthetic_data, best)


def test_force_replaces_a_broken_champion(tracking_store, synthetic_data, best):
    broken = register(tracking_store, synthetic_data, best + 2)
    shutil.rmtree(artifact_folder(broken.version))
    forced = register(tracking_store, synthetic_data, best + 3, promote='force')
    assert forced.promoted
    assert MlflowClient().get_model_version(MODEL, forced.version).tags['role'] == (
        f'promoted to champion (promote=force), auto would say: not compared: the champion (version '
        f'{broken.version}) cannot be loaded'
    )


def test_a_failure_while_comparing_leaves_the_version_with_a_role_and_the_alias(
    tracking_store, synthetic_data, best, monkeypatch
):
    champion = register(tracking_store, synthetic_data, best + 2)

    def failing(*args, **kwargs):
        raise RuntimeError('the disk is full')

    monkeypatch.setattr(registry, 'champion_rmse_on', failing)
    with pytest.raises(RuntimeError):
        register(tracking_store, synthetic_data, best)
    client = MlflowClient()
    newest = max(client.search_model_versions(f"name = '{MODEL}'"), key=lambda v: int(v.version))
    assert newest.tags['role'] == 'not compared: registration failed (RuntimeError: the disk is full)'
    assert str(client.get_model_version_by_alias(MODEL, CHAMPION).version) == champion.version
