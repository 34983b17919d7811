"""The names this project writes into MLflow and reads back: the champion alias, version and
run tags, and the one look-up of the champion every reader shares.

Writers (``tracking.runs``, ``tracking.registry``, ``tracking.history``, ``training.steps``)
and readers (retraining, monitoring, dashboards, serving, the runner's summary, rollback)
import the names from here, so a renamed tag cannot leave a reader behind.
"""

from __future__ import annotations

from typing import Any, Optional

CHAMPION = 'champion'  # the registry alias serving, monitoring and retraining follow
VALIDATION_RMSE = 'validation_rmse'  # version tag, and the final run's metric
CHAMPION_VALIDATION_RMSE = 'champion_validation_rmse'  # version tag: the champion it was compared with
# Version tag: what the champion rule made of the version: 'promoted to champion', 'rejected
# challenger' (with why, when not its RMSE), 'not comparable: <what differs>', 'experiment
# (promote=never): ...', 'not compared: <why>' (tracking.registry writes them all).
ROLE = 'role'
PROMOTE = 'promote'  # version tag: the promote variable it was registered with (auto, never, force)
MODEL_FAMILY = 'model_family'  # run tag
# Version tags: the path of its model card's JSON in the version's run (a Markdown twin beside it,
# mlops/utils/model_card), or, when no card could be written, why not.
MODEL_CARD = 'model_card'
MODEL_CARD_MISSING = 'model_card_missing'
# Final run tag: how its model came to be: the best trial's model kept (checked), or fitted anew.
FINAL_FIT = 'final_fit'
# Artifacts of a family's parent run: the best trial's model, kept for the final step.
BEST_TRIAL_BOOSTER = 'best_trial/booster.ubj'  # an XGBoost booster
BEST_TRIAL_ESTIMATOR = 'best_trial/estimator.pkl'  # a scikit-learn estimator
DATA_TAG_PREFIX = 'data.'  # final run tags: the data-preparation facts it was trained on
REPRODUCE_TAG_PREFIX = 'reproduce.'  # final run tags: the pipeline variables that rebuild it

# Version tags: the data contract the version was trained to (tracking.contract). Two versions
# compare like with like only when these agree.
CONTRACT_TARGET = 'contract.target'  # the column predicted: duration
CONTRACT_TARGET_UNIT = 'contract.target_unit'  # its unit: minutes
CONTRACT_TAXI_COLOUR = 'contract.taxi_colour'  # green or yellow
CONTRACT_FEATURES = 'contract.features'  # raw inputs and their types -> the features computed from them
CONTRACT_TRAINING_MONTHS = 'contract.training_months'  # YYYY-MM..YYYY-MM
CONTRACT_VALIDATION_MONTHS = 'contract.validation_months'  # YYYY-MM..YYYY-MM

# Run tag of the training runs under a family's parent run: a tuning trial or the final model.
STAGE = 'stage'
TUNING_STAGE, FINAL_STAGE = 'tuning', 'final'
# Run tags of the Mage run a run came from (``mage.<variable>``, tracking.runs.mage_tags): the
# pipeline, the run, its trigger, and for a retraining's child the retraining run and why it ran.
MAGE_TAG_PREFIX = 'mage.'
MAGE_PIPELINE_UUID = 'mage.pipeline_uuid'
MAGE_PIPELINE_RUN_ID = 'mage.pipeline_run_id'
MAGE_TRIGGER_NAME = 'mage.trigger_name'
MAGE_RETRAINING_RUN_ID = 'mage.retraining_run_id'
MAGE_RETRAINING_WHY = 'mage.retraining_why'
# Run tags of a monitoring run (observability.evaluation_log): the version scored, on which month,
# whether and what it breached; and when it started a retraining, the Mage run, the months it
# judged and why (observability.acting).
MONITORING_MODEL = 'monitoring.model'
MONITORING_VERSION = 'monitoring.version'
MONITORING_MONTH = 'monitoring.month'
MONITORING_BREACHED = 'monitoring.breached'
MONITORING_BREACHES = 'monitoring.breaches'
MONITORING_RETRAINING_RUN = 'monitoring.retraining_run'
MONITORING_RETRAINING_FOR = 'monitoring.retraining_for'
MONITORING_RETRAINING_WHY = 'monitoring.retraining_why'
# Run tags of a batch-scoring run: batch_scoring.<fact> (batch_scoring.record).
BATCH_SCORING_TAG_PREFIX = 'batch_scoring.'

# Registered-model tags: the champion alias's history, one tag per move (MLflow keeps none),
# ``champion_history.000001`` on: a JSON object {from, to, kind, who, when, why} (tracking.history).
CHAMPION_HISTORY_PREFIX = 'champion_history.'
ROLLED_BACK = 'rolled_back'  # version tag: when, by whom and why the alias was moved away from it


def registry_uri(client: Any) -> str:
    """Where ``client`` reads the registry (for messages)."""
    return getattr(client, '_registry_uri', None) or getattr(client, 'tracking_uri', None) or 'the MLflow registry'


def champion_version(client: Any, name: str) -> Optional[Any]:
    """``name``'s version behind the champion alias (an MLflow ``ModelVersion``), or None when
    the model or the alias does not exist yet. Any other failure (no answer, a server error)
    raises RegistryError naming the registry: it must never read as "no champion", which would
    let any model become one."""
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST, ErrorCode

    from mlops.utils.tracking.mlflow_setup import RegistryError

    def failed(error: MlflowException) -> RegistryError:
        return RegistryError(
            f'the MLflow registry at {registry_uri(client)} could not tell the {CHAMPION} version of {name!r} '
            f'({error.error_code}): {error.message}'
        )

    try:
        return client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException as error:
        if error.error_code == ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):  # no such registered model
            return None
        if error.error_code != ErrorCode.Name(INVALID_PARAMETER_VALUE):
            raise failed(error) from error
        lookup = error
    # MLflow's SQL store (and a server in front of one) reports a missing alias as
    # INVALID_PARAMETER_VALUE, the code of a malformed request too: ask the model itself.
    try:
        aliases = client.get_registered_model(name).aliases
    except MlflowException as error:
        if error.error_code == ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            return None
        raise failed(error) from error
    if CHAMPION not in (aliases or {}):
        return None
    raise failed(lookup) from lookup


def named_version(client: Any, name: str, version: str) -> Any:
    """``name``'s version ``version`` (an MLflow ``ModelVersion``). ConfigError when the registry
    has no such version (what the caller asked for is wrong); any other failure raises
    RegistryError naming the registry, never read as "no such version"."""
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST, ErrorCode

    from mlops.utils.errors import ConfigError
    from mlops.utils.tracking.mlflow_setup import RegistryError

    try:
        return client.get_model_version(name, version)
    except MlflowException as error:
        if error.error_code in (ErrorCode.Name(RESOURCE_DOES_NOT_EXIST), ErrorCode.Name(INVALID_PARAMETER_VALUE)):
            raise ConfigError(f'{name} has no version {version!r}: {error.message}') from None
        raise RegistryError(
            f'the MLflow registry at {registry_uri(client)} could not give {name} version {version} '
            f'({error.error_code}): {error.message}'
        ) from error
