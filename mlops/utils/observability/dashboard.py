"""The model-performance dashboard's charts (the monitoring pipeline's Dashboard tab; Mage
0.9.80's overview page shows no dashboard) as the values Mage's chart blocks take (``x``, ``y``): each
function reads the tracking store (embedded by default, or ``MLFLOW_TRACKING_URI``) through
``history`` and shapes one chart. No runs yet: empty values, which Mage shows as an empty chart.
"""
from __future__ import annotations

from typing import List, Tuple

import pandas as pd

from mlops.utils.observability import history
from mlops.utils.observability.run_health import trials_per_run

Series = List[List[float]]


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


def best_rmse_by_family(models: pd.DataFrame) -> Tuple[List[str], List[float]]:
    """Bar chart: each family's best validation RMSE, best family first."""
    best = models.dropna(subset=['family', 'rmse']).groupby('family')['rmse'].min().sort_values()
    return best.index.tolist(), [round(v, 4) for v in best.tolist()]


def model_families(models: pd.DataFrame) -> List[str]:
    """Pie chart: the family of every final model (Mage counts them)."""
    return models['family'].dropna().tolist()


def metric_over_time(models: pd.DataFrame, metric: str) -> Tuple[List[int], Series, List[str]]:
    """Line chart: ``metric`` of the final models in training order (x: 1 = the first model
    trained; Mage's line chart needs numbers on x), one line per family, each family's latest
    value carried forward until it trains again (a line needs a value at every x)."""
    frame = models.dropna(subset=['family', metric]).sort_values('started').reset_index(drop=True)
    families = sorted(frame['family'].unique())
    wide = frame.pivot(columns='family', values=metric).reindex(columns=families).ffill()
    lines = [[round(v, 4) if v == v else None for v in wide[family]] for family in families]
    return list(range(1, len(frame) + 1)), lines, families


def trial_rmses() -> List[float]:
    """Histogram: the validation RMSE of every tuning trial."""
    client, experiment_id = _client_and_experiment()
    return history.tuning_trials(client, experiment_id)['rmse'].dropna().tolist()


def champion_history() -> Tuple[List[str], List[float]]:
    """Bar chart: each registered version's validation RMSE, in registration order."""
    from mlops.utils.tracking.registry import registered_model_name

    client, _ = _client_and_experiment()
    versions = history.registry_history(client, registered_model_name()).dropna(subset=['rmse'])
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
