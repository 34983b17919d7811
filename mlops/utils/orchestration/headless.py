"""Run one Mage pipeline headless through Mage's own scheduler machinery.

The run is inserted like an API trigger does (``trigger_pipeline``), then this process drives
Mage's ``PipelineScheduler`` over every active run of the sub-project until ours ends. Block
runs execute in Mage's job queue with ``@test`` checks, exactly as under ``mage start``; runs
that blocks insert themselves (global data products) are driven too. Time triggers are not
fired: a headless run does only what it was asked.

Mage binds its repo path and database per process, so use one fresh process per sub-project
(``python -m mlops.utils.orchestration.headless``, as the CLI does).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

from mlops.utils.paths import REPO_ROOT

SCHEDULE_NAME = 'headless runner'
TERMINAL = ('completed', 'failed', 'cancelled')


def project_path(project: str) -> Path:
    return REPO_ROOT / 'mlops' / project


def _status(value) -> str:
    return getattr(value, 'value', value)


def _log_tail(block_run, lines: int = 25) -> str:
    try:
        content = block_run.logs.get('content') or ''
    except Exception as error:  # logs are best effort; the status is what counts
        return f'(logs unavailable: {error})'
    return '\n'.join(content.splitlines()[-lines:])


def _cancel_interrupted_runs(pipeline_uuid: str) -> None:
    """Runs of this runner's own trigger left active by a killed earlier invocation."""
    from mage_ai.orchestration.db.models.schedules import PipelineRun, PipelineSchedule

    stale = (
        PipelineRun.query.join(PipelineSchedule, PipelineRun.pipeline_schedule_id == PipelineSchedule.id)
        .filter(PipelineSchedule.name == SCHEDULE_NAME, PipelineRun.pipeline_uuid == pipeline_uuid,
                PipelineRun.status.in_(['initial', 'running']))
        .all()
    )
    for run in stale:
        run.update(status=PipelineRun.PipelineRunStatus.CANCELLED)


def _drive_active_runs() -> None:
    """One scheduler tick: start initial runs, advance running ones (Mage's own classes)."""
    from mage_ai.orchestration.db import db_connection
    from mage_ai.orchestration.db.models.schedules import PipelineRun
    from mage_ai.orchestration.pipeline_scheduler import PipelineScheduler

    db_connection.session.expire_all()
    for run in PipelineRun.query.filter(PipelineRun.status.in_(['initial', 'running'])).all():
        scheduler = PipelineScheduler(run)
        if _status(run.status) == 'initial':
            scheduler.start()
        else:
            scheduler.schedule()


def run_pipeline(project: str, pipeline_uuid: str, variables: Dict[str, Any],
                 timeout: float = 3600.0, tick: float = 0.5) -> Dict[str, Any]:
    """Run the pipeline to the end; a dict with status, run id, seconds, failures, outputs."""
    from mage_ai.settings.repo import set_repo_path

    set_repo_path(str(project_path(project)))

    from mage_ai.orchestration.db import db_connection
    from mage_ai.orchestration.db.database_manager import database_manager
    from mage_ai.orchestration.job_manager import get_job_manager
    from mage_ai.orchestration.triggers.api import trigger_pipeline

    database_manager.run_migrations()
    db_connection.start_session()
    _cancel_interrupted_runs(pipeline_uuid)

    job_manager = get_job_manager()
    job_manager.start()
    started = time.monotonic()
    try:
        run = trigger_pipeline(pipeline_uuid, variables=variables, schedule_name=SCHEDULE_NAME)
        while True:
            _drive_active_runs()
            run.refresh()
            if _status(run.status) in TERMINAL:
                break
            if time.monotonic() - started > timeout:
                from mage_ai.orchestration.pipeline_scheduler import stop_pipeline_run
                stop_pipeline_run(run)
                break
            time.sleep(tick)
        seconds = time.monotonic() - started
        status = _status(run.status)
        failures: List[Dict[str, str]] = [
            {'block': br.block_uuid, 'log': _log_tail(br)}
            for br in run.block_runs if _status(br.status) == 'failed'
        ]
        if status not in TERMINAL:
            status = 'timed out'
        return {
            'project': project,
            'pipeline': pipeline_uuid,
            'status': status,
            'pipeline_run_id': run.id,
            'execution_partition': run.execution_partition,
            'seconds': round(seconds, 2),
            'failures': failures,
        }
    finally:
        job_manager.stop()


def read_block_outputs(project: str, pipeline_uuid: str, block_uuid: str, partition: str) -> List[Any]:
    """The stored outputs (``output_0``..) of one block of a finished run, in order."""
    from mage_ai.data_preparation.models.pipeline import Pipeline

    pipeline = Pipeline.get(pipeline_uuid, repo_path=str(project_path(project)))
    manager = pipeline.variable_manager
    names = manager.get_variables_by_block(pipeline_uuid, block_uuid, partition=partition)
    outputs = sorted((n for n in names if n.startswith('output_')), key=lambda n: int(n.split('_')[1]))
    return [manager.get_variable(pipeline_uuid, block_uuid, n, partition=partition) for n in outputs]


def main(argv: List[str]) -> int:
    """``headless <project> <pipeline> <variables-json> <result-file>``: run, then write JSON."""
    project, pipeline_uuid, variables_json, result_file = argv
    from mlops.utils.orchestration.summaries import summarize

    result = run_pipeline(project, pipeline_uuid, json.loads(variables_json))
    if result['status'] == 'completed':
        result.update(summarize(result))
    Path(result_file).write_text(json.dumps(result))
    return 0 if result['status'] == 'completed' else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
