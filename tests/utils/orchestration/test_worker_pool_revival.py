"""``install_worker_pool_revival`` by its effect on Mage's own ProcessQueue: a job queued while
the worker pool had already exited (the race of mage-ai/mage-ai#3998: ``enqueue`` saw the pool
alive a moment before it quit) runs once the scheduler asks ``has_job`` about it; without the
patch it stays queued for good (the control, in the same test)."""

from __future__ import annotations

import sys
import textwrap

import pytest

from testkit.chain import REPO_ROOT
from testkit.commands import run_ok

pytestmark = pytest.mark.slow

# argv: patched|unpatched, a file the job writes, seconds to keep asking has_job (as the
# scheduler's ticks do). Prints "result: ran" or "result: still queued".
QUEUED_BEHIND_A_DEAD_POOL = textwrap.dedent("""
    import sys, time
    from pathlib import Path

    if sys.argv[1] == 'patched':
        from mlops.utils.orchestration.workarounds.worker_pool_revival import install_worker_pool_revival
        install_worker_pool_revival()
    from mage_ai.orchestration.queue.config import QueueConfig
    from mage_ai.orchestration.queue.process_queue import JobStatus, ProcessQueue

    def job(path):
        Path(path).write_text('ran')

    queue = ProcessQueue(QueueConfig())
    queue.start()
    queue.start_worker_pool()  # nothing queued: the pool exits at once, as it does when idle
    queue.worker_pool_proc.join(timeout=60)
    assert not queue.is_worker_pool_alive(), 'the idle pool did not exit'
    # What enqueue does after seeing the pool alive: put the job and mark it queued.
    queue.queue.put(['block-run-1', job, (sys.argv[2],), {}])
    queue.job_dict['block-run-1'] = JobStatus.QUEUED
    deadline = time.monotonic() + float(sys.argv[3])
    while time.monotonic() < deadline and not Path(sys.argv[2]).exists():
        queue.has_job('block-run-1')
        time.sleep(0.5)
    if queue.worker_pool_proc is not None:
        queue.worker_pool_proc.join(timeout=60)
    print('result:', 'ran' if Path(sys.argv[2]).exists() else 'still queued', flush=True)
""")


def run_queued_job(tmp_path, how: str, seconds: float) -> str:
    marker = tmp_path / f'{how}.ran'
    result = run_ok(
        [sys.executable, '-c', QUEUED_BEHIND_A_DEAD_POOL, how, str(marker), str(seconds)],
        cwd=REPO_ROOT,
        timeout=seconds + 180,
        env={'PATH': '/usr/bin:/bin', 'PYTHONPATH': str(REPO_ROOT)},
    )
    [line] = [line for line in result.stdout.splitlines() if line.startswith('result: ')]  # Mage prints too
    return line.removeprefix('result: ')


def test_a_job_queued_behind_an_exited_pool_runs_once_has_job_is_asked(tmp_path):
    assert run_queued_job(tmp_path, 'patched', 120) == 'ran'
    # Mage alone: the job is queued, has_job says so, and nothing ever takes it.
    assert run_queued_job(tmp_path, 'unpatched', 10) == 'still queued'
