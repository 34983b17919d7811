"""An API trigger's request and a scheduler tick both create a run's block runs.

Upstream: no issue found (Mage 0.9.80's run creation commits the run, then creates its block
runs outside the scheduler's lock). Can go when
``tests/utils/orchestration/test_single_block_run_creator.py``'s unpatched control makes no
block run in the request.
"""

from __future__ import annotations

from types import ModuleType

from mlops.utils.orchestration.patching import patch_on_import


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
