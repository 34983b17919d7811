"""Where MLflow tracks: ``MLFLOW_TRACKING_URI``, else an embedded SQLite store and local
artifacts under the repository's data folder (never the current directory). An MLflow server
(scripts/mlflow_server.sh, docker-compose) asks for a login: MLflow's client sends
``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD``, and a refusal is a TrackingError
naming the server and the user, never the password."""

from __future__ import annotations

import fcntl
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional
from urllib.parse import urlsplit, urlunsplit

from mlops.utils.errors import ConfigError
from mlops.utils.forking import after_fork_in_child
from mlops.utils.paths import data_dir

EXPERIMENT_ENV_VAR = 'MLFLOW_EXPERIMENT_NAME'
DEFAULT_EXPERIMENT = 'nyc-taxi-duration'


class TrackingError(ConfigError):
    """The tracking server cannot be used; raised before any training starts."""


class RegistryError(TrackingError):
    """The model registry did not answer a question (no connection, a server error): never
    taken for "no such model" or "no champion"; the message names the registry."""


def mlflow_dir(data_root: Optional[Path] = None) -> Path:
    """The embedded store's folder under ``data_root`` (default: the project's data folder)."""
    return (data_root or data_dir()) / 'mlflow'


def embedded_database(data_root: Optional[Path] = None) -> Path:
    return mlflow_dir(data_root) / 'mlflow.db'


def tracking_uri() -> str:
    return os.environ.get('MLFLOW_TRACKING_URI') or f'sqlite:///{embedded_database()}'


def shown_uri(uri: str) -> str:
    """``uri`` for a message: a password in it (``http://user:secret@host``) is masked."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.netloc.rpartition('@')[2]
    return urlunsplit(parts._replace(netloc=f'{parts.username}:***@{host}'))


def refusal(uri: str, status: int) -> str:
    """What an MLflow server's 401 (no or wrong login) or 403 (signed in, not allowed) means,
    naming the server and the user the client sent (MLflow's client reads the same variables)."""
    in_uri = urlsplit(uri)  # http://user:password@host also signs in
    user = os.environ.get('MLFLOW_TRACKING_USERNAME') or in_uri.username
    token = os.environ.get('MLFLOW_TRACKING_TOKEN')
    signed_in = bool(user and (os.environ.get('MLFLOW_TRACKING_PASSWORD') or in_uri.password)) or bool(token)
    where = f'MLflow tracking at {shown_uri(uri)}'
    who = f'user {user!r}' if user else 'the MLFLOW_TRACKING_TOKEN'
    if status == 403:
        return (
            f'{where} does not allow {who} what this needs (HTTP 403): give the user EDIT on the '
            "experiment and the registered model, or sign in as the server's admin"
        )
    if not signed_in:
        return (
            f'{where} asks for a login (HTTP 401) and none is set: set MLFLOW_TRACKING_USERNAME and '
            'MLFLOW_TRACKING_PASSWORD (scripts/mlflow_server.sh: from its credentials file; Docker: from .env)'
        )
    return (
        f'{where} refused {who} (HTTP 401): MLFLOW_TRACKING_PASSWORD is not its password on this '
        'server, or there is no such user'
    )


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


def sibling_experiment(client, training_id: str, suffix: str) -> str:
    """The id of the experiment ``<experiment><suffix>`` (monitoring's, batch scoring's), created
    beside the training one ``training_id`` with its artifacts beside the training ones."""
    name = experiment_name() + suffix
    with file_lock('mlflow-setup'):
        experiment = client.get_experiment_by_name(name)
        if experiment is not None:
            return experiment.experiment_id
        root = client.get_experiment(training_id).artifact_location
        return client.create_experiment(name, artifact_location=root.rstrip('/') + suffix)


def connect() -> str:
    """Point MLflow at the tracking store, check it answers, make sure the experiment
    exists; returns the experiment id. TrackingError if the store cannot be used."""
    import mlflow
    from mlflow.tracking import MlflowClient

    uri = tracking_uri()
    embedded = uri == f'sqlite:///{embedded_database()}'
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
        status = _http_status(error)
        if status in (401, 403):
            raise TrackingError(refusal(uri, status)) from error
        raise TrackingError(f'MLflow tracking at {shown_uri(uri)} cannot be used: {error}') from error


def _http_status(error: Exception) -> Optional[int]:
    """The HTTP status an MLflow server answered with, when ``error`` carries one."""
    status = getattr(error, 'get_http_status_code', None)
    try:
        return int(status()) if callable(status) else None
    except (TypeError, ValueError):
        return None


# MLflow's SQL stores keep one SQLAlchemy engine per database for the whole process.
_SQL_STORE_MODULES = ('mlflow.store.tracking.sqlalchemy_store', 'mlflow.store.model_registry.sqlalchemy_store')


def _new_mlflow_connections() -> None:
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
    after_fork_in_child('MLflow SQL engines', _new_mlflow_connections)
