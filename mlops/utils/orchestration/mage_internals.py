"""The Mage 0.9.80 internals the headless runner drives: binding a sub-project, the job queue,
inserting, driving, stopping and reading runs.

Why it is this long: it wraps ``mage_ai.orchestration`` for the whole project (the architecture
tests keep that import inside ``orchestration/``), so every run operation the runner, the replay,
the triggers and the dashboards need is here, as small functions.

Nothing else in the project imports ``mage_ai.orchestration``; the workarounds of Mage's bugs
are in ``workarounds/``, one module each.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

SCHEDULE_NAME = 'headless runner'
ACTIVE = ('initial', 'running')

# -- binding a sub-project --------------------------------------------------------------------


def bind_project(project_dir: Path) -> None:
    """Bind this process to one sub-project (Mage keeps one repo path per process), on the
    platform's one database, with every workaround of Mage's bugs; migrate it and open the
    session."""
    from mlops.utils.orchestration.platform_state import use_one_database
    from mlops.utils.orchestration.workarounds import install_workarounds

    use_one_database()
    install_workarounds()
    from mage_ai.settings.repo import set_repo_path

    set_repo_path(str(project_dir))
    from mage_ai.orchestration.db import db_connection
    from mage_ai.orchestration.db.database_manager import database_manager

    database_manager.run_migrations()
    db_connection.start_session()


def cancel_interrupted_runs(pipeline_uuid: str) -> int:
    """Cancel runs of the runner's own trigger left active by a killed earlier invocation;
    returns how many."""
    from mage_ai.orchestration.db.models.schedules import PipelineRun, PipelineSchedule

    stale = (
        PipelineRun.query.join(PipelineSchedule, PipelineRun.pipeline_schedule_id == PipelineSchedule.id)
        .filter(
            PipelineSchedule.name == SCHEDULE_NAME,
            PipelineRun.pipeline_uuid == pipeline_uuid,
            PipelineRun.status.in_(ACTIVE),
        )
        .all()
    )
    for run in stale:
        run.update(status=PipelineRun.PipelineRunStatus.CANCELLED)
    return len(stale)


# -- the job queue ----------------------------------------------------------------------------


def start_job_queue():
    from mage_ai.orchestration.job_manager import get_job_manager

    job_manager = get_job_manager()
    job_manager.start()
    return job_manager


def _queue_manager():
    """The multiprocessing Manager behind Mage's job queue, if this process started one."""
    module = sys.modules.get('mage_ai.orchestration.job_manager')
    job_manager = getattr(module, 'job_manager', None)
    return getattr(getattr(job_manager, 'queue', None), 'mp_manager', None)


def end_queue_processes() -> None:
    """Kill every process this one started (Mage's worker pool, workers, manager).

    Mage's ProcessQueue can leave a worker blocked in ``queue.get()`` for an item a sibling
    took (it checks ``empty()`` first, then ``get()``); its pool then never exits, and the
    interpreter would wait for it forever at exit. Once they are gone, multiprocessing's own
    exit handlers (temporary ``pymp-*`` folders, joins) run normally and return at once.
    """
    from mlops.utils.orchestration.process_tree import end_children

    manager = _queue_manager()
    if manager is not None:  # ends cleanly, removing its pymp-* folder; killed, it would not
        try:
            manager.shutdown()
        except Exception:  # already gone
            pass
    end_children(grace=0)


# -- runs -------------------------------------------------------------------------------------


def status_of(value) -> str:
    return getattr(value, 'value', value)


def drive_active_runs() -> None:
    """One scheduler tick over the bound sub-project's active runs: start initial ones, advance
    running ones (Mage's own classes). Runs of other sub-projects in the platform's database
    are left to a server's scheduler, which resolves their pipelines in their own folders."""
    from mage_ai.orchestration.db import db_connection
    from mage_ai.orchestration.db.models.schedules import PipelineRun, PipelineSchedule
    from mage_ai.orchestration.pipeline_scheduler import PipelineScheduler
    from mage_ai.settings.repo import get_repo_path

    db_connection.session.expire_all()
    runs = (
        PipelineRun.query.join(PipelineSchedule, PipelineRun.pipeline_schedule_id == PipelineSchedule.id)
        .filter(PipelineRun.status.in_(ACTIVE), PipelineSchedule.repo_path == get_repo_path())
        .all()
    )
    for run in runs:
        scheduler = PipelineScheduler(run)
        if status_of(run.status) == 'initial':
            scheduler.start()
        else:
            scheduler.schedule()


