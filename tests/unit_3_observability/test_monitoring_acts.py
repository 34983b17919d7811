"""Monitoring that acts, through Mage (headless, as the runner runs a pipeline): real months,
some with their distances scaled, scored one after the other by a champion fitted on 2023-01
and validated on 2023-02. One breach starts nothing; the second of the last three, the newest
among them, starts exactly one retraining through ``retrain_now``, and says so in the run, in
MLflow and in the failure mail; the same months again, or a retraining still running, start
nothing more. (That the retraining it starts runs and records its result on a server:
``tests/scripts/test_replay.py``.)"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import List

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from mlops.utils.observability.month_evaluation import MONITORING_EXPERIMENT_SUFFIX
from mlops.utils.tracking.mlflow_setup import experiment_name
from testkit.chain import chain_env, run_headless
from testkit.registered import embedded_store, register_linear_on
from testkit.servers import MailServer

pytestmark = pytest.mark.slow
PROJECT, PIPELINE = 'unit_3_observability', 'monitoring'
DRIFTED = ('2023-04', '2023-05', '2023-06')
# Only the distance drift can breach: its PSI against the training months, at the 0.25 default.
ONLY_DRIFT = {'threshold_rmse_increase': 10, 'threshold_unseen_routes': 1}


@pytest.fixture(scope='module')
def store(tmp_path_factory, shared_data):
    """The store, and a source holding 2023-03 as it is and 2023-04..06 with every distance x3."""
    root = tmp_path_factory.mktemp('acting')
    with embedded_store(root / 'data') as experiment:
        register_linear_on(experiment, str(shared_data), '2023-01', '2023-02')
    for month in ('2023-03', *DRIFTED):
        year, number = month.split('-')
        trips = pd.read_parquet(shared_data / 'taxi' / 'green' / year / f'{number}.parquet')
        if month in DRIFTED:
            trips['trip_distance'] = trips['trip_distance'] * 3
        target = root / 'source' / 'taxi' / 'green' / year / f'{number}.parquet'
        target.parent.mkdir(parents=True, exist_ok=True)
        trips.to_parquet(target)
    return root


def monitoring(root: Path, month: str, name: str, env=None) -> dict:
    variables = {'month': month, 'data_source': str(root / 'source'), **ONLY_DRIFT}
    return run_headless(root, PROJECT, PIPELINE, variables, name, chain_env(root, env), timeout=600)


def retrain_now_runs(root: Path) -> List[dict]:
    """The runs under the trigger retrain_now, from Mage's own database."""
    with sqlite3.connect(root / 'mage' / 'mlops' / 'mage-ai.db') as db:
        rows = db.execute(
            'select r.id, r.status, r.variables, s.repo_path from pipeline_run r '
            'join pipeline_schedule s on r.pipeline_schedule_id = s.id '
            "where s.name = 'retrain_now' and r.pipeline_uuid = 'automatic_retraining'"
        ).fetchall()
    return [{'id': i, 'status': s, 'variables': json.loads(v or '{}'), 'repo_path': p} for i, s, v, p in rows]


def mlflow_tags(root: Path, month: str) -> dict:
    with embedded_store(root / 'data'):
        client = MlflowClient()
        experiment = client.get_experiment_by_name(experiment_name() + MONITORING_EXPERIMENT_SUFFIX)
        runs = client.search_runs([experiment.experiment_id], f"tags.`monitoring.month` = '{month}'")
        assert len(runs) == 1
        return runs[0].data.tags


def test_one_breach_starts_nothing_two_of_three_start_exactly_one_retraining(store):
    within = monitoring(store, '2023-03', 'march')
    assert within['status'] == 'completed', within['log'][-3000:]
    assert (
        'breached a threshold in 0 of its last 1 scored month(s) 2023-03: fewer than 2, no retraining' in within['log']
    )

    single = monitoring(store, '2023-04', 'april')
    assert single['status'] == 'failed' and 'trip_distance drifted' in single['log']
    assert 'in 1 of its last 2 scored month(s) 2023-03..2023-04 (2023-04): fewer than 2, no retraining' in single['log']
    assert retrain_now_runs(store) == []

    with MailServer() as mail:
        second = monitoring(store, '2023-05', 'may', mail.env())
        messages = mail.wait_for(1)
    assert second['status'] == 'failed'
    runs = retrain_now_runs(store)
    assert len(runs) == 1, runs
    started = runs[0]
    assert started['repo_path'].endswith('mlops/unit_4_triggering')
    assert started['status'].lower() in ('initial', 'running')  # no server here to run it
    said = f'started retraining run {started["id"]} (automatic_retraining, retrain_now)'
    why = '2 of its last 3 scored month(s) 2023-03..2023-05 (2023-04, 2023-05), the newest among them'
    assert said in second['log'] and why in second['log']
    body = messages[0].get_payload(decode=True).decode()
    assert 'trip_distance drifted' in ' '.join(body.split()) and said in ' '.join(body.split())
    # The retraining's own variables say who asked and why; MLflow keeps it on May's run.
    assert why in started['variables']['requested_by'] and 'monitoring run ' in started['variables']['requested_by']
    tags = mlflow_tags(store, '2023-05')
    assert tags['monitoring.retraining_run'] == str(started['id'])
    assert tags['monitoring.retraining_for'] == '2023-03,2023-04,2023-05'

    again = monitoring(store, '2023-05', 'may-again')
    assert again['status'] == 'failed' and 'already scored on 2023-05' in again['log']
    assert f'retraining run {started["id"]} was started for these months already' in again['log']

    running = monitoring(store, '2023-06', 'june')  # 3 of 3 breached, but the retraining has not ended
    assert running['status'] == 'failed'
    assert f'not started: automatic_retraining run {started["id"]} is' in running['log']
    assert retrain_now_runs(store) == runs
