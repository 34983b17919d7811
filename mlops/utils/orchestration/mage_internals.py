"""Every Mage 0.9.80 internal this project touches, each workaround beside what it works around.

Nothing else in the project imports ``mage_ai.orchestration`` or patches Mage: the runner
(``headless``), its summaries and the server entry point call these functions.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, List, Optional

from mlops.utils.orchestration.patching import patch_on_import

SCHEDULE_NAME = 'headless runner'
ACTIVE = ('initial', 'running')

# -- one database connection per process ----------------------------------------------------

# What a forked child inherited from its parent and must neither use nor close (see below).
_INHERITED: List[Any] = []
_FORK_HOOK_INSTALLED = False


def _own_connections_after_fork() -> None:
    """In a forked child: a new connection pool and session for Mage's engine.

    Mage's ``ProcessQueue.start_worker_pool`` forks the worker pool (and the pool forks one
    ``Worker`` per job) without disposing the SQLAlchemy engine, unlike its own
    ``orchestration.db.process.create_process``; ``orchestration/db/__init__.py`` even opens a
    connection at import. A worker's ``start_session(force=True)`` then checks a connection out
    of the *inherited* pool, one whose socket the parent is still using: both processes talk on
    one PostgreSQL connection, and libpq reports ``error with status PGRES_TUPLES_OK and no
    message from the libpq`` (or reads the other's rows). SQLite opens files per connection and
    is not affected. The fix is SQLAlchemy's documented one for ``os.fork`` ("Using Connection
    Pools with Multiprocessing"): ``engine.dispose(close=False)`` in the child. The inherited
    pool and session are kept referenced, never closed: closing or garbage-collecting them
    would send a rollback or a terminate message down the parent's socket.
    """
    db = sys.modules.get('mage_ai.orchestration.db')
    if db is None:  # Mage's database module not loaded in this process: nothing inherited
        return
    from sqlalchemy.orm import scoped_session

    _INHERITED.append((db.engine.pool, db.db_connection.session))
    db.engine.dispose(close=False)
    if db.db_connection.session is not None:
        db.db_connection.session = scoped_session(db.session_factory)


def install_fork_safety() -> None:
    """Give every process forked from this one (and their children) its own connections."""
    global _FORK_HOOK_INSTALLED
    if not _FORK_HOOK_INSTALLED:
        os.register_at_fork(after_in_child=_own_connections_after_fork)
        _FORK_HOOK_INSTALLED = True


# -- binding a sub-project --------------------------------------------------------------------


def bind_project(project_dir: Path) -> None:
    """Bind this process to one sub-project (Mage keeps one repo path per process), on the
    platform's one database; migrate it and open the session."""
    from mlops.utils.orchestration.data_product_schedules import install_data_product_schedules
    from mlops.utils.orchestration.platform_state import use_one_database

    use_one_database()
    install_data_product_schedules()
    install_fork_safety()
    install_failure_alert_details()
    install_smtp_timeout()
    install_atomic_file_writes()
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


def _revive_pool(queue) -> bool:
    if not queue.queue.empty() and not queue.is_worker_pool_alive():
        queue.start_worker_pool()
        return True
    return False


def revive_worker_pool(job_manager) -> bool:
    """Work around a race in Mage's ProcessQueue (mage-ai/mage-ai#3998 family): the worker-pool
    process can exit on an empty-looking queue just after a job was put, while ``enqueue``
    saw it alive; the job then waits forever, since ``has_job`` still finds it queued.
    Returns True when the pool had to be restarted."""
    queue = getattr(job_manager, 'queue', None)
    if queue is None or not hasattr(queue, 'start_worker_pool'):
        return False
    return _revive_pool(queue)


def _revive_on_has_job(module: ModuleType) -> None:
    original = module.ProcessQueue.has_job

    def has_job(self, job_id: str, *args, **kwargs) -> bool:
        _revive_pool(self)
        return original(self, job_id, *args, **kwargs)

    module.ProcessQueue.has_job = has_job


def install_worker_pool_revival() -> None:
    """The same workaround (mage-ai/mage-ai#3998 family) inside the UI server's scheduler: its
    every tick asks ``has_job`` about each queued block run, so that call first restarts a
    worker pool that exited with jobs still queued. Seen here: an API-triggered ``predict``
    run stayed ``queued`` for good beside a defunct pool process."""
    patch_on_import('mage_ai.orchestration.queue.process_queue', _revive_on_has_job)


def _block_runs_made_by_the_scheduler_only(module: ModuleType) -> None:
    original = module.configure_pipeline_run_payload

    def configure_pipeline_run_payload(*args, **kwargs):
        payload, is_integration = original(*args, **kwargs)
        payload['create_block_runs'] = False
        return payload, is_integration

    module.configure_pipeline_run_payload = configure_pipeline_run_payload


def install_single_block_run_creator() -> None:
    """Work around a race in Mage 0.9.80's run creation: an API trigger's request creates the
    pipeline run, commits, then creates its block runs; a scheduler tick in between finds the
    run without block runs and creates them too (``PipelineScheduler.start``). Two block runs
    of one block then leave the run ``running`` for good (the second one's completion is
    recorded on the first). Seen here on API-triggered ``predict`` runs with
    ``SCHEDULER_TRIGGER_INTERVAL=1``. Block runs are left to ``start`` alone, which runs under
    the scheduler's lock, as Mage already does for the runs its scheduler creates."""
    patch_on_import('mage_ai.orchestration.triggers.utils', _block_runs_made_by_the_scheduler_only)


def failed_block_errors(pipeline_run) -> str:
    """One line per failed block of ``pipeline_run``: ``<block>: <the exception it raised>``
    (Mage keeps it in the block run's ``metrics['error']``)."""
    lines = []
    for block_run in getattr(pipeline_run, 'failed_block_runs', None) or []:
        error = ((block_run.metrics or {}).get('error') or {}).get('error')
        if error:
            lines.append(f'{block_run.block_uuid}: {str(error).strip()}')
    return '\n'.join(lines)


def _failure_alerts_with_the_error(module: ModuleType) -> None:
    original = module.NotificationSender.send_pipeline_run_failure_message

    def send_pipeline_run_failure_message(self, pipeline, pipeline_run, error: str = None, *args, **kwargs):
        try:
            details = failed_block_errors(pipeline_run)
        except Exception:  # the alert matters more than its details
            details = ''
        if details:
            error = f'{error}\n{details}' if error else details
        return original(self, pipeline, pipeline_run, error, *args, **kwargs)

    module.NotificationSender.send_pipeline_run_failure_message = send_pipeline_run_failure_message


def install_failure_alert_details() -> None:
    """Mage 0.9.80's failure alert says only ``Failed blocks: <uuids>.`` (its ``{error}``
    template variable, ``PipelineScheduler.schedule``), not what went wrong, although the
    block run holds the exception. This adds ``<block>: <exception>`` per failed block to
    ``{error}``. Upstream: mage-ai/mage-ai#4653 ("Add Error stack trace when sending out
    failure alert notification", closed without the error in 0.9.80's alert)."""
    patch_on_import('mage_ai.orchestration.notification.sender', _failure_alerts_with_the_error)


# How long an alert mail may wait on the SMTP server per step (connect, each command).
SMTP_TIMEOUT_SECONDS = 30.0


def _smtp_with_a_timeout(module: ModuleType) -> None:
    import functools
    import smtplib
    from types import SimpleNamespace

    timeout = float(os.environ.get('SMTP_TIMEOUT') or SMTP_TIMEOUT_SECONDS)
    module.smtplib = SimpleNamespace(SMTP=functools.partial(smtplib.SMTP, timeout=timeout))


def install_smtp_timeout() -> None:
    """Mage 0.9.80's ``services/email/email.py`` opens ``smtplib.SMTP(host, port)`` without a
    timeout, so an SMTP host that drops packets (instead of refusing) blocks the notifying
    process (the scheduler) forever. This gives that module's SMTP connections a timeout
    (``SMTP_TIMEOUT`` seconds, default 30); Mage's sender then logs the error as it does for a
    refused connection. No upstream issue found; the same bug elsewhere: apache/airflow#10122."""
    patch_on_import('mage_ai.services.email.email', _smtp_with_a_timeout)


def _replace_whole(filepath: str, umask: int) -> str:
    """A temporary file beside ``filepath`` (same file system, so ``os.replace`` is atomic),
    with the mode the file has, or would get if created as Mage creates it."""
    import tempfile

    directory, name = os.path.split(os.path.abspath(filepath))
    fd, temp_path = tempfile.mkstemp(prefix=f'.{name}.', suffix='.tmp', dir=directory)
    os.close(fd)
    mode = os.stat(filepath).st_mode & 0o7777 if os.path.exists(filepath) else 0o666 & ~umask
    os.chmod(temp_path, mode)
    return temp_path


def _atomic_writes(module: ModuleType) -> None:
    original, original_async = module.safe_write, module.safe_write_async
    # Read once, here (at Mage's first import): reading the umask means setting it, and doing
    # that per write would briefly give other threads' new files mode 0666.
    umask = os.umask(0)
    os.umask(umask)

    def safe_write(filepath: str, content: str, write_func=None, write_mode: str = 'w'):
        if write_mode not in ('w', 'wb'):  # appends cannot be replaced whole
            return original(filepath, content, write_func, write_mode)
        temp_path = _replace_whole(filepath, umask)
        try:
            with open(temp_path, write_mode, **({} if 'b' in write_mode else {'encoding': 'utf-8'})) as fp:
                write_func(fp, content) if write_func is not None else fp.write(content)
            os.replace(temp_path, filepath)
        finally:
            if os.path.exists(temp_path):
                os.remove(temp_path)

    async def safe_write_async(filepath: str, content: str, write_func=None, write_mode: str = 'w'):
        if write_mode not in ('w', 'wb'):
            return await original_async(filepath, content, write_func, write_mode)
        import aiofiles

        temp_path = _replace_whole(filepath, umask)
        try:
            async with aiofiles.open(
                temp_path, mode=write_mode, **({} if 'b' in write_mode else {'encoding': 'utf-8'})
            ) as fp:
                await (write_func(fp, content) if write_func is not None else fp.write(content))
            os.replace(temp_path, filepath)
        finally:
            if os.path.exists(temp_path):
                os.remove(temp_path)

    for name, replaced, patched in (
        ('safe_write', original, safe_write),
        ('safe_write_async', original_async, safe_write_async),
    ):
        # Modules that imported the name before this patch hold the original: rebind them too.
        for loaded in list(sys.modules.values()):
            if loaded is not None and getattr(loaded, name, None) is replaced:
                setattr(loaded, name, patched)


def install_atomic_file_writes() -> None:
    """Mage 0.9.80's ``shared/io.safe_write(_async)`` truncates a file and then writes it in
    place (its ``.temp`` copy is only for restoring on error), so a reader in between sees an
    empty or half-written file. The editor saves a pipeline's ``metadata.yaml`` asynchronously
    (in a thread, through ``aiofiles``) while the same server answers the page's other requests:
    one fresh-clone test run in four showed the toast "Invalid pipeline config: {}" from a read
    of the truncated file (``Pipeline.load_config``). ``triggers.yaml``, dashboards' block
    layouts and project settings are written the same way. This writes a temporary file beside
    the target and renames it over (``os.replace``): a reader sees the old file or the new one,
    never a part. No upstream issue found."""
    patch_on_import('mage_ai.shared.io', _atomic_writes)


# A dashboard chart's data: GET /api/page_block_layouts/<page>/block_layout_items/<chart>.
DASHBOARD_ITEM_ROUTE = (
    r'/api/(?P<resource>page_block_layouts)/(?P<pk>[^/]+)'
    r'/(?P<child>block_layout_items)/(?P<child_pk>[^/]+)'
)


def _dashboard_items_routed(module: ModuleType) -> None:
    original = module.make_app

    def make_app(*args, **kwargs):
        from mage_ai.server.api.v1 import ApiChildDetailHandler
        from tornado.routing import PathMatches, Rule

        app = original(*args, **kwargs)
        update_routes = kwargs.get('update_routes', args[1] if len(args) > 1 else False)
        prefix = f'/{module.ROUTES_BASE_PATH}' if update_routes else ''
        app.wildcard_router.rules.insert(0, Rule(PathMatches(prefix + DASHBOARD_ITEM_ROUTE), ApiChildDetailHandler))
        return app

    module.make_app = make_app


def install_dashboard_item_route() -> None:
    """Mage 0.9.80 serves no dashboard chart: the frontend asks each chart's data at
    ``/api/page_block_layouts/<page>/block_layout_items/<chart>``, but the route meant for
    page ids with slashes (``page_block_layouts/(?P<pk>.+)``, ``mage_ai/server/server.py``)
    comes before the child-resource route and takes the whole path as a page id: every chart
    gets an empty page instead of its data. This puts a route for the chart items first."""
    patch_on_import('mage_ai.server.server', _dashboard_items_routed)


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
    from mlops.utils.orchestration.clean_stop import end_children

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


def run_status(run) -> str:
    run.refresh()
    return status_of(run.status)


def stop_run(run) -> None:
    """End an active run as the UI's cancel does: block runs cancelled, jobs killed."""
    from mage_ai.orchestration.pipeline_scheduler import stop_pipeline_run

    stop_pipeline_run(run)


def log_tail(block_run, lines: int = 25) -> str:
    try:
        content = block_run.logs.get('content') or ''
    except Exception as error:  # logs are best effort; the status is what counts
        return f'(logs unavailable: {error})'
    return '\n'.join(content.splitlines()[-lines:])


def failed_blocks(run) -> List[Dict[str, str]]:
    return [{'block': br.block_uuid, 'log': log_tail(br)} for br in run.block_runs if status_of(br.status) == 'failed']


def read_block_outputs(project_dir: Path, pipeline_uuid: str, block_uuid: str, partition: str) -> List[Any]:
    """The stored outputs (``output_0``..) of one block of a finished run, in order."""
    from mage_ai.data_preparation.models.pipeline import Pipeline

    pipeline = Pipeline.get(pipeline_uuid, repo_path=str(project_dir))
    manager = pipeline.variable_manager
    names = manager.get_variables_by_block(pipeline_uuid, block_uuid, partition=partition)
    outputs = sorted((n for n in names if n.startswith('output_')), key=lambda n: int(n.split('_')[1]))
    return [manager.get_variable(pipeline_uuid, block_uuid, n, partition=partition) for n in outputs]


# -- the API --------------------------------------------------------------------------------


def frontend_client_id() -> str:
    """The API key of the Mage UI's own OAuth application, which every install shares (the
    server creates it at start); sessions are opened with it as the UI does."""
    from mage_ai.settings.server import OAUTH2_APPLICATION_CLIENT_ID

    return os.environ.get('MAGE_API_KEY') or OAUTH2_APPLICATION_CLIENT_ID
