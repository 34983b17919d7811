"""An exclusive lock on a file in the platform's state folder, with what its holder wrote.

The lock is the operating system's (``flock``): a killed holder releases it with its last
process, so a live holder is told apart from a dead one by the lock itself, never by a pid
that may have been reused. The runner's lock (``runner_lock.py``) and the scheduler's lease
(``driver_lease.py``) are two such files.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Optional


class StateLock:
    """The lock on ``path``; ``held`` once ``take`` won it, until ``release``."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: Optional[int] = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def take(self, holder: str) -> bool:
        """Lock the file and write ``holder`` into it; False, at once, when another has it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, holder.encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
