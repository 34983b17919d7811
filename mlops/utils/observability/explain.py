"""Why an XGBoost model predicts what it does: SHAP values per feature of the model's own
matrix (each ``PU_DO=<route>`` one-hot column, ``trip_distance``) plus the bias.

Computed once, when a final model is logged (``explanation``, saved as the run's
``explanations/shap.json``), never in a chart: the dashboard's charts only read that artifact
of the champion (``champion_explanation``). Every set of contributions is checked: a trip's
contributions plus the bias equal the model's prediction within ``TOLERANCE`` minutes, or
they are not shown. Exact values come from ``tree_shap`` (XGBoost's own ``pred_contribs``
is wrong on the deep trees this project grows: see there); should they ever fail the check,
Saabas attributions (``approx_contribs``) stand in, labelled approximate.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pandas as pd

from mlops.utils.forking import one_openmp_thread
from mlops.utils.model_code.estimators import BoosterRegressor
from mlops.utils.observability.tree_shap import UnsupportedTrees, shap_values

BIAS = 'bias (average prediction)'
TOLERANCE = 1e-3  # minutes, per trip
EXACT = 'exact TreeSHAP'
APPROXIMATE = 'approximate (Saabas, not SHAP)'
ARTIFACT = 'explanations/shap.json'


class NotAdditive(ValueError):
    """No method gave contributions that add up to the model's predictions."""


def additivity_error(values: np.ndarray, predictions: np.ndarray) -> float:
    """Largest |contributions + bias - prediction| over the trips (minutes; inf if any is NaN)."""
    errors = np.abs(np.asarray(values, dtype=float).sum(axis=1) - np.asarray(predictions, dtype=float))
    return float(np.max(errors, initial=0.0)) if np.isfinite(errors).all() else float('inf')


def _saabas(estimator: BoosterRegressor, matrix) -> np.ndarray:
    import xgboost

    with one_openmp_thread():  # a process that may fork later (Mage)
        return estimator.booster.predict(
            xgboost.DMatrix(matrix, nthread=1),
            pred_contribs=True,
            approx_contribs=True,
            iteration_range=(0, estimator.best_iteration + 1),
        )


def contributions(python_model, trips: pd.DataFrame) -> Optional[pd.DataFrame]:
    """One row per trip, one column per feature and ``BIAS``: what each added to the predicted
    minutes (a row sums to the prediction, checked). None when the model is not an XGBoost
    booster; NotAdditive when no method adds up. ``attrs``: ``method``, ``max_additivity_error``."""
    estimator = getattr(python_model, 'estimator', None)
    if not isinstance(estimator, BoosterRegressor):
        return None
    matrix = python_model.features(trips)
    predictions = estimator.predict(matrix)
    failures: List[str] = []
    values, method = None, EXACT
    try:
        values, _ = shap_values(estimator.booster, estimator.best_iteration + 1, matrix)
        error = additivity_error(values, predictions)
    except UnsupportedTrees as unsupported:
        failures.append(f'{EXACT}: {unsupported}')
        error = float('inf')
    if error > TOLERANCE:
        if values is not None:
            failures.append(f'{EXACT}: off by up to {error:.3g} minutes')
        values, method = _saabas(estimator, matrix), APPROXIMATE
        error = additivity_error(values, predictions)
        if error > TOLERANCE:
            failures.append(f'{APPROXIMATE}: off by up to {error:.3g} minutes')
            raise NotAdditive('cannot explain this model: ' + '; '.join(failures))
    names = list(python_model.vectorizer.feature_names_) + [BIAS]
    frame = pd.DataFrame(values, columns=names, index=trips.index)
    frame.attrs.update(method=method, max_additivity_error=error)
    return frame


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


def explanation(
    python_model, validation: pd.DataFrame, rows: int = 500, top: int = 8, seed: int = 0
) -> Optional[Dict[str, Any]]:
    """What the dashboard shows of a model, as a JSON-able dict: mean |contribution| of the
    ``top`` features over ``rows`` validation trips (a fixed sample) and the first sampled
    trip's contributions table. None for models that are not XGBoost boosters; for one that
    cannot be explained, ``{'explained': False, 'reason': ...}``."""
    from mlops.utils.model_code.features import INPUT_COLUMNS

    if not isinstance(getattr(python_model, 'estimator', None), BoosterRegressor):
        return None
    trips = validation[INPUT_COLUMNS].sample(min(rows, len(validation)), random_state=seed)
    try:
        contribs = contributions(python_model, trips)
    except NotAdditive as error:
        return {'explained': False, 'reason': str(error)}
    names, values = top_features(contribs, top)
    columns, table = trip_contributions(contribs, row=0)
    first = {c: trips[c].iloc[0] for c in INPUT_COLUMNS}  # per column: a row Series would turn IDs into floats
    return {
        'explained': True,
        'method': contribs.attrs['method'],
        'trips': len(trips),
        'sample_seed': seed,
        'tolerance_minutes': TOLERANCE,
        'max_additivity_error_minutes': contribs.attrs['max_additivity_error'],
        'top_features': {'features': names, 'mean_abs_minutes': values},
        'trip': {
            'inputs': {c: v.item() if hasattr(v, 'item') else v for c, v in first.items()},
            'columns': columns,
            'rows': table,
        },
    }


def explanation_artifacts(python_model, validation: pd.DataFrame) -> Dict[str, Dict[str, Any]]:
    """``{ARTIFACT: explanation}`` to log with a final model (logged before registration, so the
    version carries it), or ``{}`` for a model that is not an XGBoost booster."""
    explained = explanation(python_model, validation)
    return {} if explained is None else {ARTIFACT: explained}
