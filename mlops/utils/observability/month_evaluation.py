"""The champion evaluated on a month it was not trained on (monitoring's evaluation; scoring
months into predictions is ``batch_scoring``'s): its error and the data's drift, checked against
thresholds, logged to MLflow once per (month, model version).

What the champion was trained on comes from its run (the ``data.*`` tags data preparation
recorded, as retraining reads them); the reference for drift is that training data, read
again from the same source.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Dict, List, Mapping, Tuple

import pandas as pd

from mlops.utils.data_preparation.reread import TARGET
from mlops.utils.model_code.features import INPUT_COLUMNS
from mlops.utils.models.metrics import regression_metrics
from mlops.utils.observability.drift import numeric_drift, unseen_share
from mlops.utils.orchestration.variables import bounded_number

# Drift compares distributions: a fixed sample of the training rows is as good as all of them.
REFERENCE_ROWS = 20_000
MONITORING_EXPERIMENT_SUFFIX = '-monitoring'


@dataclass(frozen=True)
class Thresholds:
    """Crossing one is a breach: an alert, never a change to the champion."""

    rmse_increase: float = 0.25  # relative to the champion's validation RMSE (0.25: 25 % worse)
    unseen_routes: float = 0.25  # share of trips on a PU_DO route the model never saw
    psi: float = 0.25  # population stability index of trip_distance or of the predictions

    @classmethod
    def from_variables(cls, variables: Mapping[str, Any]) -> 'Thresholds':
        """From pipeline variables ``threshold_<name>``; defaults for missing or empty ones.
        Each must be a finite number within ``THRESHOLD_BOUNDS`` (with NaN or ``inf`` nothing
        would ever breach; a negative one flags a model that got better): ConfigError naming it."""
        values = {}
        for item in fields(cls):
            name = f'threshold_{item.name}'
            raw = variables.get(name)
            if raw in (None, ''):
                continue
            values[item.name] = float(bounded_number(raw, name, *THRESHOLD_BOUNDS[item.name]))
        return cls(**values)


# The range each threshold accepts, inclusive. unseen_routes is a share of trips (1: never
# breaches); the RMSE increase (10: 11 times the validation RMSE) and a PSI (above 0.25 is
# already a large shift) of 10 are far past any useful alert, so a larger value is a mistake.
THRESHOLD_BOUNDS: Dict[str, Tuple[float, float]] = {
    'rmse_increase': (0.0, 10.0),
    'unseen_routes': (0.0, 1.0),
    'psi': (0.0, 10.0),
}


@dataclass
class MonthEvaluation:
    month: str
    metrics: Dict[str, float]
    breaches: List[str] = field(default_factory=list)


def evaluate_month(
    model,
    reference: pd.DataFrame,
    trips: pd.DataFrame,
    baseline_rmse: float,
    thresholds: Thresholds,
    month: str,
    seed: int = 0,
) -> MonthEvaluation:
    """RMSE/MSE on ``trips``, their increase over ``baseline_rmse``, and drift against
    ``reference`` (the training rows); ``model`` is the pyfunc (raw inputs in, minutes out)."""
    predictions = pd.Series(model.predict(trips[INPUT_COLUMNS]), index=trips.index, dtype=float)
    sample = reference.sample(min(REFERENCE_ROWS, len(reference)), random_state=seed)
    reference_predictions = model.predict(sample[INPUT_COLUMNS])
    metrics = regression_metrics(trips[TARGET], predictions)
    metrics['rmse_increase'] = metrics['rmse'] / baseline_rmse - 1.0
    metrics['rows'] = float(len(trips))
    metrics['unseen_routes'] = unseen_share(reference['PU_DO'], trips['PU_DO'])
    metrics.update(numeric_drift(sample['trip_distance'], trips['trip_distance'], 'trip_distance'))
    metrics.update(numeric_drift(reference_predictions, predictions, 'predictions'))
    return MonthEvaluation(month, metrics, breaches(metrics, thresholds))


def breaches(metrics: Mapping[str, float], thresholds: Thresholds) -> List[str]:
    """One sentence per threshold crossed."""
    found = []
    if metrics['rmse_increase'] > thresholds.rmse_increase:
        found.append(
            f'RMSE {metrics["rmse"]:.3f} is {metrics["rmse_increase"]:.1%} above the validation RMSE '
            f'(threshold {thresholds.rmse_increase:.0%})'
        )
    if metrics['unseen_routes'] > thresholds.unseen_routes:
        found.append(
            f'{metrics["unseen_routes"]:.1%} of trips are on routes the model never saw '
            f'(threshold {thresholds.unseen_routes:.0%})'
        )
    for column in ('trip_distance', 'predictions'):
        psi = metrics[f'{column}_psi']
        if psi > thresholds.psi:
            found.append(f'{column} drifted: PSI {psi:.3f} (threshold {thresholds.psi})')
    return found
