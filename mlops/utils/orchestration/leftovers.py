"""What a killed runner leaves behind, and who stops it.

A runner (``run.sh``) runs each pipeline in a headless child, which starts Mage's job queue
(a manager, a worker pool, workers). Killed with SIGKILL, the runner can neither stop them nor
cancel its run: they went on working on the state the next runner then used. Two guards:

- the kernel: each headless child asks Linux to send it SIGTERM when the runner that started
  it ends (``prctl(PR_SET_PDEATHSIG)``); the child then cancels its run and ends its queue;
- the next runner: every process a runner starts carries ``MLOPS_RUNNER_LOCK`` (the runner
  lock's path) in its environment, and Mage's processes inherit it. The next runner holds that
  lock, so no live runner owns any process carrying it: it stops them before it starts (covers
  a child killed along with its runner, where no signal is left to send);
- scratch: a runner's temporary files (the result its child writes) live in a folder beside
  the lock, which the next runner empties.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
from pathlib import Path
from typing import Callable, List

from mlops.utils.orchestration.process_tree import stop_processes

RUNNER_ENV_VAR = 'MLOPS_RUNNER_LOCK'
SCRATCH_FOLDER = 'runner-scratch'
GRACE_SECONDS = 10.0  # SIGTERM first; SIGKILL for what is still alive after this
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_runner(runner_pid: int) -> Callable[[], None]:
    """A ``preexec_fn`` for the runner's children: SIGTERM to the child when the runner ends
    (Linux; elsewhere it does nothing and the next runner cleans up)."""

    def ask_the_kernel() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            return
        if os.getppid() != runner_pid:  # the runner ended before the request took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return ask_the_kernel


def leftover_processes(lock_path: Path) -> List['psutil.Process']:  # noqa: F821 (imported lazily)
    """Processes other than this one carrying ``lock_path`` in ``RUNNER_ENV_VAR`` (those of
    other users are not readable, and are not ours)."""
    import psutil

    found = []
    for process in psutil.process_iter():
        if process.pid == os.getpid():
            continue
        try:
            if process.environ().get(RUNNER_ENV_VAR) == str(lock_path):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def scratch_dir(lock_path: Path) -> Path:
    """The runner's folder for temporary files, beside its lock (made when missing)."""
    folder = lock_path.parent / SCRATCH_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stop_leftovers(lock_path: Path, grace: float = GRACE_SECONDS) -> List[int]:
    """Stop what a killed runner of ``lock_path`` left running and empty its scratch folder
    (call it holding that lock): SIGTERM, then SIGKILL after ``grace`` seconds; returns their
    pids."""
    found = leftover_processes(lock_path)
    stop_processes(found, grace)
    shutil.rmtree(lock_path.parent / SCRATCH_FOLDER, ignore_errors=True)
    return [process.pid for process in found]
