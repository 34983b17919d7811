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
from mlops.utils.batch_scoring.scoring import score_month
from mlops.utils.batch_scoring.variables import batch_variables
from mlops.utils.errors import DataError
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


def score_batch(plan_values: Mapping[str, Any], log: Log = print) -> Dict[str, Any]:
    """The transformer's step: every month of the plan read, cleaned and scored by the plan's
    version, and staged (``output``); nothing is visible under the output folder yet. On any
    failure the run's staging folder is removed."""
    plan = Plan.from_dict(plan_values)
    months: List[Dict[str, Any]] = []
    if plan.months:
        from mlflow.tracking import MlflowClient

        connect()
        model = load_version(MlflowClient(), plan.model, plan.model_version)  # the plan's version, not the alias now
        output = Path(plan.output)
        try:
            for month, final in plan.files().items():
                scored = score_month(
                    model, plan.taxi_colour, month, plan.model, plan.model_version, source=plan.data_source
                )
                staged = staged_file(output, plan.token, Path(final))
                write_parquet(scored.rows, staged)
                months.append(
                    {
                        'month': month,
                        'file': final,
                        'staged': str(staged),
                        'rows_in': scored.rows_in,
                        'rows_scored': scored.rows_scored,
                        'rows_refused': scored.rows_refused,
                        'refused': scored.refused,
                    }
                )
                log(month_line(months[-1]))
        except BaseException:
            remove_staging(output, plan.token)
            raise
    return {'plan': plan.to_dict(), 'months': months}


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
