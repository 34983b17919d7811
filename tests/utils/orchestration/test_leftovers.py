"""A killed runner leaves nothing working on the state: killed alone (SIGKILL), its headless
child cancels its run and ends Mage's queue processes (the kernel's parent-death signal);
killed together with that child, the processes Mage forked live on until the next runner,
which stops them, says so, cancels the run and runs its own. Through the runner's command
line, on a real Mage database, with a year of taxi months so the run is still going."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import psutil
import pytest

from testkit.chain import REPO_ROOT, chain_env, summaries
from testkit.commands import run_ok

pytestmark = pytest.mark.slow
YEAR = {'start_month': '2023-01', 'end_month': '2023-12', 'split_on_feature_value': '2023-12-01'}
RUNNER = [sys.executable, '-m', 'mlops.utils.orchestration', '--pipelines', 'data_preparation']


def run_statuses(root: Path) -> Dict[int, str]:
    """Mage's own record of the state's runs: ``{id: status}``."""
    database = root / 'mage' / 'mlops' / 'mage-ai.db'
    with sqlite3.connect(database) as connection:
        return {i: s.lower() for i, s in connection.execute('select id, status from pipeline_run')}


def start_runner(root: Path, shared_data: Path) -> subprocess.Popen:
    env = chain_env(root, {'MLOPS_RUN_VARS': json.dumps({**YEAR, 'data_source': str(shared_data)})})
    return subprocess.Popen(RUNNER, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def running_tree(runner: subprocess.Popen, root: Path) -> List[psutil.Process]:
    """The headless child and what it started, once its run is running in Mage's database."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        children = psutil.Process(runner.pid).children()
        if children and 'running' in run_statuses(root).values():
            time.sleep(1)  # Mage's queue has forked its processes by now
            return [children[0], *children[0].children(recursive=True)]
        assert runner.poll() is None, runner.communicate()
        time.sleep(0.3)
    raise AssertionError('the run was not running within 180 s')


def test_a_runner_killed_alone_takes_its_run_and_mages_processes_with_it(tmp_path, shared_data):
    runner = start_runner(tmp_path, shared_data)
    tree = running_tree(runner, tmp_path)
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    _, alive = psutil.wait_procs(tree, timeout=60)
    assert not alive, [(p.pid, p.cmdline()) for p in alive]
    assert list(run_statuses(tmp_path).values()) == ['cancelled']
    log = (tmp_path / 'data' / 'logs' / 'headless-unit_1_data_preparation-data_preparation.log').read_text()
    assert 'stopped by SIGTERM (the runner that started this process ended' in log


def test_the_next_runner_stops_what_a_killed_runner_and_its_child_left(tmp_path, shared_data):
    runner = start_runner(tmp_path, shared_data)
    headless, *forked = running_tree(runner, tmp_path)
    headless.kill()  # no signal is left for what it forked
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    time.sleep(2)
    left = [p for p in forked if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert left, 'Mage forked queue processes that outlive a killed headless process'
    scratch = tmp_path / 'mage' / 'mlops' / 'runner-scratch'
    assert [p.name[:10] for p in scratch.iterdir()] == ['mlops-run-']  # the killed runner's files
    after = run_ok(
        RUNNER,
        cwd=REPO_ROOT,
        env=chain_env(tmp_path, {'MLOPS_RUN_VARS': json.dumps({'data_source': str(shared_data)})}),
        timeout=600,
    )
    pids = ', '.join(str(p.pid) for p in sorted(left, key=lambda p: p.pid))
    assert f'stopped {len(left)} processes a killed runner left on this state (pids {pids})' in after.stderr
    assert not [p for p in left if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert list(scratch.iterdir()) == []
    statuses = run_statuses(tmp_path)
    [line] = summaries(after)
    assert statuses.pop(line['pipeline_run_id']) == 'completed'
    assert list(statuses.values()) == ['cancelled']  # the killed runner's run
