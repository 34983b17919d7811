"""One scheduler drives the platform database's runs at a time.

With one database for the platform, a Mage server's scheduler and the headless runner could
both pick up the same active run and execute its blocks twice. Whoever drives runs holds an
exclusive lock on a file in the platform's state folder: the server's scheduler from its first
tick for as long as it lives, the runner for the run it drives. A runner that finds the lock
taken hands its run to the server's scheduler (inserts it and waits); a scheduler that finds
it taken skips its ticks until the runner is done. The lock is the operating system's
(``flock``): a killed holder releases it with its last process.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from types import ModuleType
from typing import Optional

from mlops.utils.orchestration.patching import patch_on_import
from mlops.utils.orchestration.platform_state import platform_state_dir

LOCK_FILE = 'scheduler.lock'
logger = logging.getLogger(__name__)


class DriverLease:
    """The lock on ``<platform state>/scheduler.lock``; ``held`` once ``try_acquire`` won it."""

    def __init__(self, path: Optional[Path] = None):
        self.path = path or platform_state_dir() / LOCK_FILE
        self._fd: Optional[int] = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f'{os.getpid()}\n'.encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


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
