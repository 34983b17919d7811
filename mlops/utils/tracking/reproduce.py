"""The pipeline and variables that refit a registered model version exactly."""

from __future__ import annotations

from typing import Dict, Optional, Tuple

from mlops.utils import pipelines
from mlops.utils.errors import ConfigError
from mlops.utils.models.families import XGBOOST
from mlops.utils.tracking.mlflow_setup import connect
from mlops.utils.tracking.registry import registered_model_name
from mlops.utils.tracking.schema import MODEL_FAMILY, REPRODUCE_TAG_PREFIX


def reproduction_of(version: str, name: Optional[str] = None) -> Tuple[str, Dict[str, str]]:
    """(training pipeline, variables) from the ``reproduce.*`` tags of the version's run."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    connect()
    name = name or registered_model_name()
    client = MlflowClient()
    try:
        tags = client.get_run(client.get_model_version(name, str(version)).run_id).data.tags
    except MlflowException as error:
        raise ConfigError(f'--reproduce: no version {version} of {name}: {error.message}') from None
    variables = {k[len(REPRODUCE_TAG_PREFIX) :]: v for k, v in tags.items() if k.startswith(REPRODUCE_TAG_PREFIX)}
    if not variables:
        raise ConfigError(
            f'--reproduce: version {version} of {name} has no reproduce.* tags (registered before they existed)'
        )
    family = tags.get(MODEL_FAMILY)
    if family == XGBOOST:
        return pipelines.XGBOOST_TRAINING.pipeline, variables
    return pipelines.SKLEARN_TRAINING.pipeline, {**variables, 'models': family}
