"""Automatic retraining: ask the source for a month newer than the champion's, and if there is
one, refresh the training set over the new window and run both training pipelines.

The children run through the project's runner (``python -m mlops.utils.orchestration``),
one step at a time, each bound to unit_2_training as the main job does: its training set is
refreshed under the global data product's own schedule and read back from unit_2's outputs.
Mage's own ``trigger_pipeline`` from a unit_4 block cannot do that in 0.9.80: the server then
resolves the child's pipeline and its global data product's outputs in the active
sub-project (``PipelineRun.pipeline``, dynamic blocks' remote inputs), so a retraining on the
server found unit_1's ``data_preparation`` and an empty training set. The runner's runs are
recorded in unit_2's own Mage database (its UI lists them there); with a shared database
(docker-compose's PostgreSQL) the children get unit_2's embedded one instead, so the server's
scheduler never drives a run the runner drives. The registry rule decides promotion, as for
any training run; a child that does not complete fails the retraining run and names it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from mlops.utils.errors import ConfigError
from mlops.utils.json_objects import parse_json_object
from mlops.utils.orchestration.chain import CHAIN, Step
from mlops.utils.paths import REPO_ROOT
from mlops.utils.triggering.new_data import champion_range, new_months
from mlops.utils.triggering.plan import RetrainingPlan, plan_retraining

# unit_2_training's training set (its global data product), then the two training pipelines.
RETRAINING_STEPS: List[Step] = [step for step in CHAIN if step.project == 'unit_2_training']
# Which retraining variable carries each training pipeline's own variables.
TRAINING_VARIABLES = {'sklearn_training': 'sklearn_variables', 'xgboost_training': 'xgboost_variables'}
DEFAULT_CHILD_TIMEOUT_SECONDS = 7200.0


class RetrainingError(RuntimeError):
    """A child pipeline of the retraining did not complete; the champion is unchanged."""


def retraining_plan(variables: Mapping[str, Any]) -> RetrainingPlan:
    """What this retraining run should do, from the registry's champion and the source."""
    from mlflow.tracking import MlflowClient

    from mlops.utils.tracking.mlflow_setup import connect
    from mlops.utils.tracking.registry import CHAMPION, registered_model_name

    connect()
    trained = champion_range(MlflowClient(), registered_model_name(), CHAMPION)
    source = str(variables.get('data_source') or '').strip() or None
    return plan_retraining(trained, new_months(trained, source), source)


def _object(value: Any, name: str) -> Dict[str, Any]:
    if value in (None, ''):
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    return parse_json_object(str(value), name, example='{"max_evaluations": 10}')


def child_runs(plan: RetrainingPlan, variables: Mapping[str, Any]) -> List[Tuple[Step, Dict[str, Any]]]:
    """Each child pipeline with its variables; ConfigError for a variable it does not declare."""
    runs = []
    for step in RETRAINING_STEPS:
        if step.data_product:
            own = dict(plan.preparation_variables)
        else:
            name = TRAINING_VARIABLES[step.pipeline]
            own = _object(variables.get(name), name)
            declared = step.declared_variables()
            unknown = sorted(set(own) - set(declared))
            if unknown:
                raise ConfigError(f'{name}: {step.pipeline} has no variable(s) {", ".join(unknown)}; '
                                  f'it has {", ".join(sorted(declared))}')
        runs.append((step, own))
    return runs


RunChild = Callable[[Step, Dict[str, Any], float], Dict[str, Any]]


def run_child_headless(step: Step, variables: Dict[str, Any], timeout: float) -> Dict[str, Any]:
    """One child through the runner; its summary line (status, run id, models, champion)."""
    env = {k: v for k, v in os.environ.items() if k != 'MAGE_DATABASE_CONNECTION_URL'}
    command = [sys.executable, '-m', 'mlops.utils.orchestration', '--pipelines', step.label,
               '--vars', json.dumps(variables), '--timeout', str(timeout)]
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{')]
    summary = {'label': step.label, **(lines[-1] if lines else {'status': 'crashed'})}
    if summary['status'] != 'completed':
        summary['error'] = _error_lines(result.stderr or result.stdout)
    return summary


def _error_lines(output: str, count: int = 3) -> str:
    """The lines of the runner's error output that say what failed (exceptions, its verdict)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    telling = [line for line in lines if 'Error' in line or 'Exception' in line or line.startswith('error:')]
    return ' | '.join((telling or lines)[-count:])


def retrain(variables: Mapping[str, Any], run_child: RunChild = run_child_headless,
            log: Callable[[str], None] = print) -> Dict[str, Any]:
    """Retrain when the source has a new month; otherwise say why not. Returns what happened."""
    plan = retraining_plan(variables)
    log(plan.message)
    summary: Dict[str, Any] = {'retrained': plan.retrain, 'message': plan.message,
                               'trained_until': plan.trained.end_month, 'new_months': plan.new_months,
                               'champion_before': plan.trained.version, 'children': []}
    if not plan.retrain:
        return summary
    children = child_runs(plan, variables)  # every variable checked before the first child runs
    timeout = float(variables.get('child_timeout_seconds') or DEFAULT_CHILD_TIMEOUT_SECONDS)
    for step, own in children:
        result = run_child(step, own, timeout)
        summary['children'].append(result)
        log(f'{step.label}: {result["status"]} (run {result.get("pipeline_run_id")})')
        if result['status'] != 'completed':
            raise RetrainingError(f'{step.label} {result["status"]}'
                                  + (f' ({result["error"]})' if result.get('error') else '')
                                  + f'; {plan.trained.model} version {plan.trained.version} stays champion '
                                  'unless a completed training run beat it')
    summary['champion_after'] = champion_version()
    return summary


def champion_version() -> Optional[str]:
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from mlops.utils.tracking.registry import CHAMPION, registered_model_name

    try:
        return str(MlflowClient().get_model_version_by_alias(registered_model_name(), CHAMPION).version)
    except MlflowException:
        return None
