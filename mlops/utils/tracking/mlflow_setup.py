"""Where MLflow tracks: ``MLFLOW_TRACKING_URI``, else an embedded SQLite store and local
artifacts under the repository's data folder (never the current directory)."""

from __future__ import annotations

import fcntl
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from mlops.utils.errors import ConfigError
from mlops.utils.paths import data_dir

EXPERIMENT_ENV_VAR = 'MLFLOW_EXPERIMENT_NAME'
DEFAULT_EXPERIMENT = 'nyc-taxi-duration'


class TrackingError(ConfigError):
    """The tracking server cannot be used; raised before any training starts."""


class RegistryError(TrackingError):
    """The model registry did not answer a question (no connection, a server error): never
    taken for "no such model" or "no champion"; the message names the registry."""


def mlflow_dir() -> Path:
    return data_dir() / 'mlflow'


def tracking_uri() -> str:
    return os.environ.get('MLFLOW_TRACKING_URI') or f'sqlite:///{mlflow_dir() / "mlflow.db"}'


def experiment_name() -> str:
    return os.environ.get(EXPERIMENT_ENV_VAR) or DEFAULT_EXPERIMENT


@contextmanager
def file_lock(name: str) -> Iterator[None]:
    """Serializes a critical section across the processes of this machine (Mage block runs)."""
    path = data_dir() / 'locks' / f'{name}.lock'
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'w') as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def connect() -> str:
    """Point MLflow at the tracking store, check it answers, make sure the experiment
    exists; returns the experiment id. TrackingError if the store cannot be used."""
    import mlflow
    from mlflow.tracking import MlflowClient

    uri = tracking_uri()
    embedded = uri == f'sqlite:///{mlflow_dir() / "mlflow.db"}'
    if embedded:
        mlflow_dir().mkdir(parents=True, exist_ok=True)
    os.environ.setdefault('MLFLOW_HTTP_REQUEST_MAX_RETRIES', '1')
    os.environ.setdefault('MLFLOW_HTTP_REQUEST_TIMEOUT', '10')
    mlflow.set_tracking_uri(uri)
    try:
        with file_lock('mlflow-setup'):  # one process creates (or migrates) the schema and the experiment
            client = MlflowClient(uri)
            experiment = client.get_experiment_by_name(experiment_name())
            if experiment is None:
                artifacts = (mlflow_dir() / 'artifacts').as_uri() if embedded else None
                return client.create_experiment(experiment_name(), artifact_location=artifacts)
            return experiment.experiment_id
    except TrackingError:
        raise
    except Exception as error:
        raise TrackingError(f'MLflow tracking at {uri} cannot be used: {error}') from error


# MLflow's SQL stores keep one SQLAlchemy engine per database for the whole process.
_SQL_STORE_MODULES = ('mlflow.store.tracking.sqlalchemy_store', 'mlflow.store.model_registry.sqlalchemy_store')
_fork_hook_installed = False


def _own_connections_after_fork() -> None:
    """In a forked child: new pooled connections for MLflow's engines (SQLAlchemy's recipe,
    ``dispose(close=False)``), so parent and child never share one database connection. The
    stores stay cached, so the child skips their schema checks."""
    for name in _SQL_STORE_MODULES:
        module = sys.modules.get(name)
        if module is not None:
            for engine in list(module.SqlAlchemyStore._engine_map.values()):
                engine.dispose(close=False)


def keep_connections_per_process() -> None:
    """Let a process that used MLflow fork workers that use it too (Mage's scheduler does)."""
    global _fork_hook_installed
    if not _fork_hook_installed:
        os.register_at_fork(after_in_child=_own_connections_after_fork)
        _fork_hook_installed = True
