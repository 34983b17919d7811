"""The replay, run as docs/replay-and-soak.md gives its short story (four months: training on
2023-01, validating on 2023-02; 2023-03 and 2023-04 arrive; retraining every 2 new months), on
its own state and a free port, with the server's time triggers on. The archive is the shared
data served over HTTP on 127.0.0.1, with every distance of 2023-03 and 2023-04 scaled x3: the
champion breaches on March (one breach: no retraining) and on April (the second of its last
three scored months: monitoring starts one retraining through ``retrain_now``, which the server
runs to its end). The first invocation is stopped with SIGTERM in the middle of 2023-03; the same
command continues it. Then Mage's database and MLflow (not the replay's printout) must tell the
story: every month's trigger runs, once each; monitoring runs in MLflow for each month; the one
retraining monitoring started and its versions; and the soak's figures.

Why it is this long: one replay (minutes) is run once for the module, and each part of its story is
read back from Mage's database and MLflow by a test of its own.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Dict, List, NamedTuple

import pandas as pd
import psutil
import pytest

from mlops.utils.observability.month_evaluation import MONITORING_EXPERIMENT_SUFFIX
from mlops.utils.tracking.mlflow_setup import DEFAULT_EXPERIMENT
from testkit.chain import chain_env
from testkit.commands import run_command
from testkit.servers import REPO_ROOT, free_port
from tests.conftest import TripServer
from tests.readme import page_commands, the_command

pytestmark = pytest.mark.slow
SHORT = './scripts/replay.sh --source ../shared/data --months'
ARRIVING = ['2023-03', '2023-04']
DRIFTED = ('2023-03', '2023-04')
TRIGGERS = {
    'daily_monitoring': 'monitoring',
    'daily_batch_scoring': 'batch_scoring',
    'daily_retraining': 'automatic_retraining',
}
MODEL = 'nyc-taxi-duration'


class Replayed(NamedTuple):
    root: Path
    stopped: subprocess.CompletedProcess
    resumed: subprocess.CompletedProcess
    seconds: float

    @property
    def state(self) -> Dict:
        return json.loads((self.root / 'mage' / 'mlops' / 'replay' / 'replay.json').read_text())


def read_json(path: Path) -> Dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def kill_server(state_file: Path) -> None:
    """The server a replay started (its own session) and everything in it, if still there."""
    pid = (read_json(state_file).get('server') or {}).get('pid')
    if pid:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def drifted_archive(folder: Path, shared_data: Path) -> Path:
    """The shared months up to 2023-02 as they are, ``DRIFTED`` with every distance x3."""
    for month in ('2023-01', '2023-02', *DRIFTED):
        year, number = month.split('-')
        original = shared_data / 'taxi' / 'green' / year / f'{number}.parquet'
        target = folder / 'taxi' / 'green' / year / f'{number}.parquet'
        target.parent.mkdir(parents=True, exist_ok=True)
        if month in DRIFTED:
            trips = pd.read_parquet(original)
            trips['trip_distance'] = trips['trip_distance'] * 3
            trips.to_parquet(target)
        else:
            target.symlink_to(original)
    return folder


@pytest.fixture(scope='module')
def replayed(tmp_path_factory, shared_data) -> Replayed:
    root = tmp_path_factory.mktemp('replay')
    archive = TripServer(drifted_archive(root / 'archive', shared_data))
    command = the_command(page_commands(REPO_ROOT / 'docs' / 'replay-and-soak.md'), SHORT)
    # Later options win: the same command on the drifted archive over HTTP, a shorter catch-up watch.
    command += f' --source {archive.base("ok")} --catch-up-seconds 30'
    env = chain_env(
        root,
        {
            'MAGE_HOST': '127.0.0.1',
            'MAGE_PORT': str(free_port()),
            'MLOPS_VENV': os.environ.get('MLOPS_VENV', str(REPO_ROOT / '.venv')),
        },
    )
    env.pop('PYTHONPATH')  # as a person's shell: replay.sh sets it
    state_file = root / 'mage' / 'mlops' / 'replay' / 'replay.json'
    started = time.monotonic()
    try:
        archive.__enter__()
        with open(root / 'first.log', 'w') as log:
            first = subprocess.Popen(
                ['bash', '-c', command], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            deadline = time.monotonic() + 900
            while 'monitoring' not in read_json(state_file).get('months_runs', {}).get(ARRIVING[0], {}):
                assert first.poll() is None, (root / 'first.log').read_text()[-3000:]
                assert time.monotonic() < deadline, 'the replay made no monitoring run for 2023-03 in 900 s'
                time.sleep(0.5)
            first.send_signal(signal.SIGTERM)  # bash execs the replay: the signal reaches it
            code = first.wait(timeout=60)
        stopped = subprocess.CompletedProcess(command, code, (root / 'first.log').read_text(), '')
        resumed = run_command(['bash', '-c', command], cwd=REPO_ROOT, env=env, timeout=1800)
        yield Replayed(root, stopped, resumed, time.monotonic() - started)
    finally:
        kill_server(state_file)
        archive.__exit__()


def mage_runs(root: Path) -> List[Dict]:
    """Every run in Mage's database: id, pipeline, trigger, status (lower case; Mage stores the enum's name), variables."""
    with sqlite3.connect(root / 'mage' / 'mlops' / 'mage-ai.db') as db:
        rows = db.execute(
            'SELECT r.id, r.pipeline_uuid, s.name, r.status, r.variables FROM pipeline_run r '
            'JOIN pipeline_schedule s ON r.pipeline_schedule_id = s.id ORDER BY r.id'
        ).fetchall()
    return [
        {'id': i, 'pipeline': p, 'trigger': t, 'status': s.lower(), 'variables': json.loads(v or '{}')}
        for i, p, t, s, v in rows
    ]


def mlflow_client(root: Path):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=f'sqlite:///{root / "data" / "mlflow" / "mlflow.db"}')


def monitored(root: Path) -> Dict[str, List[Dict[str, str]]]:
    """The monitoring runs in MLflow, by month: their monitoring.* tags."""
    client = mlflow_client(root)
    experiment = client.get_experiment_by_name(DEFAULT_EXPERIMENT + MONITORING_EXPERIMENT_SUFFIX)
    found: Dict[str, List[Dict[str, str]]] = {}
    for run in client.search_runs([experiment.experiment_id]):
        tags = {k: v for k, v in run.data.tags.items() if k.startswith('monitoring.')}
        found.setdefault(tags.get('monitoring.month'), []).append(tags)
    return found


def test_a_replay_stopped_mid_month_continues_to_the_end(replayed):
    print(f'replay test: {replayed.seconds:.0f} s')
    assert replayed.stopped.returncode == 128 + signal.SIGTERM, replayed.stopped.stdout[-3000:]
    assert 'continues where it was' in replayed.stopped.stdout
    assert replayed.resumed.returncode == 0, replayed.resumed.stdout[-3000:] + replayed.resumed.stderr[-3000:]
    assert 'still runs at' in replayed.resumed.stdout  # the server it started, used again
    assert replayed.state['done'] == ARRIVING


def test_every_month_ran_each_trigger_once_through_the_server(replayed):
    runs = mage_runs(replayed.root)
    breaches = monitored(replayed.root)
    for month in ARRIVING:
        for trigger, pipeline in TRIGGERS.items():
            made = [r for r in runs if r['trigger'] == trigger and r['variables'].get('replay_month') == month]
            assert len(made) == 1, (month, trigger, made)  # the resumed month was not driven twice
            (run,) = made
            assert run['pipeline'] == pipeline
            if run['status'] == 'failed':  # only a breach may fail a run: the alert, recorded in MLflow
                assert pipeline == 'monitoring', run
                assert any(t['monitoring.breached'] == 'true' for t in breaches[month]), (month, breaches[month])
            else:
                assert run['status'] == 'completed', run
    assert not [r for r in runs if r['status'] in ('initial', 'running')]


def test_monitoring_scored_each_arrived_month_in_mlflow(replayed):
    found = monitored(replayed.root)
    for month in ARRIVING:
        assert found.get(month), f'no monitoring run in MLflow for {month}: {sorted(found, key=str)}'


def test_the_champion_history_spans_the_initial_training_and_the_retraining(replayed):
    client = mlflow_client(replayed.root)
    trained_until = {}
    for version in client.search_model_versions(f"name='{MODEL}'"):
        tags = client.get_run(version.run_id).data.tags
        trained_until[int(version.version)] = (
            tags['data.start_month'],
            tags['data.end_month'],
            tags['data.data_source'],
        )
    windows = {(start, end) for start, end, _ in trained_until.values()}
    assert ('2023-01', '2023-02') in windows  # the initial training
    assert ('2023-03', '2023-04') in windows  # the retraining at 2023-04 (2 new months), its window slid
    staged = str(replayed.root / 'mage' / 'mlops' / 'replay' / 'source')
    assert {source for _, _, source in trained_until.values()} == {staged}  # everything read the staged source
    champion = client.get_model_version_by_alias(MODEL, 'champion')
    assert int(champion.version) in trained_until
    runs = mage_runs(replayed.root)
    children = {r['pipeline']: r for r in runs if r['trigger'] == 'automatic retraining'}
    assert {children['sklearn_training']['status'], children['xgboost_training']['status']} == {'completed'}


def test_monitoring_started_exactly_one_retraining_on_the_second_breach_and_it_ran_to_its_end(replayed):
    found = monitored(replayed.root)
    assert [t['monitoring.breached'] for t in found['2023-03']] == ['true']  # one breach: nothing started
    assert 'monitoring.retraining_run' not in found['2023-03'][0]
    runs = mage_runs(replayed.root)
    started = [r for r in runs if r['trigger'] == 'retrain_now']
    assert len(started) == 1, started
    (retraining,) = started
    assert retraining['pipeline'] == 'automatic_retraining' and retraining['status'] == 'completed', retraining
    assert [t.get('monitoring.retraining_run') for t in found['2023-04']] == [str(retraining['id'])]
    assert found['2023-04'][0]['monitoring.retraining_for'] == '2023-03,2023-04'
    asked = retraining['variables']['requested_by']
    assert asked.startswith('monitoring run ') and '2 of its last 2 scored month(s) 2023-03..2023-04' in asked
    # Its result, in MLflow: the versions its children trained, tagged with it and why it ran.
    client = mlflow_client(replayed.root)
    made = [
        client.get_run(v.run_id).data.tags
        for v in client.search_model_versions(f"name='{MODEL}'")
        if client.get_run(v.run_id).data.tags.get('mage.retraining_run_id') == str(retraining['id'])
    ]
    assert len(made) == 3, made  # the quick budgets: Lasso, LinearRegression and XGBoost
    assert {t['mage.retraining_why'] for t in made} == {f'requested: {asked}'}
    assert {(t['data.start_month'], t['data.end_month']) for t in made} == {('2023-03', '2023-04')}


def test_the_soak_figures_meet_their_goals(replayed):
    soak = json.loads((replayed.root / 'mage' / 'mlops' / 'replay' / 'soak.json').read_text())
    assert soak['stuck_runs'] == 0, soak['stuck_run_details']
    restart = soak['restart']
    assert restart['before_month'] == '2023-04' and restart['clean_stop'] is True, restart
    assert set(restart['catch_up_runs_per_time_trigger']) == set(TRIGGERS), restart
    assert soak['max_catch_up_runs_per_trigger'] <= 1, restart
    assert all(soak['server_rss_bytes'][k] > 0 for k in ('start', 'before_restart', 'after_restart', 'end')), soak
    assert soak['database_bytes']['growth'] is not None and soak['logs_bytes']['growth'] is not None
    assert replayed.state['server'] is None  # --stop-server
    assert not [command for command in mage_servers() if str(replayed.root) in command]


def mage_servers() -> List[str]:
    """The Mage servers running now, each as its command line and MAGE_DATA_DIR."""
    found = []
    for process in psutil.process_iter(['cmdline']):
        try:
            command = ' '.join(process.info['cmdline'] or [])
            if 'mage_cli start' in command:
                found.append(f'{command} {process.environ().get("MAGE_DATA_DIR")}')
        except psutil.Error:
            continue
    return found
