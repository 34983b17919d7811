"""SIGTERM to the Mage server stops all of it.

Mage 0.9.80's ``mage start`` forks a scheduler process (``SchedulerManager.start_scheduler``),
which starts the job queue's manager, worker pool and workers, but installs no SIGTERM handler:
a process supervisor (systemd, ``docker stop``, a test) that signals the main process alone
ends the web server and leaves the scheduler and its queue running, still firing triggers
against the database. No upstream issue found. This can go when ``mage start`` stops its
children on SIGTERM (check: SIGTERM the main pid, then look for its former children).
"""

from __future__ import annotations

import os
import signal
from types import FrameType
from typing import Optional

# Seconds the children get to end on SIGTERM before they are killed.
GRACE_SECONDS = 10.0
# Seconds to wait for killed processes to be gone.
KILLED_WAIT_SECONDS = 10.0
EXIT_CODE = 128 + signal.SIGTERM  # what a shell reports for a process ended by SIGTERM


def stop_processes(processes: list, grace: float = GRACE_SECONDS) -> None:
    """SIGTERM ``processes`` (psutil), then SIGKILL those still alive after ``grace`` seconds
    (at once with ``grace`` 0), and wait for them to be gone."""
    import psutil

    alive = processes
    if grace > 0:
        for process in processes:
            try:
                process.terminate()
            except psutil.NoSuchProcess:
                pass
        _, alive = psutil.wait_procs(processes, timeout=grace)
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=KILLED_WAIT_SECONDS)


def end_children(grace: float = GRACE_SECONDS) -> None:
    """SIGTERM every descendant of this process, then SIGKILL those still alive after ``grace``
    seconds (at once with ``grace`` 0)."""
    import psutil

    stop_processes(psutil.Process().children(recursive=True), grace)


def _stop(signum: int, frame: Optional[FrameType]) -> None:
    end_children()
    # Not sys.exit: Mage's queue and the server's threads would be joined at exit, for ever.
    os._exit(EXIT_CODE)


def install_clean_stop() -> None:
    """On SIGTERM, end this process's whole tree, then exit. Forked children inherit the
    handler, so a scheduler signalled on its own ends its queue processes too."""
    signal.signal(signal.SIGTERM, _stop)
