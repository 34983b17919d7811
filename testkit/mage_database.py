"""A migrated copy of the platform's Mage database for each fresh ``MAGE_DATA_DIR`` of a test.

Every headless run and server on a new state folder would otherwise run all of Mage's alembic
migrations on an empty SQLite file (2-3 s of CPU each, about fifty times a test run). The
template is migrated once per test session by the same code the runner uses
(``mage_internals.bind_project``), so it holds exactly the schema a fresh run makes and no rows
but alembic's version; a state folder that already has a database keeps it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mlops.utils.paths import REPO_ROOT
from testkit.commands import run_ok
from testkit.templates import Template

TEMPLATE_ENV = 'MLOPS_TESTS_MAGE_TEMPLATE'  # inherited by the processes the tests start (benchmarks)
DATABASE = Path('mlops') / 'mage-ai.db'  # under MAGE_DATA_DIR, as platform_state.database_url has it
MIGRATE = (
    'from pathlib import Path; from mlops.utils.orchestration import mage_internals as m; '
    "m.bind_project(Path('mlops/unit_1_data_preparation'))"
)


def _migrated(folder: Path) -> Path:
    env = {
        **os.environ,
        'MAGE_DATA_DIR': str(folder / 'mage'),
        'MLOPS_DATA_DIR': str(folder / 'data'),
        'PYTHONPATH': str(REPO_ROOT),
    }
    env.pop('MAGE_DATABASE_CONNECTION_URL', None)
    run_ok([sys.executable, '-c', MIGRATE], cwd=REPO_ROOT, env=env, timeout=300)
    return folder / 'mage' / DATABASE


MAGE_TEMPLATE = Template(TEMPLATE_ENV, _migrated)


def template() -> Path:
    """The session's migrated database file, built on first use."""
    return MAGE_TEMPLATE.path()


def seeded(mage_data_dir: Path) -> Path:
    """``mage_data_dir`` with the migrated template as its database, unless it has one."""
    MAGE_TEMPLATE.copy_to(Path(mage_data_dir) / DATABASE)
    return Path(mage_data_dir)
