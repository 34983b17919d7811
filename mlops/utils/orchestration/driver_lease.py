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

import logging
import os
from pathlib import Path
from typing import Optional

from mlops.utils.orchestration.platform_state import platform_state_dir
from mlops.utils.orchestration.state_lock import StateLock

LOCK_FILE = 'scheduler.lock'
logger = logging.getLogger(__name__)


class DriverLease(StateLock):
    """The lock on ``<platform state>/scheduler.lock``; ``held`` once ``try_acquire`` won it."""

    def __init__(self, path: Optional[Path] = None):
        super().__init__(path or platform_state_dir() / LOCK_FILE)

    def try_acquire(self) -> bool:
        return self.held or self.take(f'{os.getpid()}\n')
