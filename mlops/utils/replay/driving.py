"""One month through the server's real triggers, as their schedules would run them once it has
arrived: ``daily_monitoring`` (the champion scored on it: error and drift; a crossed threshold
fails the run, which is the alert, and may start a retraining through ``retrain_now``), then
``daily_batch_scoring`` (every trip of it scored), then ``daily_retraining`` (its sensor
``detect_new_data`` is the new-month sensor; it retrains on the replay's cadence).

Each run is made as Mage makes a run of the trigger (``mage_internals.run_trigger``) and carries
``replay_month``; the server's scheduler executes it, the replay only waits, watching every
active run for the soak. Before each trigger and after the last, every run of the pipelines
involved ends first, whichever trigger made it (a retraining monitoring started, a time
trigger's own run). The outcome of each run is kept in the state; a run the replay cannot go on
from (cancelled, failed other than by a breach, a retraining that failed) stops it, naming it.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, NamedTuple, Optional

from mlops.utils import pipelines
from mlops.utils.orchestration import mage_internals as mage
from mlops.utils.paths import project_dir
from mlops.utils.pipelines import PipelineName
from mlops.utils.replay.budgets import retraining_variables
from mlops.utils.replay.soak import REPLAY_VARIABLE, Soak
from mlops.utils.replay.state import ReplayError, ReplayState

POLL_SECONDS = 2.0
RUN_TIMEOUT_SECONDS = 3 * 3600.0  # far past any run on the quick budgets; a stuck one stops sooner (soak)
ENDED = ('completed', 'failed', 'cancelled')
SYNC_SECONDS = 180.0  # a new server's first tick syncs every triggers.yaml
BREACH = 'ChampionDegraded'  # monitoring's exception when the champion crosses a threshold


class TriggerStep(NamedTuple):
    name: str
    pipeline: PipelineName
    trigger: str


STEPS = (
    TriggerStep('monitoring', pipelines.MONITORING, 'daily_monitoring'),
    TriggerStep('batch_scoring', pipelines.BATCH_SCORING, 'daily_batch_scoring'),
    TriggerStep('retraining', pipelines.AUTOMATIC_RETRAINING, 'daily_retraining'),
)
# A retraining's runs: itself, then its children (the training set, both training pipelines).
RETRAINING = {
    p.pipeline
    for p in (
        pipelines.AUTOMATIC_RETRAINING,
        pipelines.PREPARE_TRAINING_SET,
        pipelines.SKLEARN_TRAINING,
        pipelines.XGBOOST_TRAINING,
    )
}
# The pipelines whose runs end before the next trigger runs.
WATCHED = RETRAINING | {pipelines.MONITORING.pipeline, pipelines.BATCH_SCORING.pipeline}


def step_variables(
    step: TriggerStep, month: str, retrain_after: int, monitoring: Optional[Dict[str, Any]] = None
) -> Dict[str, Any]:
    variables: Dict[str, Any] = {REPLAY_VARIABLE: month}
    if step.name == 'monitoring':
        variables['retraining_variables'] = retraining_variables()  # for a retraining it starts
        variables.update(monitoring or {})
    if step.name == 'retraining':
        variables.update(retraining_variables(), retrain_after_new_months=retrain_after)
    return variables


class Driver:
    def __init__(
        self,
        state: ReplayState,
        soak: Soak,
        retrain_after: int,
        monitoring: Optional[Dict[str, Any]] = None,
        log: Callable[[str], None] = print,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.state, self.soak, self.retrain_after, self.log, self.sleep = state, soak, retrain_after, log, sleep
        self.monitoring = monitoring or {}  # the monitoring runs' own variables (thresholds)

    def look(self) -> List[mage.RunRecord]:
        """The active runs, once: the soak sees them, windows past their time are counted."""
        active = mage.run_records(active=True)
        self.soak.observe(active)
        self.soak.close_windows()
        return active

    def wait_idle(self) -> None:
        """Until no run of the watched pipelines is active, whoever made it."""
        while any(run.pipeline in WATCHED for run in self.look()):
            self.sleep(POLL_SECONDS)

    def wait_run(self, run_id: int) -> mage.RunRecord:
        started = time.monotonic()
        while True:
            self.look()
            (run,) = mage.run_records([run_id])
            if run.status in ENDED:
                return run
            if time.monotonic() - started > RUN_TIMEOUT_SECONDS:
                raise ReplayError(f'run {run_id} of {run.pipeline} has not ended after {RUN_TIMEOUT_SECONDS:.0f} s')
            self.sleep(POLL_SECONDS)

    def run_for(self, month: str, step: TriggerStep, after_id: int) -> int:
        """The step's run for ``month``: the one recorded, else one made before a stop that could
        not record it (found by its ``replay_month``), else a new one."""
        recorded = self.state.run_of(month, step.name)
        if recorded:
            return recorded['run_id']
        for run in mage.run_records(after_id=after_id):
            if (run.pipeline, run.trigger, run.variables.get(REPLAY_VARIABLE)) == (
                step.pipeline.pipeline,
                step.trigger,
                month,
            ):
                return run.run_id
        variables = step_variables(step, month, self.retrain_after, self.monitoring)
        deadline = time.monotonic() + SYNC_SECONDS
        while True:
            try:
                run = mage.run_trigger(
                    step.pipeline.pipeline, step.trigger, project_dir(step.pipeline.project), variables
                )
                return run.id
            except ValueError:  # a server just started syncs triggers.yaml at its first tick
                if time.monotonic() > deadline:
                    raise ReplayError(
                        f'the server has no trigger {step.trigger} of {step.pipeline.pipeline} after {SYNC_SECONDS:.0f} s: '
                        'is its scheduler running? see the server log'
                    ) from None
                self.sleep(POLL_SECONDS)

    def drive(self, month: str) -> Dict[str, Any]:
        """Every step of ``month``; returns what the month's runs did."""
        after_id = self.state.data.setdefault('month_first_run', {}).setdefault(month, mage.last_run_id())
        self.state.save()
        for step in STEPS:
            self.wait_idle()
            recorded = self.state.run_of(month, step.name)
            if recorded and recorded.get('status') in ENDED:
                continue
            run_id = self.run_for(month, step, after_id)
            self.state.record_run(month, step.name, {'run_id': run_id, 'trigger': step.trigger, 'status': 'made'})
            run = self.wait_run(run_id)
            outcome = {'run_id': run_id, 'trigger': step.trigger, 'status': run.status}
            if run.status == 'failed':
                alert, kept = mage.run_failure(run_id)
                outcome['error'] = alert
                if step.name == 'monitoring' and BREACH in kept:
                    outcome['breach'] = True
            self.state.record_run(month, step.name, outcome)
            self.log(
                f'{month} {step.trigger}: run {run_id} {run.status}'
                + (' (thresholds breached: the alert)' if outcome.get('breach') else '')
            )
            if run.status != 'completed' and not outcome.get('breach'):
                raise ReplayError(
                    f'{month}: {step.pipeline.pipeline} run {run_id} ({step.trigger}) {run.status}'
                    + (f': {outcome["error"]}' if outcome.get('error') else '')
                    + '; see the run in the UI and the server log'
                )
        self.wait_idle()
        return self.others(month, after_id)

    def others(self, month: str, after_id: int) -> Dict[str, Any]:
        """The runs of the month the replay did not make (a retraining monitoring started, the
        children of retrainings, a time trigger's own): kept; a failed retraining stops the replay."""
        others = [run for run in mage.run_records(after_id=after_id) if REPLAY_VARIABLE not in run.variables]
        kept = [{'run_id': r.run_id, 'pipeline': r.pipeline, 'trigger': r.trigger, 'status': r.status} for r in others]
        self.state.month_runs(month)['others'] = kept
        self.state.save()
        failed: Optional[mage.RunRecord] = next(
            (r for r in others if r.pipeline in RETRAINING and r.status in ('failed', 'cancelled')), None
        )
        if failed is not None:
            alert, _ = mage.run_failure(failed.run_id)
            raise ReplayError(
                f'{month}: a retraining run failed: {failed.pipeline} run {failed.run_id} ({failed.trigger}) '
                f'{failed.status}' + (f': {alert}' if alert else '')
            )
        return {'others': kept}
