"""Run one Mage pipeline headless through Mage's own scheduler machinery.

The run is inserted like an API trigger does, then this process drives Mage's
``PipelineScheduler`` over every active run of the sub-project until ours ends. When a Mage
server's scheduler already drives the platform's database (``driver_lease``), the run is
handed to it: this process only waits for the run to end. Block runs
execute in Mage's job queue with ``@test`` checks, exactly as under ``mage start``; runs that
blocks insert themselves (global data products) are driven too. Time triggers are not fired:
a headless run does only what it was asked.

Mage binds its repo path and database per process, so the CLI runs one fresh process per
pipeline: ``python -m mlops.utils.orchestration.headless run|cancel ...``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from mlops.utils.orchestration import mage_internals as mage
from mlops.utils.orchestration.driver_lease import DriverLease
from mlops.utils.orchestration.workarounds.worker_pool_revival import revive_worker_pool
from mlops.utils.paths import project_dir

TERMINAL = ('completed', 'failed', 'cancelled')
TIMED_OUT = 'timed out'
NOT_STARTED = 'not started'
# Seconds a run handed to the lease holder's scheduler may stay 'initial': a server on this
# database starts it within a tick (10 s); one that does not is not scheduling this database.
HANDOFF_SECONDS_ENV, HANDOFF_SECONDS = 'MLOPS_HANDOFF_SECONDS', 90.0


class Terminated(BaseException):
    """SIGTERM reached this process: its runner ended (``leftovers.die_with_runner``) or
    someone stopped it. Raised where the process is, so the run is cancelled on the way out."""


_HEADLESS_PID = os.getpid()


def _terminate(signum: int, frame: Any) -> None:
    if os.getpid() != _HEADLESS_PID:  # a process Mage's job queue forked: it just ends, as by default
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    raise Terminated('stopped by SIGTERM (the runner that started this process ended, or it was stopped)')


def wait_for_end(
    tick: Callable[[], None],
    status: Callable[[], str],
    stop: Callable[[], None],
    timeout: float,
    interval: float = 0.5,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Tick the scheduler until the run ends; past ``timeout`` seconds stop it and report
    ``timed out``. The seams (tick, status, stop, clock, sleep) are Mage's or a test's."""
    started = clock()
    while True:
        tick()
        state = status()
        if state in TERMINAL or state == NOT_STARTED:
            return state
        if clock() - started > timeout:
            stop()
            return TIMED_OUT
        sleep(interval)


def run_pipeline(
    project: str, pipeline_uuid: str, variables: Dict[str, Any], timeout: float, data_product: Optional[str] = None
) -> Dict[str, Any]:
    """Run the pipeline to its end (or the timeout): status, run id, seconds, failures.
    With ``data_product``, the run refreshes that global data product."""
    mage.bind_project(project_dir(project))
    mage.cancel_interrupted_runs(pipeline_uuid)
    lease = DriverLease()
    driving = lease.try_acquire()
    job_manager = mage.start_job_queue() if driving else None
    if not driving:
        print(
            f'a Mage server drives this database ({lease.path} is locked): its scheduler runs '
            f'{project}/{pipeline_uuid}; waiting for the run to end',
            file=sys.stderr,
            flush=True,
        )
    started, started_at = time.monotonic(), time.time()
    try:
        run = mage.insert_run(pipeline_uuid, variables, data_product)

        def tick() -> None:
            if driving:
                mage.drive_active_runs()
                revive_worker_pool(job_manager)

        def run_status() -> str:
            state = mage.run_status(run)
            if not driving and state == 'initial' and time.monotonic() - started > handoff_seconds():
                mage.stop_run(run)
                return NOT_STARTED
            return state

        try:
            status = wait_for_end(
                tick, run_status, lambda: mage.stop_run(run), timeout, interval=0.5 if driving else 2.0
            )
        except (Terminated, KeyboardInterrupt):  # cancelled now, not left running for the next runner
            mage.stop_run(run)
            raise
        reason = {}
        if status == NOT_STARTED:
            holder = lease.path.read_text().strip() if lease.path.exists() else '?'
            reason['reason'] = (
                f'the scheduler that holds {lease.path} (pid {holder}) did not start run {run.id} within '
                f'{handoff_seconds():.0f} s, so it is not scheduling this database: a server on another database '
                '(the Docker stack keeps its runs in PostgreSQL: run the job inside it, docker compose exec mage '
                'python -m mlops.utils.orchestration ...), or a scheduler that is stuck; the run was cancelled'
            )
        return {
            **reason,
            'project': project,
            'pipeline': pipeline_uuid,
            'status': status,
            'pipeline_run_id': run.id,
            'execution_partition': run.execution_partition,
            'started_at': started_at,
            'seconds': round(time.monotonic() - started, 2),
            'failures': mage.failed_blocks(run),
        }
    finally:
        if job_manager is not None:
            job_manager.stop()
        lease.release()


def handoff_seconds() -> float:
    try:
        return float(os.environ.get(HANDOFF_SECONDS_ENV) or HANDOFF_SECONDS)
    except ValueError:
        return HANDOFF_SECONDS


def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog='python -m mlops.utils.orchestration.headless')
    commands = parser.add_subparsers(dest='command', required=True)
    run = commands.add_parser('run', help='run a pipeline, write the result as JSON')
    run.add_argument('project')
    run.add_argument('pipeline')
    run.add_argument('variables', help='JSON object')
    run.add_argument('result_file', type=Path)
    run.add_argument('--timeout', type=float, required=True)
    run.add_argument('--data-product')
    cancel = commands.add_parser('cancel', help="cancel the runner's active runs of a pipeline")
    cancel.add_argument('project')
    cancel.add_argument('pipeline')
    return parser.parse_args(argv)


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    if args.command == 'cancel':
        mage.bind_project(project_dir(args.project))
        print(json.dumps({'cancelled': mage.cancel_interrupted_runs(args.pipeline)}))
        return 0
    from mlops.utils.orchestration.summaries import summarize

    result = run_pipeline(
        args.project, args.pipeline, json.loads(args.variables), args.timeout, data_product=args.data_product
    )
    if result['status'] == 'completed':
        result.update(summarize(result))
    partial = args.result_file.with_name(args.result_file.name + '.partial')
    partial.write_text(json.dumps(result))
    partial.replace(args.result_file)  # the parent never reads half a result
    return 0 if result['status'] == 'completed' else 1


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = main(sys.argv[1:])
    except SystemExit as exit:  # argparse: --help (0) or bad arguments (2), already printed
        code = exit.code
    except Terminated as stopped:
        print(f'headless run {stopped}; its run was cancelled', file=sys.stderr)
        code = 128 + signal.SIGTERM
    except BaseException:  # report, then still end the queue's processes
        traceback.print_exc()
        code = 1
    mage.end_queue_processes()
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)
