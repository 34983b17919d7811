"""One runner per state: a second ``run.sh`` on a state a live runner holds is refused at once,
naming it (through the runner's command line); a killed runner's lock is free again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from mlops.utils.orchestration.runner_lock import RunnerLock
from testkit.chain import REPO_ROOT
from testkit.commands import run_command

HOLD = textwrap.dedent("""
    import time
    from mlops.utils.orchestration.runner_lock import RunnerLock
    assert RunnerLock().try_acquire('unit_1_data_preparation/data_preparation')
    print('held', flush=True)
    time.sleep(120)
""")


def test_a_second_runner_is_refused_at_once_and_a_killed_ones_lock_is_free(tmp_path, monkeypatch):
    env = {**os.environ, 'PYTHONPATH': str(REPO_ROOT), 'MAGE_DATA_DIR': str(tmp_path / 'mage')}
    env.pop('MAGE_DATABASE_CONNECTION_URL', None)
    holder = subprocess.Popen([sys.executable, '-c', HOLD], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'held'
        second = run_command(
            [sys.executable, '-m', 'mlops.utils.orchestration', '--pipelines', 'data_preparation'],
            cwd=REPO_ROOT,
            env=env,
            timeout=120,  # a bound: it refuses before any Mage work
        )
        assert second.returncode == 3, second.stderr[-2000:]
        assert f'another ./scripts/run.sh is running on this state (pid {holder.pid}, since ' in second.stderr
        assert 'running unit_1_data_preparation/data_preparation' in second.stderr
        assert f'kill {holder.pid}' in second.stderr
        assert second.stdout == ''  # nothing ran
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    monkeypatch.setenv('MAGE_DATA_DIR', str(tmp_path / 'mage'))
    lock = RunnerLock()
    assert lock.try_acquire('the next run')  # the killed holder's lock went with its process
    assert lock.holder()['pid'] == os.getpid()
    lock.release()


HOLD_THE_LEASE = textwrap.dedent("""
    import time
    from mlops.utils.orchestration.driver_lease import DriverLease
    assert DriverLease().try_acquire()
    print('held', flush=True)
    time.sleep(300)
""")


def test_a_run_handed_to_a_scheduler_that_never_starts_it_ends_naming_it(tmp_path, shared_data):
    """The lease is held by a process that schedules nothing here (as the Docker stack's Mage,
    whose runs are in PostgreSQL, holds the mounted state's lease): the runner's handed run is
    cancelled after MLOPS_HANDOFF_SECONDS and the runner says why, instead of waiting an hour."""
    from testkit.mage_database import seeded

    seeded(tmp_path / 'mage')
    env = {
        **os.environ,
        'PYTHONPATH': str(REPO_ROOT),
        'MAGE_DATA_DIR': str(tmp_path / 'mage'),
        'MLOPS_DATA_DIR': str(tmp_path / 'data'),
        'MLOPS_HANDOFF_SECONDS': '3',
    }
    env.pop('MAGE_DATABASE_CONNECTION_URL', None)
    holder = subprocess.Popen([sys.executable, '-c', HOLD_THE_LEASE], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'held'
        ran = run_command(
            [sys.executable, '-m', 'mlops.utils.orchestration', '--pipelines', 'data_preparation'],
            cwd=REPO_ROOT,
            env={**env, 'MLOPS_RUN_VARS': f'{{"data_source": "{shared_data}"}}'},
            timeout=300,
        )
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert ran.returncode == 1, ran.stderr[-2000:]
    assert '"status": "not started"' in ran.stdout
    assert f'(pid {holder.pid}) did not start run ' in ran.stderr and 'within 3 s' in ran.stderr
