"""Batch-scoring runs in MLflow: one run per pipeline run in the experiment
``<experiment>-batch-scoring`` (beside training's, artifacts beside its artifacts), holding what
the run scored: the model version, months, rows in, scored and refused (per reason), seconds,
the files written and where the months were scored (``compute``). A run is marked finished
only once everything is logged."""

from __future__ import annotations

import time
from typing import Any, Dict, List, Mapping, Tuple

from mlops.utils.tracking.lineage import file_dataset, log_datasets
from mlops.utils.tracking.mlflow_setup import sibling_experiment
from mlops.utils.tracking.schema import BATCH_SCORING_TAG_PREFIX

EXPERIMENT_SUFFIX = '-batch-scoring'
SUMMARY_ARTIFACT = 'batch_scoring.json'
TAG_PREFIX = BATCH_SCORING_TAG_PREFIX
TAG_LIMIT = 5000  # MLflow's tag value limit
# The summary's figures logged as metrics (refused rows per reason: ``refused.<reason>``).
METRICS = ('rows_in', 'rows_scored', 'rows_refused', 'seconds')


def batch_scoring_experiment(client: Any, training_id: str) -> str:
    """The batch-scoring experiment's id, created beside the training one ``training_id``."""
    return sibling_experiment(client, training_id, EXPERIMENT_SUFFIX)


def run_tags(summary: Mapping[str, Any], mage: Mapping[str, str]) -> Dict[str, str]:
    months = ', '.join(summary['months']) or 'none'
    tags = {
        **mage,
        f'{TAG_PREFIX}model': summary['model'],
        f'{TAG_PREFIX}version': str(summary['model_version']),
        f'{TAG_PREFIX}champion': str(bool(summary['champion'])).lower(),
        f'{TAG_PREFIX}taxi_colour': summary['taxi_colour'],
        f'{TAG_PREFIX}months': months,
        f'{TAG_PREFIX}skipped_months': ', '.join(summary['skipped_months']),
        f'{TAG_PREFIX}data_source': summary['data_source'],
        f'{TAG_PREFIX}output': summary['output'],
        f'{TAG_PREFIX}outputs': '\n'.join(summary['outputs']),
        f'{TAG_PREFIX}compute': summary['compute'],  # where the months were scored: pandas or dask
        'mlflow.runName': f'{summary["model"]} v{summary["model_version"]} on {months}',
    }
    return {key: str(value)[:TAG_LIMIT] for key, value in tags.items()}


SCORING = 'scoring'  # the datasets' context: the months a run read and scored


def month_datasets(summary: Mapping[str, Any]) -> List[Tuple[Any, str]]:
    """One MLflow dataset per month scored: its source file, and the digest of the trips scored
    (computed where the month was, never here)."""
    return [
        (
            file_dataset(month['source_file'], f'{summary["taxi_colour"]} {month["month"]} scored', month['digest']),
            SCORING,
        )
        for month in summary['by_month']
        if month.get('digest')
    ]


def log_batch_run(client: Any, experiment_id: str, summary: Mapping[str, Any], mage: Mapping[str, str]) -> str:
    """Logs ``summary`` (``steps.publish_batch``'s) as a finished run; returns its id. The whole
    summary, per month and with every file, is the run's ``batch_scoring.json`` artifact."""
    from mlflow.entities import Metric

    run_id = client.create_run(experiment_id, tags=run_tags(summary, mage)).info.run_id
    try:
        now = int(time.time() * 1000)
        metrics = [Metric(key, float(summary[key]), now, 0) for key in METRICS]
        metrics += [Metric(f'refused.{reason}', float(count), now, 0) for reason, count in summary['refused'].items()]
        metrics.append(Metric('months_scored', float(len(summary['months'])), now, 0))
        client.log_batch(run_id, metrics=metrics)
        client.log_dict(run_id, dict(summary), SUMMARY_ARTIFACT)
        log_datasets(run_id, month_datasets(summary))
    except BaseException:
        client.set_terminated(run_id, 'FAILED')
        raise
    client.set_terminated(run_id, 'FINISHED')
    return run_id
