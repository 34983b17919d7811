"""A job queued behind an exited worker pool of Mage's ProcessQueue waits for ever.

Upstream: the mage-ai/mage-ai#3998 family (the pool process exits on an empty-looking queue
just after a job was put, while ``enqueue`` saw it alive). Can go when
``tests/utils/orchestration/test_worker_pool_revival.py``'s unpatched control runs the job.
"""

from __future__ import annotations

from types import ModuleType

from mlops.utils.orchestration.patching import patch_on_import


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
    """The same workaround inside Mage's scheduler (the UI server's, and the runner's ticks):
    every tick asks ``has_job`` about each queued block run, so that call first restarts a
    worker pool that exited with jobs still queued. Seen here: an API-triggered ``predict``
    run stayed ``queued`` for good beside a defunct pool process."""
    patch_on_import('mage_ai.orchestration.queue.process_queue', _revive_on_has_job)
