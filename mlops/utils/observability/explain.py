"""Why the champion predicts what it does, when it is an XGBoost model: SHAP values from
XGBoost itself (``pred_contribs=True``: exact TreeSHAP, no extra dependency), per feature of
the model's own matrix (each ``PU_DO=<route>`` one-hot column, ``trip_distance``) plus the bias.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np
import pandas as pd

from mlops.utils.inference.fork_safe import one_openmp_thread
from mlops.utils.serving.estimators import BoosterRegressor

BIAS = 'bias (average prediction)'


def contributions(python_model, trips: pd.DataFrame) -> Optional[pd.DataFrame]:
    """One row per trip, one column per feature and ``BIAS``: what each added to the predicted
    minutes (a row sums to the prediction). None when the model is not an XGBoost booster."""
    estimator = getattr(python_model, 'estimator', None)
    if not isinstance(estimator, BoosterRegressor):
        return None
    import xgboost

    matrix = python_model.features(trips)
    with one_openmp_thread():  # Mage's server draws this chart in a process that forks later
        values = estimator.booster.predict(xgboost.DMatrix(matrix, nthread=1), pred_contribs=True,
                                           iteration_range=(0, estimator.best_iteration + 1))
    names = list(python_model.vectorizer.feature_names_) + [BIAS]
    return pd.DataFrame(values, columns=names, index=trips.index)


def _label(feature: str) -> str:
    """``PU_DO=74_75`` -> ``route 74_75``: short enough for a chart axis."""
    return 'route ' + feature.split('=', 1)[1] if feature.startswith('PU_DO=') else feature


def top_features(contribs: Optional[pd.DataFrame], top: int = 8) -> Tuple[List[str], List[float]]:
    """Bar chart: the features with the largest mean |contribution| (minutes), largest first."""
    if contribs is None or contribs.empty:
        return [], []
    mean_abs = contribs.drop(columns=[BIAS]).abs().mean().sort_values(ascending=False).head(top)
    return [_label(f) for f in mean_abs.index], [round(float(v), 4) for v in mean_abs]


TRIP_COLUMNS = ['part of the prediction', 'minutes']


def trip_contributions(contribs: Optional[pd.DataFrame], row: int = 0, top: int = 6) -> Tuple[List[str], List[list]]:
    """Table: one trip's prediction, the bias, its largest contributions (signed minutes) and
    the rest; the rows below the prediction add up to it."""
    if contribs is None or contribs.empty:
        return TRIP_COLUMNS, []
    trip = contribs.iloc[min(max(row, 0), len(contribs) - 1)]
    features = trip.drop(BIAS)
    largest = features.reindex(features.abs().sort_values(ascending=False).index).head(top)
    rows = [['prediction', float(trip.sum())], [BIAS, float(trip[BIAS])]]
    rows += [[_label(name), float(value)] for name, value in largest.items()]
    rows.append(['all other features', float(features.sum() - largest.sum())])
    return TRIP_COLUMNS, [[name, round(value, 4)] for name, value in rows]


def champion_contributions(rows: int = 500) -> Optional[pd.DataFrame]:
    """Contributions of the champion on ``rows`` trips of its validation month (None when the
    champion is not an XGBoost model)."""
    from mlflow.tracking import MlflowClient

    from mlops.utils.inference.champion import champion_model
    from mlops.utils.inference.samples import validation_sample
    from mlops.utils.serving.features import INPUT_COLUMNS
    from mlops.utils.tracking.registry import CHAMPION
    from mlops.utils.triggering.new_data import champion_range

    loaded = champion_model()
    trips = validation_sample(champion_range(MlflowClient(), loaded.name, CHAMPION), rows=rows)
    return contributions(loaded.model.unwrap_python_model(), trips[INPUT_COLUMNS])
