"""The names this project writes into MLflow and reads back: the champion alias, version and
run tags, and the one look-up of the champion every reader shares.

Writers (``tracking.runs``, ``tracking.registry``, ``training.steps``) and readers (retraining,
monitoring, dashboards, serving, the runner's summary) import the names from here, so a
renamed tag cannot leave a reader behind.
"""

from __future__ import annotations

from typing import Any, Optional

CHAMPION = 'champion'  # the registry alias serving, monitoring and retraining follow
VALIDATION_RMSE = 'validation_rmse'  # version tag, and the final run's metric
CHAMPION_VALIDATION_RMSE = 'champion_validation_rmse'  # version tag: the champion it was compared with
ROLE = 'role'  # version tag: promoted to champion, or rejected challenger
MODEL_FAMILY = 'model_family'  # run tag
DATA_TAG_PREFIX = 'data.'  # final run tags: the data-preparation facts it was trained on
REPRODUCE_TAG_PREFIX = 'reproduce.'  # final run tags: the pipeline variables that rebuild it


def champion_version(client: Any, name: str) -> Optional[Any]:
    """``name``'s version behind the champion alias (an MLflow ``ModelVersion``), or None when
    the model or the alias does not exist yet."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None
