"""What the dashboards chart, read from MLflow through its client API (so the embedded SQLite
store, PostgreSQL and a remote tracking server all work; never SQL on ``mlflow.db``).

Every function returns a DataFrame with fixed columns, empty when there is nothing yet: a
dashboard shows an empty state instead of failing. Times are UTC ``datetime64``.
"""

from __future__ import annotations

from typing import Dict, List

import pandas as pd

from mlops.utils.observability.month_evaluation import MONITORING_EXPERIMENT_SUFFIX
from mlops.utils.tracking.schema import (
    DATA_TAG_PREFIX,
    FINAL_STAGE,
    MAGE_PIPELINE_RUN_ID,
    MAGE_PIPELINE_UUID,
    MAGE_RETRAINING_RUN_ID,
    MAGE_RETRAINING_WHY,
    MAGE_TRIGGER_NAME,
    MODEL_FAMILY,
    MONITORING_BREACHED,
    MONITORING_BREACHES,
    MONITORING_MONTH,
    MONITORING_RETRAINING_RUN,
    MONITORING_VERSION,
    ROLE,
    STAGE,
    TUNING_STAGE,
    VALIDATION_RMSE,
    champion_version,
)

MODEL_COLUMNS = ['run_id', 'started', 'family', 'rmse', 'mse', 'version', 'role', 'pipeline_uuid', 'pipeline_run_id']
TRIAL_COLUMNS = ['started', 'family', 'rmse', 'seconds', 'pipeline_uuid', 'pipeline_run_id']
VERSION_COLUMNS = ['version', 'created', 'family', 'rmse', 'role', 'champion', 'months', 'made_by']
MONITORING_COLUMNS = [
    'month',
    'version',
    'scored',
    'rows',
    'rmse',
    'mse',
    'rmse_increase',
    'unseen_routes',
    'trip_distance_psi',
    'predictions_psi',
    'breached',
    'breaches',
    'retraining_run',
]
PAGE = 1000  # MLflow's page size; every page is read


def _time(milliseconds) -> pd.Timestamp:
    return pd.to_datetime(milliseconds, unit='ms', utc=True)


def _all_runs(client, experiment_ids: List[str], filter_string: str) -> list:
    runs, token = [], None
    while True:
        page = client.search_runs(
            experiment_ids,
            filter_string=filter_string,
            max_results=PAGE,
            page_token=token,
            order_by=['attributes.start_time ASC'],
        )
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def _frame(rows: List[Dict], columns: List[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def final_models(client, experiment_id: str, model_name: str) -> pd.DataFrame:
    """One row per final model a training run logged: family, validation RMSE/MSE, and the
    registry version and role it got."""
    versions = {v.run_id: v for v in _all_versions(client, model_name)}
    rows = []
    for run in _all_runs(client, [experiment_id], f"tags.{STAGE} = '{FINAL_STAGE}' and attributes.status = 'FINISHED'"):
        version = versions.get(run.info.run_id)
        rows.append(
            {
                'run_id': run.info.run_id,
                'started': _time(run.info.start_time),
                'family': run.data.tags.get(MODEL_FAMILY),
                'rmse': run.data.metrics.get(VALIDATION_RMSE),
                'mse': run.data.metrics.get('validation_mse'),
                'version': int(version.version) if version else None,
                'role': version.tags.get(ROLE) if version else None,
                'pipeline_uuid': run.data.tags.get(MAGE_PIPELINE_UUID),
                'pipeline_run_id': run.data.tags.get(MAGE_PIPELINE_RUN_ID),
            }
        )
    return _frame(rows, MODEL_COLUMNS)


def tuning_trials(client, experiment_id: str) -> pd.DataFrame:
    """One row per hyperparameter trial: family, validation RMSE, seconds, the Mage run."""
    rows = [
        {
            'started': _time(run.info.start_time),
            'family': run.data.tags.get(MODEL_FAMILY),
            'rmse': run.data.metrics.get(VALIDATION_RMSE),
            'seconds': run.data.metrics.get('duration_seconds'),
            'pipeline_uuid': run.data.tags.get(MAGE_PIPELINE_UUID),
            'pipeline_run_id': run.data.tags.get(MAGE_PIPELINE_RUN_ID),
        }
        for run in _all_runs(client, [experiment_id], f"tags.{STAGE} = '{TUNING_STAGE}'")
    ]
    return _frame(rows, TRIAL_COLUMNS)


def _all_versions(client, model_name: str) -> list:
    from mlflow.exceptions import MlflowException

    try:
        return list(client.search_model_versions(f"name = '{model_name}'"))
    except MlflowException:  # no such registered model yet
        return []


def registry_history(client, model_name: str) -> pd.DataFrame:
    """Every registered version, oldest first: its validation RMSE, the role the registry rule
    gave it, and whether it is the champion now."""
    current = champion_version(client, model_name)
    champion = None if current is None else current.version
    rows = []
    for v in _all_versions(client, model_name):
        tags = client.get_run(v.run_id).data.tags if v.run_id else {}
        rows.append(
            {
                'version': int(v.version),
                'created': _time(v.creation_timestamp),
                'family': tags.get(MODEL_FAMILY),
                'rmse': float(v.tags[VALIDATION_RMSE]) if v.tags.get(VALIDATION_RMSE) else None,
                'role': v.tags.get(ROLE),
                'champion': v.version == champion,
                'months': f'{tags.get(DATA_TAG_PREFIX + "start_month", "?")}..{tags.get(DATA_TAG_PREFIX + "end_month", "?")}',
                'made_by': made_by(tags),
            }
        )
    return _frame(sorted(rows, key=lambda r: r['version']), VERSION_COLUMNS)


def made_by(tags: Dict[str, str]) -> str:
    """Which Mage run trained a model, from its run's ``mage.*`` tags: a retraining's child says
    the retraining and why it ran."""
    retraining = tags.get(MAGE_RETRAINING_RUN_ID)
    if retraining:
        return f'retraining #{retraining}: {tags.get(MAGE_RETRAINING_WHY, "?")}'
    if MAGE_PIPELINE_UUID not in tags:
        return 'outside Mage'
    run = f'{tags[MAGE_PIPELINE_UUID]} #{tags.get(MAGE_PIPELINE_RUN_ID, "?")}'
    trigger = tags.get(MAGE_TRIGGER_NAME)
    return f'{run} ({trigger})' if trigger else run


def monitoring_history(client, experiment_name: str) -> pd.DataFrame:
    """The monitoring runs (one per month and version), by month."""
    experiment = client.get_experiment_by_name(experiment_name + MONITORING_EXPERIMENT_SUFFIX)
    if experiment is None:
        return _frame([], MONITORING_COLUMNS)
    rows = []
    for run in _all_runs(client, [experiment.experiment_id], "attributes.status = 'FINISHED'"):
        metrics, tags = run.data.metrics, run.data.tags
        rows.append(
            {
                'month': tags.get(MONITORING_MONTH),
                'version': int(tags.get(MONITORING_VERSION, 0)),
                'scored': _time(run.info.start_time),
                'breached': tags.get(MONITORING_BREACHED) == 'true',
                'breaches': tags.get(MONITORING_BREACHES, ''),
                'retraining_run': tags.get(MONITORING_RETRAINING_RUN),
                **{k: metrics.get(k) for k in MONITORING_COLUMNS if k in metrics},
            }
        )
    return _frame(sorted(rows, key=lambda r: (r['month'], r['version'])), MONITORING_COLUMNS)
