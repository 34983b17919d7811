"""Model registry: every final model becomes a version; ``champion`` moves only to a better one.

The comparison re-scores the current champion on the challenger's validation rows, so both
figures are on the same data; moving the alias is one call, made last, under a lock.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

import pandas as pd

from mlops.utils.models.metrics import regression_metrics
from mlops.utils.tracking.mlflow_setup import file_lock
from mlops.utils.tracking.schema import CHAMPION, CHAMPION_VALIDATION_RMSE, ROLE, VALIDATION_RMSE, champion_version

MODEL_NAME_ENV_VAR = 'MLOPS_REGISTERED_MODEL'
DEFAULT_MODEL_NAME = 'nyc-taxi-duration'


def registered_model_name() -> str:
    return os.environ.get(MODEL_NAME_ENV_VAR) or DEFAULT_MODEL_NAME


def is_better(challenger_rmse: float, champion_rmse: Optional[float]) -> bool:
    """Strictly lower RMSE wins; with no champion, any model becomes one."""
    return champion_rmse is None or challenger_rmse < champion_rmse


@dataclass
class Promotion:
    version: str
    promoted: bool
    rmse: float
    champion_rmse: Optional[float]


def champion_rmse_on(client, name: str, validation: pd.DataFrame, target: str) -> Optional[float]:
    """RMSE of the current champion on ``validation``, or None without a champion."""
    import mlflow

    champion = champion_version(client, name)
    if champion is None:
        return None
    model = mlflow.pyfunc.load_model(f'models:/{name}/{champion.version}')
    predictions = model.predict(validation.drop(columns=[target]))
    return regression_metrics(validation[target], predictions)['rmse']


def register_and_promote(
    model_uri: str, rmse: float, validation: pd.DataFrame, target: str = 'duration', name: Optional[str] = None
) -> Promotion:
    import mlflow
    from mlflow.tracking import MlflowClient

    name = name or registered_model_name()
    client = MlflowClient()
    with file_lock(f'registry-{name}'):
        version = mlflow.register_model(model_uri, name, tags={VALIDATION_RMSE: f'{rmse:.6f}'}).version
        champion_rmse = champion_rmse_on(client, name, validation, target)
        promoted = is_better(rmse, champion_rmse)
        if champion_rmse is not None:
            client.set_model_version_tag(name, version, CHAMPION_VALIDATION_RMSE, f'{champion_rmse:.6f}')
        client.set_model_version_tag(name, version, ROLE, 'promoted to champion' if promoted else 'rejected challenger')
        if promoted:  # last: every tag is in place before serving can see the new champion
            client.set_registered_model_alias(name, CHAMPION, version)
    return Promotion(version, promoted, rmse, champion_rmse)
