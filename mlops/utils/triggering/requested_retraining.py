"""A retraining another pipeline asks for (monitoring, when the champion keeps failing): one run
of ``automatic_retraining`` through its API trigger ``retrain_now``, as a post to the trigger
makes one, with ``requested_by`` saying who asked and why. Never while a retraining is running.

The request's variables are the ones an API caller may send (``api_variables``): the retraining
run checks them again as it checks every ``retrain_now`` run.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from mlops.utils import pipelines
from mlops.utils.errors import ConfigError
from mlops.utils.paths import project_dir
from mlops.utils.triggering.api_variables import REQUESTED_BY, check_posted, json_object

# The variable of ``monitoring`` whose JSON object is handed to the retraining it starts
# (training budgets, ``child_timeout_seconds``; what ``retrain_now`` takes from a caller).
RETRAINING_VARIABLES = 'retraining_variables'


def retraining_variables(variables: Mapping[str, Any]) -> Dict[str, Any]:
    """``retraining_variables`` as a dict, checked as a post to ``retrain_now`` would be; a
    ConfigError naming it before any work."""
    requested = json_object(variables.get(RETRAINING_VARIABLES), RETRAINING_VARIABLES)
    if REQUESTED_BY in requested:
        raise ConfigError(f'{RETRAINING_VARIABLES} cannot set {REQUESTED_BY}: monitoring writes it')
    try:
        check_posted(pipelines.RETRAIN_NOW, requested)
    except ConfigError as error:
        raise ConfigError(f'{RETRAINING_VARIABLES}: {error}') from None
    return requested


def running_retraining() -> Optional[str]:
    """A retraining run not yet ended (any trigger, the runner's too), described; else None."""
    from mlops.utils.orchestration import mage_internals as mage

    step = pipelines.AUTOMATIC_RETRAINING
    runs = mage.active_runs(step.pipeline, project_dir(step.project))
    if not runs:
        return None
    run = runs[0]
    return f'{step.pipeline} run {run.id} is {mage.status_of(run.status)} (since {run.created_at:%Y-%m-%d %H:%M} UTC)'


def start_retraining(requested_by: str, variables: Mapping[str, Any]) -> int:
    """The id of the new Mage run of ``automatic_retraining`` under ``retrain_now``; the
    server's scheduler runs it."""
    from mlops.utils.orchestration import mage_internals as mage

    step = pipelines.AUTOMATIC_RETRAINING
    run = mage.run_trigger(
        step.pipeline,
        pipelines.RETRAIN_NOW.trigger,
        project_dir(step.project),
        {**variables, REQUESTED_BY: requested_by},
    )
    return int(run.id)
