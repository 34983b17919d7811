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
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Dict, List, Optional

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


def _revive_worker_pool(job_manager) -> None:
    """Work around a race in Mage's ProcessQueue (mage-ai/mage-ai#3998): the worker-pool
    process can exit on an empty-looking queue just after a job was put, while ``enqueue``
    saw it alive; the job then waits forever, since ``has_job`` still finds it queued."""
    queue = getattr(job_manager, 'queue', None)
    if queue is None or not hasattr(queue, 'start_worker_pool'):
        return
    if not queue.queue.empty() and not queue.is_worker_pool_alive():
        queue.start_worker_pool()


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


def _insert_run(pipeline_uuid: str, variables: Dict[str, Any], data_product: Optional[str]):
    """A new run as an API trigger inserts it; for a global data product's producer, under
    the product's own schedule, so its consumers take the run as the product's latest."""
    if data_product is None:
        from mage_ai.orchestration.triggers.api import trigger_pipeline

        return trigger_pipeline(pipeline_uuid, variables=variables, schedule_name=SCHEDULE_NAME)
    from mage_ai.data_preparation.models.global_data_product import GlobalDataProduct
    from mage_ai.orchestration.triggers.global_data_product import fetch_or_create_pipeline_schedule
    from mage_ai.orchestration.triggers.utils import create_and_start_pipeline_run
    from mage_ai.settings.repo import get_repo_path

    product = GlobalDataProduct.get(data_product, repo_path=get_repo_path())
    if product is None or product.object_uuid != pipeline_uuid:
        raise ValueError(f'global data product {data_product!r} is not produced by {pipeline_uuid!r}')
    schedule = fetch_or_create_pipeline_schedule(product)
    return create_and_start_pipeline_run(product.pipeline, schedule, dict(variables=variables))


def run_pipeline(project: str, pipeline_uuid: str, variables: Dict[str, Any],
                 timeout: float = 3600.0, tick: float = 0.5,
                 data_product: Optional[str] = None) -> Dict[str, Any]:
    """Run the pipeline to the end; a dict with status, run id, seconds, failures, outputs.
    With ``data_product``, the run refreshes that global data product."""
    from mage_ai.settings.repo import set_repo_path

    set_repo_path(str(project_path(project)))

    from mage_ai.orchestration.db import db_connection
    from mage_ai.orchestration.db.database_manager import database_manager
    from mage_ai.orchestration.job_manager import get_job_manager

    database_manager.run_migrations()
    db_connection.start_session()
    _cancel_interrupted_runs(pipeline_uuid)

    job_manager = get_job_manager()
    job_manager.start()
    started, started_at = time.monotonic(), time.time()
    try:
        run = _insert_run(pipeline_uuid, variables, data_product)
        while True:
            _drive_active_runs()
            _revive_worker_pool(job_manager)
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
            'started_at': started_at,
            'seconds': round(seconds, 2),
            'failures': failures,
        }
    finally:
        job_manager.stop()


def stop_descendants() -> None:
    """End the job queue's processes once the run is over.

    Mage's ProcessQueue can leave a worker blocked in ``queue.get()`` for an item a sibling
    took (it checks ``empty()`` first, then ``get()``); its pool then never exits, and the
    interpreter would wait for it forever at exit.
    """
    import psutil

    children = psutil.Process().children(recursive=True)
    for child in children:
        child.kill()
    psutil.wait_procs(children, timeout=10)


def read_block_outputs(project: str, pipeline_uuid: str, block_uuid: str, partition: str) -> List[Any]:
    """The stored outputs (``output_0``..) of one block of a finished run, in order."""
    from mage_ai.data_preparation.models.pipeline import Pipeline

    pipeline = Pipeline.get(pipeline_uuid, repo_path=str(project_path(project)))
    manager = pipeline.variable_manager
    names = manager.get_variables_by_block(pipeline_uuid, block_uuid, partition=partition)
    outputs = sorted((n for n in names if n.startswith('output_')), key=lambda n: int(n.split('_')[1]))
    return [manager.get_variable(pipeline_uuid, block_uuid, n, partition=partition) for n in outputs]


def main(argv: List[str]) -> int:
    """``headless <project> <pipeline> <variables-json> <result-file> [<data product>]``:
    run, then write the result as JSON."""
    project, pipeline_uuid, variables_json, result_file, *data_product = argv
    from mlops.utils.orchestration.summaries import summarize

    result = run_pipeline(project, pipeline_uuid, json.loads(variables_json),
                          data_product=data_product[0] if data_product else None)
    if result['status'] == 'completed':
        result.update(summarize(result))
    Path(result_file).write_text(json.dumps(result))
    return 0 if result['status'] == 'completed' else 1


if __name__ == '__main__':
    try:
        code = main(sys.argv[1:])
    except BaseException:  # report, then still end the queue's processes
        traceback.print_exc()
        code = 1
    stop_descendants()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # skip multiprocessing's exit-time joins of Mage's queue processes
