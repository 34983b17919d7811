"""The Mage container's first-start step on AWS, against a real PostgreSQL: the URL without a
password (PGPASSWORD supplies it, as ECS does from the RDS secret)."""

import os
import sys

import psycopg2
import pytest

from mlops.utils.deploying.database import ensure_database
from testkit.chain import REPO_ROOT
from testkit.commands import run_ok
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
    first = run_ok(command, env=env, timeout=60)
    second = run_ok(command, env=env, timeout=60)
    assert first.stdout == 'database mage_cli created\n', first.stderr
    assert second.stdout == 'database mage_cli exists\n'
