"""Quick registered models for tests: a constant predictor logged and promoted through the
project's own code paths (pyfunc, model code, registry rule) in seconds."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

from mlflow.tracking import MlflowClient
from sklearn.dummy import DummyRegressor

from mlops.utils.model_code.model import TripDurationModel
from mlops.utils.models.metrics import regression_metrics
from mlops.utils.observability.explain import explanation_artifacts
from mlops.utils.tracking.registry import Promotion, register_and_promote
from mlops.utils.tracking.runs import log_final_model, start_parent


def constant_model(data, value: float) -> TripDurationModel:
    return TripDurationModel(
        data.dv, DummyRegressor(strategy='constant', constant=value).fit(data.X_train, data.y_train)
    )


def register_model(
    experiment_id: str,
    data,
    model: TripDurationModel,
    family: str = 'Constant',
    mage: Optional[Dict[str, Any]] = None,
    facts: Optional[Dict[str, Any]] = None,
):
    """Logs, registers and (by the registry rule) maybe promotes; returns (Promotion, rmse)."""
    client = MlflowClient()
    validation = data.validation_records()
    metrics = regression_metrics(data.y_val, model.predict(None, validation))  # rmse and mse, as training logs
    rmse = metrics['rmse']
    parent = start_parent(client, experiment_id, family, mage or {})
    _, uri = log_final_model(
        client,
        parent,
        model,
        {},
        metrics,
        {'model_family': family},
        facts or {},
        validation,
        explanation_artifacts(model, validation),
    )
    promotion: Promotion = register_and_promote(uri, rmse, validation)
    return promotion, rmse


def register_constant(
    experiment_id: str,
    data,
    value: float,
    family: str = 'Constant',
    mage: Optional[Dict[str, Any]] = None,
    facts: Optional[Dict[str, Any]] = None,
):
    return register_model(experiment_id, data, constant_model(data, value), family, mage, facts)


def register_linear_on(experiment_id: str, source: str, start_month: str, end_month: str, xgboost_rounds: int = 0):
    """LinearRegression (or, with ``xgboost_rounds``, an XGBoost booster) fitted on
    ``start_month``..the month before ``end_month`` and validated on ``end_month`` of ``source``,
    registered with the data facts data preparation records. Returns (model, validation rmse,
    training rows)."""
    from sklearn.linear_model import LinearRegression

    from mlops.utils.data_preparation.config import pipeline_variables
    from mlops.utils.data_preparation.ingest import ingest_files
    from mlops.utils.data_preparation.steps import build_training_sets, preparation_facts, prepare_trips
    from mlops.utils.models.training_data import TrainingData

    split = f'{end_month}-01'
    variables = pipeline_variables(
        {'data_source': source, 'start_month': start_month, 'end_month': end_month, 'split_on_feature_value': split}
    )
    prepared = prepare_trips(
        ingest_files(start_month, end_month, source=source), 'lpep_pickup_datetime', split, 'duration'
    )
    data = TrainingData.from_sets(build_training_sets(*prepared), df_val=prepared[2])
    if xgboost_rounds:
        estimator, family = small_booster(data.X_train, data.y_train, xgboost_rounds), 'XGBoost'
    else:
        estimator, family = LinearRegression().fit(data.X_train, data.y_train), 'LinearRegression'
    model = TripDurationModel(data.dv, estimator)
    promotion, rmse = register_model(experiment_id, data, model, family, facts=preparation_facts(*prepared, variables))
    assert promotion.promoted
    return model, rmse, prepared[1]


@contextmanager
def embedded_store(data_dir: Path, registered_model: Optional[str] = None) -> Iterator[str]:
    """This process pointed at the embedded MLflow store under ``data_dir`` (as a server or
    runner started with ``MLOPS_DATA_DIR=data_dir`` sees it; created when new), and at
    ``registered_model`` when given; yields the experiment id. Everything is put back after,
    also when nested: MLflow keeps its URI twice (a global and MLFLOW_TRACKING_URI, which every
    process started later inherits), and both must return to the enclosing store's, or to none.
    (Left behind, a Mage server started by a later test read another test's store.)"""
    import os

    import mlflow
    import pytest

    from mlops.utils.tracking.mlflow_setup import connect
    from testkit.mlflow_database import seeded_store

    seeded_store(data_dir)
    enclosing = os.environ.get('MLFLOW_TRACKING_URI')
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv('MLOPS_DATA_DIR', str(data_dir))
        patch.delenv('MLFLOW_TRACKING_URI', raising=False)
        if registered_model:
            patch.setenv('MLOPS_REGISTERED_MODEL', registered_model)
        try:
            yield connect()
        finally:
            mlflow.set_tracking_uri(None)  # the global and the variable
    mlflow.set_tracking_uri(enclosing)  # both again, as the enclosing store had them (or none)
    assert os.environ.get('MLFLOW_TRACKING_URI') == enclosing


def small_booster(X_train, y_train, rounds: int = 20):
    """A quick XGBoost model as training wraps one (BoosterRegressor)."""
    import xgboost

    from mlops.utils.model_code.estimators import BoosterRegressor

    return BoosterRegressor(
        xgboost.train({'max_depth': 6, 'seed': 1}, xgboost.DMatrix(X_train, label=y_train), num_boost_round=rounds)
    )
