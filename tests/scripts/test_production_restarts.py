"""The production shape (docker-compose.yml) run for real and restarted: PostgreSQL, an MLflow
server on it with served artifacts, and Mage with its state on PostgreSQL.

The main job (data preparation, training) runs on that stack, and the champion that comes back
through the MLflow server scores what the registry says; then everything stops and starts
again, in the order compose uses, and the state a person relies on is all still there: Mage's
runs and triggers, MLflow's registered versions, the champion alias, the model artifacts, and
the champion's predictions. Then a Mage server is killed (SIGKILL) in the middle of a training
run and started again: the run does not stay ``running`` and the champion is untouched."""

from __future__ import annotations

import json
import os
import secrets
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mlops.utils.models.metrics import regression_metrics
from mlops.utils.models.training_data import unpack_training_set
from mlops.utils.triggering.mage_api import FINISHED, MageClient
from testkit.chain import QUICK_XGBOOST, REPO_ROOT, chain_env, run_chain, settings, summaries
from testkit.commands import run_ok
from testkit.servers import PostgresServer, free_port, mage_server, mlflow_server

pytestmark = pytest.mark.slow
MODEL = 'nyc-taxi-duration'
# A model that cannot beat the job's champion (alpha 10 shrinks every trip towards the mean).
HOPELESS = {'models': 'linear_model.Lasso', 'hyperparameters': json.dumps({'linear_model.Lasso': {'alpha': 10}})}

# Inserts a run as an API trigger does, into the database the server schedules from.
START_RUN = """
import json, sys
from pathlib import Path
from mlops.utils.orchestration import mage_internals as mage
mage.bind_project(Path(sys.argv[1]))
print(mage.insert_run(sys.argv[2], json.loads(sys.argv[3])).id)
"""


class Stack:
    """PostgreSQL, the MLflow server and the Mage UI server of one test, started and stopped
    in compose's order; the MLflow server keeps its port so the tracking URI stays the same."""

    def __init__(self, root: Path, shared_data: Path):
        self.root, self.postgres = root, PostgresServer(['mage', 'mlflow'])
        self.mlflow_port = free_port()
        self.email, self.password = 'owner@example.com', secrets.token_urlsafe(12)
        self.shared_data = shared_data
        self.mlflow = self.mage = None

    @property
    def env(self) -> dict:
        return {
            'MAGE_DATABASE_CONNECTION_URL': self.postgres.url('mage', driver='postgresql+psycopg2'),
            'MLFLOW_TRACKING_URI': f'http://127.0.0.1:{self.mlflow_port}',
            'MLOPS_DATA_SOURCE': str(self.shared_data),
        }

    def start_mlflow(self) -> None:
        self.mlflow = mlflow_server(
            self.root / 'mlflow.log', self.postgres.url('mlflow'), self.root / 'artifacts', port=self.mlflow_port
        ).__enter__()

    def start_mage(self) -> MageClient:
        env = {
            **self.env,
            'MLOPS_DATA_DIR': str(self.root / 'data'),
            'MLOPS_UI_PROJECT': 'unit_2_training',
            'REQUIRE_USER_AUTHENTICATION': '1',
            'DEFAULT_OWNER_EMAIL': self.email,
            'DEFAULT_OWNER_PASSWORD': self.password,
            'SCHEDULER_TRIGGER_INTERVAL': '1',
        }
        self.mage = mage_server(self.root, env=env).__enter__()
        return MageClient(f'http://127.0.0.1:{self.mage.port}', email=self.email, password=self.password, timeout=180)

    def stop(self) -> None:
        for server in (self.mage, self.mlflow):
            if server is not None:
                server.__exit__()
        self.mage = self.mlflow = None
        self.postgres.stop()

    def start(self) -> MageClient:
        self.postgres.start()
        self.start_mlflow()
        return self.start_mage()


def mage_state(client: MageClient) -> dict:
    runs = client.get('/api/pipeline_runs', _limit=500).get('pipeline_runs', [])
    schedules = client.get('/api/pipeline_schedules').get('pipeline_schedules', [])
    return {
        'runs': sorted((r['id'], r['pipeline_uuid'], r['status']) for r in runs),
        'triggers': sorted((s['id'], s['pipeline_uuid'], s['name'], s['status']) for s in schedules),
    }


