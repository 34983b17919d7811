"""Automatic retraining: ask the source for a month newer than the champion's, and if there is
one, refresh the training set over the new window and run both training pipelines.

The children are Mage pipeline runs on the platform's one database, each in its own
sub-project (unit_2_training), under the trigger ``automatic retraining`` and with the
retraining run's id in their variables (``retraining_run_id``): the UI lists them under their
pipelines. Whoever drives the database's runs (the server's scheduler, see ``driver_lease``)
runs them while this run waits. The training set is refreshed under its global data
product's own schedule, so the training runs read it as the product's latest. The registry rule
decides promotion, as for any training run; a child that does not complete fails the
retraining run and names it. What a ``retrain_now`` request may set, and every bound, is
``api_variables``'s: checked first, before the source is asked anything.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from mlops.utils import pipelines
from mlops.utils.data_preparation.new_months import new_months
from mlops.utils.errors import ConfigError
from mlops.utils.orchestration.chain import CHAIN, Step
from mlops.utils.orchestration.variables import bounded_number
from mlops.utils.paths import project_dir
from mlops.utils.tracking.trained_range import champion_range
from mlops.utils.triggering.api_variables import check_api_run, child_timeout_seconds, json_object, requested_by
from mlops.utils.triggering.plan import (
    CADENCE_BOUNDS,
    CADENCE_VARIABLE,
    DEFAULT_CADENCE,
    RetrainingPlan,
    plan_retraining,
)

# unit_2_training's training set (its global data product), then the two training pipelines.
RETRAINING_STEPS: List[Step] = [step for step in CHAIN if step.project == pipelines.SKLEARN_TRAINING.project]
# Which retraining variable carries each training pipeline's own variables.
TRAINING_VARIABLES = {
    pipelines.SKLEARN_TRAINING.pipeline: 'sklearn_variables',
    pipelines.XGBOOST_TRAINING.pipeline: 'xgboost_variables',
}
# The trigger (Mage schedule) the children run under, as the UI lists it beside their runs.
CHILD_TRIGGER = 'automatic retraining'
# The variable of each child run that holds the id of the retraining run that started it.
CHILD_PARENT_VARIABLE = 'retraining_run_id'
# ... and why it retrained (the training runs keep both as MLflow tags: ``tracking.runs.mage_tags``).
CHILD_WHY_VARIABLE = 'retraining_why'


class RetrainingError(RuntimeError):
    """A child pipeline of the retraining did not complete; the champion is unchanged."""


def retraining_plan(variables: Mapping[str, Any]) -> RetrainingPlan:
    """What this retraining run should do, from the registry's champion and the source; the
    variables are checked first (ConfigError), so a refused request costs no work."""
    check_api_run(pipelines.RETRAIN_NOW, variables)
    child_timeout_seconds(variables)
    from mlflow.tracking import MlflowClient

    from mlops.utils.tracking.mlflow_setup import connect
    from mlops.utils.tracking.registry import registered_model_name

    asked = requested_by(variables)
    needed = retraining_cadence(variables)
    connect()
    trained = champion_range(MlflowClient(), registered_model_name())
    source = str(variables.get('data_source') or '').strip() or None
    return plan_retraining(trained, new_months(trained, source), source, needed, asked)


def retraining_cadence(variables: Mapping[str, Any]) -> int:
    """New months that retrain: 1 for a run someone asked for (``requested_by`` or a post to
    ``retrain_now``), else ``retrain_after_new_months`` (1..12)."""
    if requested_by(variables) or variables.get('trigger_name') == pipelines.RETRAIN_NOW.trigger:
        return 1
    value = variables.get(CADENCE_VARIABLE)
    if value in (None, ''):
        return DEFAULT_CADENCE
    return int(bounded_number(value, CADENCE_VARIABLE, *CADENCE_BOUNDS, whole=True))


def child_runs(plan: RetrainingPlan, variables: Mapping[str, Any]) -> List[Tuple[Step, Dict[str, Any]]]:
    """Each child pipeline with its variables; ConfigError for a variable it does not declare."""
    runs = []
    for step in RETRAINING_STEPS:
        if step.data_product:
            own = dict(plan.preparation_variables)
        else:
            name = TRAINING_VARIABLES[step.pipeline]
            own = json_object(variables.get(name), name)
            declared = step.declared_variables()
            unknown = sorted(set(own) - set(declared))
            if unknown:
                raise ConfigError(
                    f'{name}: {step.pipeline} has no variable(s) {", ".join(unknown)}; '
                    f'it has {", ".join(sorted(declared))}'
                )
        runs.append((step, own))
    return runs


RunChild = Callable[[Step, Dict[str, Any], float], Dict[str, Any]]


def run_child_in_mage(step: Step, variables: Dict[str, Any], timeout: float) -> Dict[str, Any]:
    """One child as a Mage run of its own sub-project; waits for its end (stopping it past
    ``timeout`` seconds) and returns its summary line (status, run id, models, champion)."""
    import time

    from mlops.utils.orchestration import mage_internals as mage
    from mlops.utils.orchestration.headless import wait_for_end
    from mlops.utils.orchestration.summaries import summarize

    started_at = time.time()
    run = mage.insert_run(
        step.pipeline, variables, step.data_product, project_path=project_dir(step.project), schedule_name=CHILD_TRIGGER
    )
    status = wait_for_end(lambda: None, lambda: mage.run_status(run), lambda: mage.stop_run(run), timeout, interval=2.0)
    result: Dict[str, Any] = {
        'label': step.label,
        'project': step.project,
        'pipeline': step.pipeline,
        'status': status,
        'pipeline_run_id': run.id,
        'execution_partition': run.execution_partition,
        'started_at': started_at,
    }
    if status == 'completed':
        result.update(summarize(result))
    else:
        # the failed blocks' errors, else what Mage's scheduler said (a run it cancelled itself)
        result['error'] = mage.run_failure(run.id)[0] or mage.scheduler_note(run) or status
    del result['execution_partition'], result['started_at']
    return result


def retrain(
    variables: Mapping[str, Any], run_child: RunChild = run_child_in_mage, log: Callable[[str], None] = print
) -> Dict[str, Any]:
    """Retrain when the source has a new month; otherwise say why not. Returns what happened."""
    plan = retraining_plan(variables)
    log(plan.message)
    summary: Dict[str, Any] = {
        'retrained': plan.retrain,
        'message': plan.message,
        'why': plan.reason if plan.retrain else '',
        'trained_until': plan.trained.end_month,
        'new_months': plan.new_months,
        'champion_before': plan.trained.version,
        'children': [],
    }
    if not plan.retrain:
        return summary
    children = child_runs(plan, variables)  # every variable checked before the first child runs
    timeout = child_timeout_seconds(variables)
    parent = variables.get('pipeline_run_id')  # Mage's id of this retraining run, when Mage runs it
    tie = {CHILD_PARENT_VARIABLE: parent, CHILD_WHY_VARIABLE: plan.reason} if parent is not None else {}
    lock = retraining_lock()
    if not lock.try_acquire(f'retraining run {parent}'):
        held = lock.holder()
        summary.update(
            retrained=False,
            message=f'another retraining is running ({held.get("doing", "?")}, since {held.get("since", "?")}): '
            f'this one trains nothing; {plan.trained.model} version {plan.trained.version} stays champion',
        )
        log(summary['message'])
        return summary
    try:
        run_children(children, tie, timeout, run_child, summary, plan, log)
    finally:
        lock.release()
    summary['champion_after'] = champion_number()
    return summary


def retraining_lock():
    """One retraining at a time, whichever trigger started it (``daily_retraining``,
    ``retrain_now``): two at once would train twice, and a training child reads the training
    set the latest refresh made, which could be the other retraining's."""
    from mlops.utils.orchestration.platform_state import platform_state_dir
    from mlops.utils.orchestration.runner_lock import RunnerLock

    return RunnerLock(platform_state_dir() / 'retraining.lock')


def run_children(
    children: List[Tuple[Step, Dict[str, Any]]],
    tie: Dict[str, Any],
    timeout: float,
    run_child: RunChild,
    summary: Dict[str, Any],
    plan: RetrainingPlan,
    log: Callable[[str], None],
) -> None:
    """Each child in turn; the first that does not complete fails the retraining."""
    for step, own in children:
        result = run_child(step, {**own, **tie}, timeout)
        summary['children'].append(result)
        log(f'{step.label}: {result["status"]} (run {result.get("pipeline_run_id")})')
        if result['status'] != 'completed':
            raise RetrainingError(
                f'{step.label} {result["status"]}'
                + (f' ({result["error"]})' if result.get('error') else '')
                + f'; {plan.trained.model} version {plan.trained.version} stays champion '
                'unless a completed training run beat it'
            )


def champion_number() -> Optional[str]:
    """The champion's version number now, or None without one."""
    from mlflow.tracking import MlflowClient

    from mlops.utils.tracking.registry import registered_model_name
    from mlops.utils.tracking.schema import champion_version

    champion = champion_version(MlflowClient(), registered_model_name())
    return None if champion is None else str(champion.version)
