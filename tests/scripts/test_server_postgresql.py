"""The UI server on PostgreSQL (the docker-compose shape) runs pipelines without crashing."""

from __future__ import annotations

import json
import re
import sys

import pytest

from testkit.commands import run_ok
from testkit.servers import REPO_ROOT, mage_server

pytestmark = pytest.mark.slow
PROJECT = REPO_ROOT / 'mlops' / 'unit_1_data_preparation'
RUNS = 3

# Inserts runs as an API trigger does, into the database the server schedules from, then
# reports their statuses until every one has ended (the server's scheduler runs them).
CLIENT = """
import json, sys, time
from pathlib import Path
from mlops.utils.orchestration import mage_internals as mage

mage.bind_project(Path(sys.argv[1]))
variables = json.loads(sys.argv[2])
runs = [mage.insert_run('data_preparation', variables) for _ in range(int(sys.argv[3]))]
deadline = time.monotonic() + float(sys.argv[4])
while time.monotonic() < deadline:
    statuses = [mage.run_status(run) for run in runs]
    if all(s in ('completed', 'failed', 'cancelled') for s in statuses):
        break
    time.sleep(1)
print(json.dumps(statuses))
"""


def test_the_server_runs_pipelines_on_postgresql(tmp_path, postgres, shared_data):
    url = postgres.url('mage', driver='postgresql+psycopg2')
    env = {
        'MAGE_DATABASE_CONNECTION_URL': url,
        'MLOPS_DATA_SOURCE': str(shared_data),
        'MLOPS_DATA_DIR': str(tmp_path / 'data'),
        'SCHEDULER_TRIGGER_INTERVAL': '1',
        'REQUIRE_USER_AUTHENTICATION': '1',
    }
    server = mage_server(tmp_path, env=env)
    with server:
        client_env = {**server.env, 'PYTHONPATH': str(REPO_ROOT)}
        result = run_ok(
            [
                sys.executable,
                '-c',
                CLIENT,
                str(PROJECT),
                json.dumps({'data_source': str(shared_data)}),
                str(RUNS),
                '600',
            ],
            cwd=tmp_path,
            env=client_env,
            timeout=700,
        )
        statuses = json.loads(result.stdout.strip().splitlines()[-1])
    log = server.log_path.read_text(errors='replace')
    assert statuses == ['completed'] * RUNS, log[-3000:]
    assert not re.findall(r'PGRES_TUPLES_OK|psycopg2\.\w*Error', log)
