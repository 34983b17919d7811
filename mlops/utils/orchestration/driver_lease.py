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
from typing import Optional

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
