"""Ending a process tree: SIGTERM, a grace period, then SIGKILL for what is left. The server's
clean stop (``workarounds/clean_stop.py``) and the runner's leftovers (``leftovers.py``) use it."""

from __future__ import annotations

import signal

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
