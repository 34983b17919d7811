"""The Mage container's first-start step on AWS, against a real PostgreSQL: the URL without a
password (PGPASSWORD supplies it, as ECS does from the RDS secret)."""

import os
import subprocess
import sys

import psycopg2
import pytest

from mlops.utils.deploying.database import ensure_database
from testkit.chain import REPO_ROOT
from testkit.servers import PostgresServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def server():
    with PostgresServer(['mlflow']) as postgres:
        yield postgres


def test_the_database_is_created_once(server, monkeypatch):
    monkeypatch.setenv('PGPASSWORD', server.password)
    url = f'postgresql+psycopg2://{server.user}@127.0.0.1:{server.port}/mage'
    assert ensure_database(url) is True
    assert ensure_database(url) is False
    psycopg2.connect(server.url('mage')).close()
    assert ensure_database(f'postgresql+psycopg2://{server.user}@127.0.0.1:{server.port}/mlflow') is False


def test_the_module_runs_as_the_container_command_does(server):
    env = {
        **os.environ,
        'PGPASSWORD': server.password,
        'PYTHONPATH': str(REPO_ROOT),
        'MAGE_DATABASE_CONNECTION_URL': f'postgresql+psycopg2://{server.user}@127.0.0.1:{server.port}/mage_cli',
    }
    command = [sys.executable, '-m', 'mlops.utils.deploying.database']
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert (first.returncode, first.stdout) == (0, 'database mage_cli created\n'), first.stderr
    assert (second.returncode, second.stdout) == (0, 'database mage_cli exists\n')
