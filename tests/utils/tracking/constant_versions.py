"""Registered versions for the champion-rule and rollback tests: a constant model logged with
the data facts given (as training logs them) and registered with a ``promote`` mode."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, Tuple

from mlflow.tracking import MlflowClient

from mlops.utils.models.metrics import regression_metrics
from mlops.utils.tracking.registry import Promotion, register_and_promote
from mlops.utils.tracking.runs import log_final_model, start_parent
from testkit.registered import constant_model

FACTS = {
    'start_month': '2024-01',
    'end_month': '2024-02',
    'taxi_colour': 'green',
    'split_on_feature_value': '2024-02-01',
    'target': 'duration',
}


def log_constant(experiment_id: str, data, value: float, **facts: Any) -> Tuple[str, float, Any]:
    """A constant ``value`` model logged as training logs one, trained on FACTS with ``facts``
    changed; returns (model URI, validation RMSE, validation records)."""
    client = MlflowClient()
    model = constant_model(data, value)
    validation = data.validation_records()
    metrics = regression_metrics(data.y_val, model.predict(None, validation))
    parent = start_parent(client, experiment_id, 'Constant', {})
    recorded: Dict[str, Any] = {**FACTS, **facts}
    _, uri = log_final_model(client, parent, model, {}, metrics, {'model_family': 'Constant'}, recorded, validation)
    return uri, metrics['rmse'], validation


def register(experiment_id: str, data, value: float, promote: str = 'auto', **facts: Any) -> Promotion:
    """``log_constant``'s model registered as ``promote`` says (its version as text, as aliases,
    tags and the history give versions)."""
    uri, rmse, validation = log_constant(experiment_id, data, value, **facts)
    promotion = register_and_promote(uri, rmse, validation, promote=promote)
    return replace(promotion, version=str(promotion.version))
