"""One monitoring step: the champion on a month it was not trained on, scored once and logged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from mlops.utils.data_preparation.months import month_label, parse_month
from mlops.utils.data_preparation.new_months import new_months
from mlops.utils.data_preparation.reread import TARGET, month_trips, training_trips
from mlops.utils.errors import ConfigError
from mlops.utils.observability.acting import ActingPolicy, judge, latest_per_month
from mlops.utils.observability.evaluation_log import (
    find_evaluation,
    log_evaluation,
    monitoring_experiment,
    record_retraining,
    retraining_started_for,
    version_scores,
)
from mlops.utils.observability.month_evaluation import Thresholds, breaches, evaluate_month
from mlops.utils.tracking.lineage import MONITORED, TRAINING, trips_datasets
from mlops.utils.tracking.mlflow_setup import connect, file_lock
from mlops.utils.tracking.registry import registered_model_name
from mlops.utils.tracking.schema import MONITORING_MONTH, VALIDATION_RMSE
from mlops.utils.tracking.trained_range import champion_range
from mlops.utils.triggering.requested_retraining import retraining_variables, running_retraining, start_retraining


class NothingToScore(Exception):
    """The source holds no month after the champion's training range yet."""


@dataclass
class MonitoringResult:
    model: str
    version: str
    month: str
    run_id: str
    metrics: Dict[str, float]
    breaches: List[str]
    already_scored: bool
    experiment_id: str  # the monitoring experiment the run is in: where ``act`` reads the record

    def summary(self) -> str:
        state = 'already scored' if self.already_scored else 'scored'
        verdict = '; '.join(self.breaches) if self.breaches else 'within every threshold'
        return (
            f'{self.model} v{self.version} {state} on {self.month}: RMSE {self.metrics["rmse"]:.3f} '
            f'({self.metrics["rmse_increase"]:+.1%} vs validation), {verdict} (MLflow run {self.run_id})'
        )


def monitor(variables: Mapping[str, Any], mage_run: Optional[str] = None) -> MonitoringResult:
    """Scores the champion on ``variables['month']`` (default: the newest month at the source
    after its training range); a month already scored by this version is read back, not redone."""
    thresholds = Thresholds.from_variables(variables)  # the variables first: a bad one costs no work
    month = variables.get('month') or None
    if month:
        month = month_label(parse_month(str(month), 'month'))
    import mlflow
    from mlflow.tracking import MlflowClient

    training_id = connect()  # first of the work: it points MLflow at the store
    client = MlflowClient()
    experiment_id = monitoring_experiment(client, training_id)
    name = registered_model_name()
    trained = champion_range(client, name)
    source = variables.get('data_source') or None
    if not month:
        later = new_months(trained, source)
        if not later:
            raise NothingToScore(
                f'no month after {trained.end_month} at {source or trained.data_source}: '
                'nothing the champion was not trained on to score'
            )
        month = later[-1]
    if month <= trained.end_month:
        raise ConfigError(
            f'{name} v{trained.version} was trained and validated on {trained.start_month}..'
            f'{trained.end_month}: score a later month, not {month}'
        )
    with file_lock(f'monitoring-{name}-{trained.version}-{month}'):
        existing = find_evaluation(client, experiment_id, name, trained.version, month)
        if existing is not None:
            metrics = dict(existing.data.metrics)  # the figures stand; this run's thresholds judge them
            return MonitoringResult(
                name,
                trained.version,
                month,
                existing.info.run_id,
                metrics,
                breaches(metrics, thresholds),
                already_scored=True,
                experiment_id=experiment_id,
            )
        version = client.get_model_version(name, trained.version)
        baseline = client.get_run(version.run_id).data.metrics.get(VALIDATION_RMSE)
        if not baseline:
            raise ConfigError(f'{name} v{trained.version} has no validation rmse logged: nothing to compare with')
        model = mlflow.pyfunc.load_model(f'models:/{name}/{trained.version}')
        reference, trips = training_trips(trained), month_trips(trained, month, source)
        score = evaluate_month(model, reference, trips, baseline, thresholds, month)
        read = monitoring_datasets(trained, month, source, trips, reference)
        run_id = log_evaluation(client, experiment_id, trained, score, thresholds, mage_run, read)
    return MonitoringResult(
        name,
        trained.version,
        month,
        run_id,
        score.metrics,
        score.breaches,
        already_scored=False,
        experiment_id=experiment_id,
    )


