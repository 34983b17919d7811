"""``mage_internals.stop_run`` cancels a run even when a signal interrupted a query of the
session just before (the headless child's SIGTERM raises inside SQLAlchemy's fetch: seen once in
a full test run, the run stayed ``running``). On a real Mage database, in a process of its own."""

from __future__ import annotations

import os
import sys
import textwrap

import pytest

from testkit.chain import REPO_ROOT
from testkit.commands import run_ok
from testkit.mage_database import seeded

pytestmark = pytest.mark.slow

# Prints "status: <run status after stop_run>".
INTERRUPTED_THEN_STOPPED = textwrap.dedent("""
    from pathlib import Path
    from mlops.utils.orchestration import mage_internals as mage
    mage.bind_project(Path('mlops/unit_1_data_preparation').resolve())
    from mage_ai.orchestration.db import db_connection
    run = mage.insert_run('data_preparation', {})
    db_connection.session.connection().invalidate()  # what an exception raised mid-fetch leaves
    mage.stop_run(run)
    print('status:', mage.run_status(run), flush=True)
""")


def test_a_run_is_cancelled_after_an_interrupted_query(tmp_path):
    env = {
        **os.environ,
        'PYTHONPATH': str(REPO_ROOT),
        'MAGE_DATA_DIR': str(tmp_path / 'mage'),
        'MLOPS_DATA_DIR': str(tmp_path / 'data'),
    }
    env.pop('MAGE_DATABASE_CONNECTION_URL', None)
    seeded(tmp_path / 'mage')
    result = run_ok([sys.executable, '-c', INTERRUPTED_THEN_STOPPED], cwd=REPO_ROOT, env=env, timeout=300)
    assert 'status: cancelled' in result.stdout, result.stdout[-2000:] + result.stderr[-2000:]
