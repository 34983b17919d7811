"""Quick registered models for tests: a constant predictor logged and promoted through the
project's own code paths (pyfunc, serving code, registry rule) in seconds."""
from __future__ import annotations

from typing import Any, Dict, Optional

from mlflow.tracking import MlflowClient
from sklearn.dummy import DummyRegressor

from mlops.utils.models.metrics import regression_metrics
from mlops.utils.serving.model import TripDurationModel
from mlops.utils.tracking.registry import Promotion, register_and_promote
from mlops.utils.tracking.runs import log_final_model, start_parent


def constant_model(data, value: float) -> TripDurationModel:
    return TripDurationModel(data.dv, DummyRegressor(strategy='constant', constant=value).fit(data.X_train, data.y_train))


def register_model(experiment_id: str, data, model: TripDurationModel, family: str = 'Constant',
                   mage: Optional[Dict[str, Any]] = None, facts: Optional[Dict[str, Any]] = None):
    """Logs, registers and (by the registry rule) maybe promotes; returns (Promotion, rmse)."""
    client = MlflowClient()
    validation = data.validation_records()
    rmse = regression_metrics(data.y_val, model.predict(None, validation))['rmse']
    parent = start_parent(client, experiment_id, family, mage or {})
    _, uri = log_final_model(client, parent, model, {}, {'rmse': rmse}, {'model_family': family}, facts or {},
                             validation)
    promotion: Promotion = register_and_promote(uri, rmse, validation)
    return promotion, rmse


def register_constant(experiment_id: str, data, value: float, family: str = 'Constant',
                      mage: Optional[Dict[str, Any]] = None, facts: Optional[Dict[str, Any]] = None):
    return register_model(experiment_id, data, constant_model(data, value), family, mage, facts)