def monitoring_datasets(trained, month: str, source: Optional[str], trips, reference) -> List[Tuple[Any, str]]:
    """What a monitoring run read, as MLflow datasets: the month scored and, for drift, the
    champion's training rows."""
    facts = {'taxi_colour': trained.taxi_colour, 'data_source': trained.data_source}
    return trips_datasets(
        (
            (
                MONITORED,
                trips,
                {**facts, 'data_source': source or trained.data_source, 'start_month': month, 'end_month': month},
            ),
            (TRAINING, reference, {**facts, 'start_month': trained.start_month, 'end_month': trained.end_month}),
        ),
        TARGET,
    )


class ChampionDegraded(RuntimeError):
    """A threshold was crossed: the Mage run fails with this, which is what sends the alert."""


@dataclass
class Action:
    """What monitoring did about the champion's record: the retraining it started, or why none."""

    message: str
    retraining_run: Optional[int] = None


def act(result: MonitoringResult, variables: Mapping[str, Any], thresholds: Thresholds) -> Action:
    """One retraining when the champion breached in k of its last n scored months, the newest
    among them (``acting.judge``); never twice for the same months (the monitoring run that
    started one carries its id and months), never while a retraining is running. MLflow is the
    store ``monitor`` connected to."""
    from mlflow.tracking import MlflowClient

    policy = ActingPolicy.from_variables(variables)
    requested = retraining_variables(variables)
    client = MlflowClient()
    with file_lock(f'monitoring-acts-{result.model}-{result.version}'):
        runs = version_scores(client, result.experiment_id, result.model, result.version)
        judgement = judge(latest_per_month(runs), policy, thresholds, result.version)
        if not judgement.due:
            return Action(judgement.why)
        started = retraining_started_for(runs, judgement.key)
        if started is not None:
            return Action(f'{judgement.why}; retraining run {started} was started for these months already')
        running = running_retraining()
        if running is not None:
            return Action(f'{judgement.why}; not started: {running}')
        why = f'monitoring run {result.run_id} ({result.model} v{result.version} on {result.month}): {judgement.why}'
        mage_run = start_retraining(why, requested)
        newest = next(r for r in runs if r.data.tags.get(MONITORING_MONTH) == judgement.judged[-1])
        record_retraining(client, newest.info.run_id, mage_run, judgement.key, why)
    return Action(f'{judgement.why}; started retraining run {mage_run} (automatic_retraining, retrain_now)', mage_run)


def run_monitoring(variables: Mapping[str, Any], log: Callable[[str], None] = print) -> Dict[str, Any]:
    """The ``monitoring`` pipeline's step: nothing new to score completes with the reason; a
    score within every threshold completes with the figures; a crossed threshold is logged to
    MLflow first, then, when the champion's record calls for it, one retraining starts (``act``),
    then ChampionDegraded is raised (the run fails and Mage's failure alert names the breaches and
    the retraining). The champion is never changed here."""
    thresholds = Thresholds.from_variables(variables)
    ActingPolicy.from_variables(variables)  # every variable checked before any work
    retraining_variables(variables)
    run = variables.get('pipeline_run_id')
    try:
        result = monitor(variables, mage_run=str(run) if run is not None else None)
    except NothingToScore as reason:
        log(str(reason))
        return {'scored': False, 'message': str(reason)}
    log(result.summary())
    action = act(result, variables, thresholds)
    log(action.message)
    if result.breaches:
        raise ChampionDegraded(f'{result.summary()}. {action.message}')
    return {
        'scored': True,
        'message': result.summary(),
        'action': action.message,
        'retraining_run': action.retraining_run,
        'month': result.month,
        'model_version': result.version,
        'run_id': result.run_id,
        'already_scored': result.already_scored,
        **result.metrics,
    }
