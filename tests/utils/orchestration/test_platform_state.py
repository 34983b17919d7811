"""One database for the platform, one driver of its runs at a time, time triggers on or off."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from mlops.utils.errors import ConfigError
from mlops.utils.orchestration.driver_lease import DriverLease
from mlops.utils.orchestration.platform_state import (
    DATABASE_URL_ENV,
    database_url,
    platform_state_dir,
    use_one_database,
)
from mlops.utils.orchestration.platform_triggers import time_triggers_on, trigger_files
from mlops.utils.paths import REPO_ROOT


def test_the_database_is_the_platforms_whichever_sub_project(monkeypatch, tmp_path):
    # use_one_database() writes os.environ itself: set first, so that undoing puts back absence
    monkeypatch.setenv(DATABASE_URL_ENV, '')
    monkeypatch.delenv(DATABASE_URL_ENV)
    monkeypatch.delenv('MAGE_DATA_DIR', raising=False)
    assert database_url() == f'sqlite:///{REPO_ROOT}/.mage_data/platform/mage-ai.db'
    monkeypatch.setenv('MAGE_DATA_DIR', str(tmp_path))
    assert platform_state_dir() == tmp_path / 'mlops'  # where Mage keeps the platform root's state
    assert use_one_database() == f'sqlite:///{tmp_path}/mlops/mage-ai.db'
    assert (tmp_path / 'mlops').is_dir()
    monkeypatch.setenv(DATABASE_URL_ENV, 'postgresql+psycopg2://mage@db/mage')  # docker-compose's
    assert use_one_database() == 'postgresql+psycopg2://mage@db/mage'


HOLD = """
import sys, time
from pathlib import Path
from mlops.utils.orchestration.driver_lease import DriverLease
lease = DriverLease(Path(sys.argv[1]))
print(lease.try_acquire(), flush=True)
time.sleep(600)
"""


def test_one_driver_at_a_time_and_a_killed_holder_lets_go(tmp_path):
    path = tmp_path / 'scheduler.lock'
    holder = subprocess.Popen(
        [sys.executable, '-c', HOLD, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env={'PYTHONPATH': str(REPO_ROOT)},
    )
    try:
        assert holder.stdout.readline().strip() == 'True'
        lease = DriverLease(path)
        assert not lease.try_acquire() and not lease.held
        holder.kill()
        holder.wait(timeout=30)
        deadline = time.monotonic() + 30
        while not lease.try_acquire() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert lease.held
        assert not DriverLease(path).try_acquire()  # held here now: nobody else
        lease.release()
        assert DriverLease(path).try_acquire()
    finally:
        holder.kill()
        holder.wait()


def test_time_triggers_are_on_unless_turned_off(monkeypatch):
    monkeypatch.delenv('MLOPS_TIME_TRIGGERS', raising=False)
    assert time_triggers_on()
    monkeypatch.setenv('MLOPS_TIME_TRIGGERS', 'OFF')
    assert not time_triggers_on()
    monkeypatch.setenv('MLOPS_TIME_TRIGGERS', 'sometimes')
    with pytest.raises(ConfigError, match="MLOPS_TIME_TRIGGERS must be on or off, got 'sometimes'"):
        time_triggers_on()


def test_every_sub_projects_trigger_files_are_found():
    found = {(project.name, pipeline) for project, pipeline in trigger_files()}
    on_disk = {
        (path.parents[2].name, path.parent.name) for path in (REPO_ROOT / 'mlops').glob('*/pipelines/*/triggers.yaml')
    }
    assert found == on_disk and len(found) >= 3
