"""An exclusive lock on a file of the platform's state folder, with who holds it written in it:
the operating system's ``flock``, so a killed holder releases it with its last process."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Optional


def take(path: Path, holder: str) -> Optional[int]:
    """The locked file's descriptor, ``holder`` written in it; None when another process has it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, holder.encode())
    return fd


def give_back(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
