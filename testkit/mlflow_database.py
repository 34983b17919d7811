"""An empty, migrated copy of MLflow's embedded store for each fresh ``MLOPS_DATA_DIR`` of a test.

A new SQLite tracking store runs all of MLflow's alembic migrations on its first open (about
1.5 s, over a hundred times a test run). The template is made once per test session by MLflow's
own client, then its one row that belongs to a place, the Default experiment (its artifact
folder is the template's), is taken out: a copy opens as a new store does, at the schema's head
with no experiment, and MLflow adds the Default experiment where that store is.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

from mlops.utils.tracking.mlflow_setup import embedded_database
from testkit.commands import run_ok
from testkit.templates import Template

TEMPLATE_ENV = 'MLOPS_TESTS_MLFLOW_TEMPLATE'  # inherited by the processes the tests start
OPEN = 'import sys; from mlflow.tracking import MlflowClient; MlflowClient(sys.argv[1]).search_experiments()'


def _migrated(folder: Path) -> Path:
    database = embedded_database(folder)
    database.parent.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith('MLFLOW_')}
    run_ok([sys.executable, '-c', OPEN, f'sqlite:///{database}'], cwd=folder, env=env, timeout=300)
    with sqlite3.connect(database) as connection:
        (default,) = connection.execute('SELECT count(*) FROM experiments').fetchone()
        assert default == 1, f'a new MLflow store holds {default} experiments, expected its Default one'
        connection.execute('DELETE FROM experiments')
    connection.close()
    return database


MLFLOW_TEMPLATE = Template(TEMPLATE_ENV, _migrated)


def seeded_store(mlops_data_dir: Path) -> Path:
    """``mlops_data_dir`` with an empty migrated MLflow store, unless it has one."""
    MLFLOW_TEMPLATE.copy_to(embedded_database(Path(mlops_data_dir)))
    return Path(mlops_data_dir)