def registry_state(tracking_uri: str, records) -> dict:
    """Versions, the champion (its validation RMSE tag) and its predictions, read through the
    tracking server (the artifacts come through it too)."""
    import mlflow
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri)
    champion = client.get_model_version_by_alias(MODEL, 'champion')
    mlflow.set_tracking_uri(tracking_uri)
    try:
        predictions = mlflow.pyfunc.load_model(f'models:/{MODEL}@champion').predict(records)
    finally:
        mlflow.set_tracking_uri(None)
    return {
        'versions': sorted((v.version, v.run_id) for v in client.search_model_versions(f"name = '{MODEL}'")),
        'champion': champion.version,
        'champion_rmse': float(champion.tags['validation_rmse']),
        'predictions': np.asarray(predictions),
    }


def wait_until_running(client: MageClient, run_id: int, timeout: float = 600) -> None:
    """Until the run has a block running or done and is not finished: the middle of a run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f'/api/pipeline_runs/{run_id}')['pipeline_run']
        assert run['status'] not in FINISHED, f'run {run_id} ended ({run["status"]}) before it could be killed'
        if any(b['status'] in ('running', 'completed') for b in client.block_runs(run_id)):
            return
        time.sleep(0.2)
    raise AssertionError(f'run {run_id} never started')


def test_restarts_lose_nothing_and_a_killed_server_leaves_no_run_running(tmp_path, shared_data, default_training_set):
    data = unpack_training_set(default_training_set)
    records = data.validation_records().drop(columns=['duration'])
    stack = Stack(tmp_path, shared_data)
    with stack.postgres:
        stack.start_mlflow()
        try:
            result = run_chain(
                tmp_path,
                '--source',
                str(shared_data),
                '--set',
                'models=linear_model.LinearRegression',
                '--set',
                'max_evaluations=1',
                *settings(QUICK_XGBOOST),
                env=stack.env,
                timeout=1800,
            )
            assert result.returncode == 0, result.stderr[-3000:]
            lines = summaries(result)
            assert [line['status'] for line in lines] == ['completed'] * 4
            client = stack.start_mage()
            before = mage_state(client), registry_state(stack.env['MLFLOW_TRACKING_URI'], records)
            assert {r[1] for r in before[0]['runs']} >= {'data_preparation', 'sklearn_training', 'xgboost_training'}
            assert before[0]['triggers'] and before[1]['versions']
            # The job's summary names the registry's champion; the model that came back through the
            # server scores what the registry says it scored; artifacts went through the server.
            assert str(lines[-1]['champion']['version']) == str(before[1]['champion'])
            assert regression_metrics(data.y_val, before[1]['predictions'])['rmse'] == pytest.approx(
                before[1]['champion_rmse'], abs=1e-6
            )
            assert list((tmp_path / 'artifacts').rglob('MLmodel'))

            stack.stop()
            client = stack.start()
            after = mage_state(client), registry_state(stack.env['MLFLOW_TRACKING_URI'], records)
            assert after[0] == before[0]  # every run and trigger, with its status
            assert after[1]['versions'] == before[1]['versions'] and after[1]['champion'] == before[1]['champion']
            assert np.array_equal(after[1]['predictions'], before[1]['predictions'])

            # SIGKILL the Mage server (scheduler, workers: its whole process group) mid-run.
            started = run_ok(
                [
                    sys.executable,
                    '-c',
                    START_RUN,
                    str(REPO_ROOT / 'mlops' / 'unit_2_training'),
                    'sklearn_training',
                    json.dumps(HOPELESS),
                ],
                cwd=REPO_ROOT,
                env=chain_env(tmp_path, stack.env),
                timeout=300,
            )
            run_id = int(started.stdout.strip().splitlines()[-1])
            wait_until_running(client, run_id)
            os.killpg(stack.mage.process.pid, signal.SIGKILL)
            stack.mage.process.wait()
            stack.mage = None
            client = stack.start_mage()
            # Mage's scheduler finds the killed block runs without a job and runs them again.
            run = client.wait(run_id, timeout=900, interval=1)
            registry = registry_state(stack.env['MLFLOW_TRACKING_URI'], records)
            assert registry['champion'] == before[1]['champion']
            assert np.array_equal(registry['predictions'], before[1]['predictions'])
            statuses = {r[2] for r in mage_state(client)['runs']}
            assert 'running' not in statuses and 'initial' not in statuses, statuses
            print(
                f'killed run {run_id} ended {run["status"]}; versions {len(before[1]["versions"])} -> '
                f'{len(registry["versions"])}; champion v{registry["champion"]}'
            )
        finally:
            stack.stop()
