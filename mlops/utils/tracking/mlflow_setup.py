"""Where MLflow tracks: ``MLFLOW_TRACKING_URI``, else an embedded SQLite store and local
artifacts under the repository's data folder (never the current directory)."""
from __future__ import annotations

import fcntl
import os
import subprocess
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


_SCHEMA_READY: set = set()
_SCHEMA_CHECK = (
    'import sys; from mlflow.tracking import MlflowClient; '
    'MlflowClient(sys.argv[1]).search_experiments(max_results=1)'
)


def ensure_schema(uri: str) -> None:
    """Create or upgrade a database store's schema in a child process.

    MLflow migrates with alembic, whose logging setup adds a stderr handler to the root
    logger; inside a Mage block, stderr feeds Mage's logger, which propagates to the root
    logger, so every line logs itself again without end. A child process has its own stderr.
    """
    if uri in _SCHEMA_READY or uri.startswith(('http://', 'https://', 'databricks')):
        return
    result = subprocess.run([sys.executable, '-c', _SCHEMA_CHECK, uri], capture_output=True, text=True)
    if result.returncode != 0:
        raise TrackingError(f'MLflow tracking at {uri} cannot be used: {result.stderr.strip().splitlines()[-1:]}')
    _SCHEMA_READY.add(uri)


def fix_table_check() -> None:
    """MLflow 3.2's ``_all_tables_exist`` compares against a list that lacks its newer tables
    (mlflow/mlflow#22096), so it is always False: every store created re-runs the alembic
    migrations, slowly, with the logging setup described in ``ensure_schema``. Here a store
    counts as initialized when every table of MLflow's own models exists."""
    import sqlalchemy
    from mlflow.store.db import utils as db_utils
    from mlflow.store.db.base_sql_model import Base
    from mlflow.store.model_registry.dbmodels import models as _registry_models  # noqa: F401
    from mlflow.store.tracking.dbmodels import models as _tracking_models  # noqa: F401

    if getattr(db_utils._all_tables_exist, 'checks_every_table', False):
        return

    def all_tables_exist(engine) -> bool:
        return set(Base.metadata.tables) <= set(sqlalchemy.inspect(engine).get_table_names())

    all_tables_exist.checks_every_table = True
    db_utils._all_tables_exist = all_tables_exist


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
        with file_lock('mlflow-setup'):  # one process creates the schema and the experiment
            ensure_schema(uri)
            fix_table_check()
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
