"""Mage's job-queue processes never share their parent's PostgreSQL connection (slow layer)."""

from __future__ import annotations

import json
import sys

import pytest

from testkit.commands import run_ok
from testkit.servers import REPO_ROOT

pytestmark = pytest.mark.slow

# A parent process bound to a sub-project as the runner binds it, a query that leaves a
# connection in the pool, then a child forked as Mage's ProcessQueue forks its workers, which
# opens a session as Mage's Worker does and asks the server which backend answers it.
PROBE = """
import json, multiprocessing, sys
from pathlib import Path
from sqlalchemy import text
from mlops.utils.orchestration import mage_internals
from mlops.utils.orchestration.workarounds import fork_safety

if sys.argv[1] == 'off':
    fork_safety.install_fork_safety = lambda: None
mage_internals.bind_project(Path(sys.argv[2]))
from mage_ai.orchestration.db import db_connection

def backend():
    return db_connection.session.execute(text('SELECT pg_backend_pid()')).scalar()

def child(answers):
    db_connection.start_session(force=True)
    answers.put(backend())

parent = backend()
db_connection.session.commit()  # the connection goes back to the pool, as between ticks
answers = multiprocessing.Queue()
process = multiprocessing.Process(target=child, args=(answers,))
process.start()
forked = answers.get(timeout=60)
process.join()
print(json.dumps({'parent': parent, 'child': forked, 'parent_after': backend()}))
"""


def backends(tmp_path, postgres, hook: str) -> dict:
    env = {
        'MAGE_DATABASE_CONNECTION_URL': postgres.url('mage', driver='postgresql+psycopg2'),
        'MAGE_DATA_DIR': str(tmp_path / 'mage'),
        'PYTHONPATH': str(REPO_ROOT),
    }
    result = run_ok(
        [sys.executable, '-c', PROBE, hook, str(REPO_ROOT / 'mlops' / 'unit_1_data_preparation')],
        cwd=tmp_path,
        env={**__import__('os').environ, **env},
        timeout=180,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_the_hook_a_forked_worker_takes_the_parents_connection(tmp_path, postgres):
    """The upstream behaviour the hook works around: if Mage ever disposes its pool before
    forking, this fails and the workaround can go."""
    seen = backends(tmp_path, postgres, 'off')
    assert seen['child'] == seen['parent']


def test_with_the_hook_every_forked_worker_has_its_own_connection(tmp_path, postgres):
    seen = backends(tmp_path, postgres, 'on')
    assert seen['child'] != seen['parent']
    assert seen['parent_after'] == seen['parent']  # the parent's connection survived the child