def insert_run(
    pipeline_uuid: str,
    variables: Dict[str, Any],
    data_product: Optional[str] = None,
    project_path: Optional[Path] = None,
    schedule_name: str = SCHEDULE_NAME,
):
    """A new run as an API trigger inserts it, under the trigger ``schedule_name`` of the
    pipeline in ``project_path`` (default: the bound sub-project); for a global data product's
    producer, under the product's own schedule, so its consumers take the run as the product's
    latest."""
    from mage_ai.settings.repo import get_repo_path

    repo_path = str(project_path or get_repo_path())
    if data_product is None:
        from mage_ai.orchestration.triggers.api import trigger_pipeline

        return trigger_pipeline(pipeline_uuid, repo_path=repo_path, variables=variables, schedule_name=schedule_name)
    from mage_ai.data_preparation.models.global_data_product import GlobalDataProduct
    from mage_ai.orchestration.triggers.global_data_product import fetch_or_create_pipeline_schedule
    from mage_ai.orchestration.triggers.utils import create_and_start_pipeline_run

    product = GlobalDataProduct.get(data_product, repo_path=repo_path)
    if product is None or product.object_uuid != pipeline_uuid:
        raise ValueError(f'global data product {data_product!r} is not produced by {pipeline_uuid!r}')
    schedule = fetch_or_create_pipeline_schedule(product)
    return create_and_start_pipeline_run(product.pipeline, schedule, dict(variables=variables))


def run_trigger(pipeline_uuid: str, schedule_name: str, project_path: Path, variables: Dict[str, Any]):
    """A run of the trigger ``schedule_name`` (any type: a time trigger as when its time comes,
    an API trigger as when it is posted to), made as Mage makes one: the trigger's own variables
    under ``variables``, listed under the trigger in the UI, run by the server's scheduler. A
    trigger of ``triggers.yaml`` that no server has synced yet is synced first; ValueError when
    the pipeline has no such trigger."""
    from mage_ai.data_preparation.models.pipeline import Pipeline
    from mage_ai.orchestration.db import db_connection
    from mage_ai.orchestration.db.models.schedules import PipelineSchedule
    from mage_ai.orchestration.triggers.utils import create_and_start_pipeline_run

    db_connection.session.expire_all()
    schedule = _schedule(pipeline_uuid, schedule_name, project_path)
    if schedule is None:  # no server has synced triggers.yaml yet: the server's own sync, for this one
        from mage_ai.data_preparation.models.triggers import get_triggers_by_pipeline

        found = [
            t for t in get_triggers_by_pipeline(pipeline_uuid, repo_path=str(project_path)) if t.name == schedule_name
        ]
        if found:
            PipelineSchedule.create_or_update_batch(found)
            schedule = _schedule(pipeline_uuid, schedule_name, project_path)
    if schedule is None:
        raise ValueError(f'{pipeline_uuid} in {project_path.name} has no trigger {schedule_name!r}')
    pipeline = Pipeline.get(pipeline_uuid, repo_path=str(project_path), use_repo_path=True)
    merged = {**(schedule.variables or {}), **variables}
    return create_and_start_pipeline_run(pipeline, schedule, dict(variables=merged))


def _schedule(pipeline_uuid: str, name: str, project_path: Path):
    from mage_ai.orchestration.db.models.schedules import PipelineSchedule

    return PipelineSchedule.query.filter(
        PipelineSchedule.name == name,
        PipelineSchedule.pipeline_uuid == pipeline_uuid,
        PipelineSchedule.repo_path == str(project_path),
    ).first()


