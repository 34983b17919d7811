"""The ``batch_scoring`` pipeline's three steps, as the blocks call them: plan (variables
checked, version and months chosen), score (every month staged, nothing visible yet), publish
(files moved into place, the MLflow run logged, the summary returned)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping

from mlops.utils.batch_scoring.output import (
    publish,
    remove_staging,
    remove_stale_staging,
    staged_file,
    write_parquet,
)
from mlops.utils.batch_scoring.plan import Plan, make_plan
from mlops.utils.batch_scoring.record import batch_scoring_experiment, log_batch_run
from mlops.utils.batch_scoring.scoring import SOURCE_ROW, STAGES, WRITE, score_month
from mlops.utils.batch_scoring.variables import batch_variables
from mlops.utils.compute.choice import DASK
from mlops.utils.data_preparation.months import parse_month
from mlops.utils.data_preparation.sources import month_location
from mlops.utils.errors import DataError
from mlops.utils.model_code.features import INPUT_COLUMNS
from mlops.utils.tracking.lineage import rows_digest
from mlops.utils.tracking.loading import load_version
from mlops.utils.tracking.mlflow_setup import connect
from mlops.utils.tracking.registry import registered_model_name
from mlops.utils.tracking.runs import mage_tags

Log = Callable[[str], None]


def plan_batch(kwargs: Mapping[str, Any], log: Log = print) -> Dict[str, Any]:
    """The loader's step: the run's plan (``plan.Plan`` as a dict). The variables are checked
    first: a bad one costs no registry call and no download."""
    from mlflow.tracking import MlflowClient

    variables = batch_variables(kwargs)
    connect()
    run = kwargs.get('pipeline_run_id')
    plan = make_plan(variables, MlflowClient(), registered_model_name(), mage_run=None if run is None else str(run))
    for folder in remove_stale_staging(Path(plan.output)):
        log(f'removed {folder}: staging left by a run that was stopped')
    log(plan.describe())
    return plan.to_dict()


def month_line(month: Mapping[str, Any]) -> str:
    refused = ', '.join(f'{reason} {count}' for reason, count in month['refused'].items())
    return f'{month["month"]}: {month["rows_scored"]} of {month["rows_in"]} trips scored' + (
        f' ({month["rows_refused"]} not scored: {refused})' if refused else ''
    )


def stage_month(model: Any, month: str, final: str, job: Mapping[str, str]) -> Dict[str, Any]:
    """One month of the plan read, cleaned, scored and written to its staged file (``job``:
    ``month_job``'s); returns the month's figures only, never its rows. The one unit of work of
    both paths: in this process (pandas) or in a Dask worker (``on_dask``)."""
    scored = score_month(
        model, job['taxi_colour'], month, job['model'], job['model_version'], source=job['data_source']
    )
    staged = staged_file(Path(job['output']), job['token'], Path(final))
    started = time.perf_counter()
    write_parquet(scored.rows, staged)
    seconds = {**scored.seconds, WRITE: scored.seconds.get(WRITE, 0.0) + time.perf_counter() - started}
    return {
        'month': month,
        'file': final,
        'staged': str(staged),
        # what the month's run read, for MLflow's datasets (tracking.lineage): the file, and a
        # digest of the trips scored (their rows in the file and the model's inputs)
        'source_file': str(month_location(job['data_source'], job['taxi_colour'], parse_month(month))),
        'digest': rows_digest(scored.rows[[SOURCE_ROW, *INPUT_COLUMNS]]),
        'rows_in': scored.rows_in,
        'rows_scored': scored.rows_scored,
        'rows_refused': scored.rows_refused,
        'refused': scored.refused,
        'seconds': {stage: round(seconds[stage], 4) for stage in STAGES if stage in seconds},
    }


def month_job(plan: Plan) -> Dict[str, str]:
    """What ``stage_month`` needs of the plan, as plain text (what a Dask worker is sent)."""
    return {
        'taxi_colour': plan.taxi_colour,
        'model': plan.model,
        'model_version': plan.model_version,
        'data_source': plan.data_source,  # resolved when planned: a worker has none of this environment
        'output': plan.output,
        'token': plan.token,
    }


def score_batch(plan_values: Mapping[str, Any], log: Log = print) -> Dict[str, Any]:
    """The transformer's step: every month of the plan read, cleaned and scored by the plan's
    version, and staged (``output``); nothing is visible under the output folder yet. On any
    failure the run's staging folder is removed. ``compute=pandas``: month after month in this
    process; ``compute=dask``: one task per month on the Dask workers (``on_dask``), with the
    same ``stage_month``, so the same files. Also returns where the time went (``seconds``:
    loading the model, scoring the months)."""
    plan = Plan.from_dict(plan_values)
    months: List[Dict[str, Any]] = []
    seconds = {'load_model': 0.0, 'months': 0.0}
    if plan.months:
        from mlflow.tracking import MlflowClient

        connect()
        started = time.perf_counter()
        model = load_version(MlflowClient(), plan.model, plan.model_version)  # the plan's version, not the alias now
        loaded = time.perf_counter()
        try:
            if plan.compute == DASK:
                from mlops.utils.batch_scoring.on_dask import score_months_on_dask

                months = score_months_on_dask(plan, model, log)
            else:
                job = month_job(plan)
                for month, final in plan.files().items():
                    months.append(stage_month(model, month, final, job))
                    log(month_line(months[-1]))
        except BaseException:
            remove_staging(Path(plan.output), plan.token)
            raise
        seconds = {'load_model': round(loaded - started, 3), 'months': round(time.perf_counter() - loaded, 3)}
    return {'plan': plan.to_dict(), 'months': months, 'seconds': seconds}


def batch_summary(plan: Plan, months: List[Mapping[str, Any]], seconds: float) -> Dict[str, Any]:
    """What the run did: the figures over every month, each month's, and the files."""
    refused: Dict[str, int] = {}
    for month in months:
        for reason, count in month['refused'].items():
            refused[reason] = refused.get(reason, 0) + int(count)
    summary: Dict[str, Any] = {
        'model': plan.model,
        'model_version': plan.model_version,
        'champion': plan.champion,
        'taxi_colour': plan.taxi_colour,
        'data_source': plan.data_source,
        'output': plan.output,
        'compute': plan.compute,
        'months': [m['month'] for m in months],
        'skipped_months': list(plan.skipped_months),
        'rows_in': int(sum(m['rows_in'] for m in months)),
        'rows_scored': int(sum(m['rows_scored'] for m in months)),
        'rows_refused': int(sum(m['rows_refused'] for m in months)),
        'refused': refused,
        'outputs': [m['file'] for m in months],
        'by_month': [{k: v for k, v in m.items() if k != 'staged'} for m in months],
        'seconds': round(seconds, 3),
    }
    summary['message'] = summary_message(summary)
    return summary


def summary_message(summary: Mapping[str, Any]) -> str:
    who = f'{summary["model"]} v{summary["model_version"]}'
    skipped = summary['skipped_months']
    if not summary['months']:
        reason = f'already scored by {who}: {", ".join(skipped)}' if skipped else 'no month chosen'
        return f'nothing to score ({reason})'
    text = (
        f'{who} scored {summary["rows_scored"]} of {summary["rows_in"]} {summary["taxi_colour"]} trips of '
        f'{", ".join(summary["months"])} ({summary["rows_refused"]} not scored) into {summary["output"]}'
    )
    return text + (f'; skipped, already scored: {", ".join(skipped)}' if skipped else '')


def publish_batch(scored: Mapping[str, Any], kwargs: Mapping[str, Any], log: Log = print) -> Dict[str, Any]:
    """The exporter's step: the staged months moved into place (one rename each), the staging
    folder removed, the run logged to MLflow; returns the summary (with ``mlflow_run_id``)."""
    from mlflow.tracking import MlflowClient

    plan = Plan.from_dict(scored['plan'])
    for month in scored['months']:
        staged, final = Path(month['staged']), Path(month['file'])
        if staged.is_file():
            publish(staged, final)
        elif not final.is_file():  # a retried block finds what it moved already in place
            raise DataError(f'{month["month"]}: the staged scores {staged} are gone; run the pipeline again')
    remove_staging(Path(plan.output), plan.token)
    summary = batch_summary(plan, scored['months'], seconds=time.time() - plan.started_at)
    training_id = connect()  # before the client: it points MLflow at the store
    client = MlflowClient()
    experiment = batch_scoring_experiment(client, training_id)
    summary['mlflow_run_id'] = log_batch_run(client, experiment, summary, mage_tags(kwargs))
    log(f'{summary["message"]} (MLflow run {summary["mlflow_run_id"]})')
    return summary
