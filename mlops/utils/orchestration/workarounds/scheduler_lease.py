"""The server's scheduler ticks only while it holds the driver lease (``driver_lease``): with one
database for the platform, a Mage server's scheduler and the headless runner could both pick up
the same active run and execute its blocks twice. A scheduler that finds the lease taken skips
its ticks until the runner is done. No upstream issue found (Mage has one scheduler per database by
design); it can go if Mage's scheduler itself takes a lock per database.
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Optional

from mlops.utils.orchestration.driver_lease import DriverLease
from mlops.utils.orchestration.patching import patch_on_import

logger = logging.getLogger(__name__)

_scheduler_lease: Optional[DriverLease] = None  # made in the scheduler process, at its first tick


def _ticks_only_with_the_lease(module: ModuleType) -> None:
    original = module.schedule_all

    def schedule_all(*args, **kwargs):
        global _scheduler_lease
        if _scheduler_lease is None:
            _scheduler_lease = DriverLease()
        if not _scheduler_lease.held and not _scheduler_lease.try_acquire():
            logger.warning('a headless run holds %s: this tick is skipped', _scheduler_lease.path)
            return None
        return original(*args, **kwargs)

    module.schedule_all = schedule_all


def install_scheduler_lease() -> None:
    """The server's scheduler ticks only while it holds the lease (see the module's text)."""
    patch_on_import('mage_ai.orchestration.pipeline_scheduler_original', _ticks_only_with_the_lease)