def active_runs(pipeline_uuid: str, project_path: Path) -> List[Any]:
    """The runs of ``pipeline_uuid`` in ``project_path`` not yet ended (initial or running),
    whichever trigger made them."""
    from mage_ai.orchestration.db import db_connection
    from mage_ai.orchestration.db.models.schedules import PipelineRun, PipelineSchedule

    db_connection.session.expire_all()
    return (
        PipelineRun.query.join(PipelineSchedule, PipelineRun.pipeline_schedule_id == PipelineSchedule.id)
        .filter(
            PipelineRun.pipeline_uuid == pipeline_uuid,
            PipelineSchedule.repo_path == str(project_path),
            PipelineRun.status.in_(ACTIVE),
        )
        .all()
    )


def run_variables(run_id: Any) -> Optional[Dict[str, Any]]:
    """The variables Mage stored for run ``run_id`` (its ``event_variables`` under its
    ``variables``, as Mage hands both to the blocks); None when there is no such run."""
    from mage_ai.orchestration.db.models.schedules import PipelineRun

    run = PipelineRun.query.get(int(run_id)) if str(run_id).isdigit() else None
    if run is None:
        return None
    return {**(run.event_variables or {}), **(run.variables or {})}


def run_status(run) -> str:
    run.refresh()
    return status_of(run.status)


def stop_run(run) -> None:
    """End an active run as the UI's cancel does: block runs cancelled, jobs killed. The
    session's transaction is rolled back first: a stop often follows a signal that interrupted a
    query (SIGTERM raises inside SQLAlchemy's fetch), which leaves the session unusable until
    then, and the run would stay ``running``."""
    from mage_ai.orchestration.db import db_connection
    from mage_ai.orchestration.pipeline_scheduler import stop_pipeline_run

    db_connection.session.rollback()
    stop_pipeline_run(run)


def log_tail(block_run, lines: int = 25) -> str:
    try:
        content = block_run.logs.get('content') or ''
    except Exception as error:  # logs are best effort; the status is what counts
        return f'(logs unavailable: {error})'
    return '\n'.join(content.splitlines()[-lines:])


def failed_blocks(run) -> List[Dict[str, str]]:
    return [{'block': br.block_uuid, 'log': log_tail(br)} for br in run.block_runs if status_of(br.status) == 'failed']


class FinishedRun(NamedTuple):
    """A completed run of a pipeline, as Mage recorded it."""

    run_id: int
    completed_at: Optional[datetime]
    execution_partition: str


def latest_completed_run(pipeline_uuid: str) -> Optional[FinishedRun]:
    """The newest completed run of ``pipeline_uuid`` in Mage's database (any trigger), or None
    when it never completed."""
    from mage_ai.orchestration.db.models.schedules import PipelineRun

    run = (
        PipelineRun.query.filter(
            PipelineRun.pipeline_uuid == pipeline_uuid,
            PipelineRun.status == PipelineRun.PipelineRunStatus.COMPLETED,
        )
        .order_by(PipelineRun.id.desc())
        .first()
    )
    return None if run is None else FinishedRun(run.id, run.completed_at, run.execution_partition)


def read_block_output(project_dir: Path, pipeline_uuid: str, block_uuid: str, partition: str, index: int) -> Any:
    """One stored output (``output_<index>``) of a block of a finished run, without reading the
    others (a preparation's frames are millions of rows); None when the run stored none."""
    from mage_ai.data_preparation.models.pipeline import Pipeline

    pipeline = Pipeline.get(pipeline_uuid, repo_path=str(project_dir))
    manager = pipeline.variable_manager
    name = f'output_{index}'
    if name not in manager.get_variables_by_block(pipeline_uuid, block_uuid, partition=partition):
        return None
    return manager.get_variable(pipeline_uuid, block_uuid, name, partition=partition)


def read_block_outputs(project_dir: Path, pipeline_uuid: str, block_uuid: str, partition: str) -> List[Any]:
    """The stored outputs (``output_0``..) of one block of a finished run, in order."""
    from mage_ai.data_preparation.models.pipeline import Pipeline

    pipeline = Pipeline.get(pipeline_uuid, repo_path=str(project_dir))
    manager = pipeline.variable_manager
    names = manager.get_variables_by_block(pipeline_uuid, block_uuid, partition=partition)
    outputs = sorted((n for n in names if n.startswith('output_')), key=lambda n: int(n.split('_')[1]))
    return [manager.get_variable(pipeline_uuid, block_uuid, n, partition=partition) for n in outputs]


