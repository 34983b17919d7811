"""The model-performance dashboard's charts (the monitoring pipeline's Dashboard tab; Mage
0.9.80's overview page shows no dashboard) as the values Mage's chart blocks take (``x``, ``y``): each
function reads the tracking store (embedded by default, or ``MLFLOW_TRACKING_URI``) through
``history`` and shapes one chart. No runs yet: empty values, which Mage shows as an empty chart.
"""

from __future__ import annotations

from typing import List, Tuple

import pandas as pd

from mlops.utils.observability import history
from mlops.utils.observability.bins import histogram
from mlops.utils.observability.run_health import trials_per_run


def _client_and_experiment():
    from mlflow.tracking import MlflowClient

    from mlops.utils.tracking.mlflow_setup import connect

    experiment_id = connect()
    return MlflowClient(), experiment_id


def logged_models() -> pd.DataFrame:
    """Every final model the training pipelines logged (``history.final_models``)."""
    from mlops.utils.tracking.registry import registered_model_name

    client, experiment_id = _client_and_experiment()
    return history.final_models(client, experiment_id, registered_model_name())


def _short_names(models: pd.DataFrame) -> pd.DataFrame:
    """``models`` with each family under its display name (``families.display_name``)."""
    from mlops.utils.models.families import display_name

    return models.assign(family=models['family'].map(lambda f: display_name(f) if isinstance(f, str) else f))


def best_rmse_by_family(models: pd.DataFrame) -> Tuple[List[str], List[float]]:
    """Bar chart: each family's best validation RMSE, best family first."""
    best = _short_names(models).dropna(subset=['family', 'rmse']).groupby('family')['rmse'].min().sort_values()
    return best.index.tolist(), [round(v, 4) for v in best.tolist()]


def model_families(models: pd.DataFrame) -> List[str]:
    """Pie chart: the family of every final model (Mage counts them)."""
    return _short_names(models)['family'].dropna().tolist()


TRAINED_COLUMN = 'Trained (UTC)'
NOT_TRAINED = '—'


def metric_by_training_run(models: pd.DataFrame, metric: str) -> Tuple[List[str], List[List]]:
    """Table: one row per training run, newest first: when it started (to the minute, UTC) and
    each family's ``metric`` (2 decimals), ``—`` for a family that run did not train.

    A table, not Mage 0.9.80's line chart: that chart draws a missing point as 0, shares one x
    for all lines, and names its lines only from the layout file, so families trained on different
    dates would be drawn falling to zero and unnamed. A run is the Mage pipeline run the model's
    tags name (sklearn_training fits several families in one) or, untagged, the model's own run;
    a family trained twice in one run shows its best value."""
    frame = _short_names(models).dropna(subset=['family', metric])
    if frame.empty:
        return [], []
    frame = frame.assign(training_run=frame['pipeline_run_id'].fillna(frame['run_id']))
    started = frame.groupby('training_run')['started'].min().sort_values(ascending=False)
    values = frame.groupby(['training_run', 'family'])[metric].min()
    families = sorted(frame['family'].unique())
    rows = [
        [
            moment.strftime('%Y-%m-%d %H:%M'),
            *(round(float(values[(run, f)]), 2) if (run, f) in values.index else NOT_TRAINED for f in families),
        ]
        for run, moment in started.items()
    ]
    return [TRAINED_COLUMN, *families], rows


def trial_rmse_bins() -> Tuple[List[str], List[int]]:
    """Bar chart: how many tuning trials reached each validation RMSE, in round bins
    (``bins.histogram``)."""
    client, experiment_id = _client_and_experiment()
    return histogram(history.tuning_trials(client, experiment_id)['rmse'].dropna().tolist())


HISTORY_BARS = 12  # more bars than this in one panel and their labels overlap


def champion_history(last: int = HISTORY_BARS) -> Tuple[List[str], List[float]]:
    """Bar chart: the validation RMSE of the ``last`` newest registered versions, in
    registration order."""
    from mlops.utils.tracking.registry import registered_model_name

    client, _ = _client_and_experiment()
    versions = history.registry_history(client, registered_model_name()).dropna(subset=['rmse']).tail(last)
    labels = [f'v{v}{" (champion)" if c else ""}' for v, c in zip(versions['version'], versions['champion'])]
    return labels, [round(v, 4) for v in versions['rmse']]


def monitoring_by_month(metric: str = 'rmse') -> Tuple[List[str], List[float]]:
    """Bar chart: the champion's ``metric`` on each month monitoring scored (latest version's
    score where several versions scored a month)."""
    from mlops.utils.tracking.mlflow_setup import experiment_name

    client, _ = _client_and_experiment()
    scores = history.monitoring_history(client, experiment_name()).dropna(subset=[metric])
    latest = scores.sort_values(['month', 'version']).groupby('month').tail(1)
    return latest['month'].tolist(), [round(v, 4) for v in latest[metric]]


def training_trials_per_run(pipeline_uuid: str) -> Tuple[List[str], List[int]]:
    """Bar chart: tuning trials per Mage run of a training pipeline (``run_health``)."""
    client, experiment_id = _client_and_experiment()
    return trials_per_run(history.tuning_trials(client, experiment_id), pipeline_uuid)


Table = Tuple[List[str], List[list]]
VERSION_TABLE = ['version', 'trained on', 'family', 'validation RMSE', 'role', 'made by']
ALERT_TABLE = ['month', 'version', 'RMSE', 'breaches (alerts)', 'action']


def versions_and_why() -> Table:
    """Table: every registered version, newest first: the months it was trained on, its
    validation RMSE, the role the registry gave it, and which run made it and why (a
    retraining says why it ran: the cadence, or who asked)."""
    from mlops.utils.tracking.registry import registered_model_name

    client, _ = _client_and_experiment()
    versions = history.registry_history(client, registered_model_name()).sort_values('version', ascending=False)
    rows = [
        [
            f'v{row.version}' + (' (champion)' if row.champion else ''),
            row.months,
            _short_family(row.family),
            '' if pd.isna(row.rmse) else round(float(row.rmse), 4),
            row.role or '',
            row.made_by,
        ]
        for row in versions.itertuples()
    ]
    return VERSION_TABLE, rows


def alerts_by_month() -> Table:
    """Table: each month monitoring scored, newest first, with the version scored, its RMSE,
    the thresholds it crossed (what the failure mail said) and the retraining it started."""
    from mlops.utils.tracking.mlflow_setup import experiment_name

    client, _ = _client_and_experiment()
    scores = history.monitoring_history(client, experiment_name()).sort_values(['month', 'version'], ascending=False)
    rows = [
        [
            row.month,
            f'v{row.version}',
            '' if pd.isna(row.rmse) else round(float(row.rmse), 3),
            '; '.join(line.split(' (threshold')[0] for line in (row.breaches or '').splitlines()) or 'none',
            f'started retraining #{row.retraining_run}' if isinstance(row.retraining_run, str) else '',
        ]
        for row in scores.itertuples()
    ]
    return ALERT_TABLE, rows


def _short_family(family) -> str:
    from mlops.utils.models.families import display_name

    return display_name(family) if isinstance(family, str) else ''
