"""Monitoring results in MLflow: one run per (month, model version) in the experiment
``<experiment>-monitoring``, so the overview dashboard can chart them and a second scoring of
the same month by the same version finds the first instead of adding or replacing anything."""

from __future__ import annotations

import time
from typing import Any, Optional, Sequence, Tuple

from mlops.utils.observability.month_evaluation import MONITORING_EXPERIMENT_SUFFIX, MonthEvaluation, Thresholds
from mlops.utils.tracking.lineage import log_datasets
from mlops.utils.tracking.mlflow_setup import sibling_experiment
from mlops.utils.tracking.schema import (
    MAGE_PIPELINE_RUN_ID,
    MONITORING_BREACHED,
    MONITORING_BREACHES,
    MONITORING_MODEL,
    MONITORING_MONTH,
    MONITORING_RETRAINING_FOR,
    MONITORING_RETRAINING_RUN,
    MONITORING_RETRAINING_WHY,
    MONITORING_VERSION,
)
from mlops.utils.tracking.trained_range import TrainedRange


def monitoring_experiment(client, training_id: str) -> str:
    """The monitoring experiment's id (created beside the training one ``training_id``, its
    artifacts beside the training ones)."""
    return sibling_experiment(client, training_id, MONITORING_EXPERIMENT_SUFFIX)


def find_evaluation(client, experiment_id: str, model: str, version: str, month: str):
    """The finished run that scored ``month`` with ``model`` ``version``, or None."""
    runs = client.search_runs(
        [experiment_id],
        filter_string=(
            f"tags.`{MONITORING_MODEL}` = '{model}' and tags.`{MONITORING_VERSION}` = '{version}' "
            f"and tags.`{MONITORING_MONTH}` = '{month}' and attributes.status = 'FINISHED'"
        ),
        max_results=1,
    )
    return runs[0] if runs else None


def log_evaluation(
    client,
    experiment_id: str,
    trained: TrainedRange,
    score: MonthEvaluation,
    thresholds: Thresholds,
    mage_run: Optional[str] = None,
    datasets: Sequence[Tuple[Any, str]] = (),
) -> str:
    """Logs ``score`` as a finished run (metrics, thresholds as params, breaches as tags, the
    rows read as MLflow ``datasets``: ``tracking.lineage``);
    returns its id. A run is marked finished only once everything is logged: a crash halfway
    leaves a run that ``find_evaluation`` ignores, and the next scoring redoes the month."""
    from mlflow.entities import Metric, Param

    tags = {
        MONITORING_MODEL: trained.model,
        MONITORING_VERSION: trained.version,
        MONITORING_MONTH: score.month,
        MONITORING_BREACHED: str(bool(score.breaches)).lower(),
        MONITORING_BREACHES: '\n'.join(score.breaches)[:5000],  # MLflow's tag value limit
        'mlflow.runName': f'{trained.model} v{trained.version} on {score.month}',
    }
    if mage_run:
        tags[MAGE_PIPELINE_RUN_ID] = mage_run
    run = client.create_run(experiment_id, tags=tags)
    run_id = run.info.run_id
    try:
        now = int(time.time() * 1000)
        client.log_batch(
            run_id,
            metrics=[Metric(key, float(value), now, 0) for key, value in score.metrics.items()],
            params=[Param(f'threshold_{key}', str(value)) for key, value in vars(thresholds).items()]
            + [Param('trained_months', f'{trained.start_month}..{trained.end_month}')],
        )
        log_datasets(run_id, datasets)
    except Exception:
        client.set_terminated(run_id, 'FAILED')
        raise
    client.set_terminated(run_id, 'FINISHED')
    return run_id


def version_scores(client, experiment_id: str, model: str, version: str) -> list:
    """Every finished monitoring run of ``model`` ``version``, newest first."""
    return client.search_runs(
        [experiment_id],
        filter_string=(
            f"tags.`{MONITORING_MODEL}` = '{model}' and tags.`{MONITORING_VERSION}` = '{version}' "
            "and attributes.status = 'FINISHED'"
        ),
        order_by=['attributes.start_time DESC'],
        max_results=1000,
    )


def retraining_started_for(runs: Sequence[Any], months: str) -> Optional[str]:
    """The Mage run id of the retraining a monitoring run among ``runs`` started for ``months``."""
    for run in runs:
        if run.data.tags.get(MONITORING_RETRAINING_FOR) == months:
            return run.data.tags.get(MONITORING_RETRAINING_RUN, '?')
    return None


def record_retraining(client, run_id: str, mage_run_id: Any, months: str, why: str) -> None:
    client.set_tag(run_id, MONITORING_RETRAINING_RUN, str(mage_run_id))
    client.set_tag(run_id, MONITORING_RETRAINING_FOR, months)
    client.set_tag(run_id, MONITORING_RETRAINING_WHY, why[:5000])