class RunRecord(NamedTuple):
    """A run as Mage's database holds it now: its trigger, status, variables and block runs."""

    run_id: int
    project: str  # the sub-project's folder name (the trigger's repo path)
    pipeline: str
    trigger: str
    trigger_type: str  # time, api, event
    status: str
    created_at: Optional[datetime]
    variables: Dict[str, Any]
    blocks: Tuple[Tuple[str, str], ...]  # (block uuid, status), in id order


def run_records(run_ids: Optional[List[int]] = None, active: bool = False, after_id: int = 0) -> List[RunRecord]:
    """The platform's runs, read fresh: those in ``run_ids``, or (``active``) those not ended, or
    every run with an id above ``after_id``; oldest first."""
    from mage_ai.orchestration.db import db_connection
    from mage_ai.orchestration.db.models.schedules import PipelineRun, PipelineSchedule

    db_connection.session.expire_all()
    query = PipelineRun.query.join(PipelineSchedule, PipelineRun.pipeline_schedule_id == PipelineSchedule.id)
    if run_ids is not None:
        query = query.filter(PipelineRun.id.in_(run_ids))
    if active:
        query = query.filter(PipelineRun.status.in_(ACTIVE))
    if after_id:
        query = query.filter(PipelineRun.id > after_id)
    records = []
    for run in query.order_by(PipelineRun.id).all():
        schedule = run.pipeline_schedule
        records.append(
            RunRecord(
                run.id,
                Path(schedule.repo_path or '').name,
                run.pipeline_uuid,
                schedule.name,
                status_of(schedule.schedule_type),
                status_of(run.status),
                run.created_at,
                dict(run.variables or {}),
                tuple((br.block_uuid, status_of(br.status)) for br in sorted(run.block_runs, key=lambda b: b.id)),
            )
        )
    db_connection.session.commit()  # no read transaction left open on the server's SQLite file
    return records


def last_run_id() -> int:
    """The newest run's id in the platform's database (0 without runs)."""
    from mage_ai.orchestration.db import db_connection
    from mage_ai.orchestration.db.models.schedules import PipelineRun

    db_connection.session.expire_all()
    run = PipelineRun.query.order_by(PipelineRun.id.desc()).first()
    db_connection.session.commit()
    return 0 if run is None else run.id


def run_failure(run_id: int) -> Tuple[str, str]:
    """Why a run failed: its failed blocks' exceptions as the failure alert names them, and the
    whole of what Mage kept of them (messages and tracebacks, where the exception's class is)."""
    import json

    from mage_ai.orchestration.db.models.schedules import PipelineRun

    from mlops.utils.orchestration.workarounds.failure_alert_details import failed_block_errors

    run = PipelineRun.query.get(run_id)
    if run is None:
        return '', ''
    kept = [(br.metrics or {}).get('error') for br in run.failed_block_runs or []]
    return failed_block_errors(run), json.dumps(kept, default=str)


# What Mage's scheduler logs for every run as a matter of course (``scheduler.log``).
ROUTINE_SCHEDULER_MESSAGES = (' is alive.', ') completes.', 'Execute PipelineRun ')


def scheduler_note(run) -> str:
    """The last thing Mage's scheduler logged about ``run`` beyond its routine, such as why it
    cancelled the run (``Memory usage across all pipeline runs has reached ...``); '' when
    nothing else was logged or the log cannot be read."""
    import json

    try:
        content = run.logs[1].get('content') or ''  # [pipeline.log, scheduler.log]
    except Exception:  # logs are best effort; the status is what counts
        return ''
    for line in reversed(content.splitlines()):
        _, _, record = line.partition(' ')
        try:
            message = str(json.loads(record).get('message') or '')
        except (ValueError, AttributeError):
            continue
        if message and not any(routine in message for routine in ROUTINE_SCHEDULER_MESSAGES):
            return message
    return ''
