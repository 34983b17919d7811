"""SIGTERM to the Mage server stops all of it, and leaves nothing in TMPDIR.

Mage 0.9.80's ``mage start`` forks a scheduler process (``SchedulerManager.start_scheduler``),
which starts the job queue's manager, worker pool and workers, but installs no SIGTERM handler:
a process supervisor (systemd, ``docker stop``, a test) that signals the main process alone
ends the web server and leaves the scheduler and its queue running, still firing triggers
against the database. Ending them from a signal handler skips what an orderly exit removes: the
editor kernel's connection file and the job queue manager's ``pymp-*`` folder, removed here too.
No upstream issue found. This can go when ``mage start`` stops its children on SIGTERM (check:
SIGTERM the main pid, then look for its former children and in its TMPDIR).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType, ModuleType
from typing import List, Optional

from mlops.utils.orchestration.patching import patch_on_import
from mlops.utils.orchestration.process_tree import EXIT_CODE, end_children


def _stop(signum: int, frame: Optional[FrameType]) -> None:
    try:
        folders = multiprocessing_folders()  # before the processes that listen in them are gone
    except Exception:  # the stop matters more than the clean-up
        folders = []
    end_children()
    remove_kernel_connection_files()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    # Not sys.exit: Mage's queue and the server's threads would be joined at exit, for ever.
    os._exit(EXIT_CODE)


def multiprocessing_folders() -> List[Path]:
    """The ``pymp-*`` folders in TMPDIR of this process and its descendants (where a
    multiprocessing manager, such as Mage's job queue's, listens): an orderly exit removes each
    with its process; ``os._exit`` and a death by SIGTERM do not."""
    import multiprocessing

    import psutil

    temp = Path(tempfile.gettempdir()).resolve()
    folders = set()
    own = multiprocessing.current_process()._config.get('tempdir')  # set once it made one
    if own:
        folders.add(Path(own))
    for process in psutil.Process().children(recursive=True):
        try:
            sockets = process.connections(kind='unix')
        except psutil.Error:
            continue
        for socket in sockets:
            path = Path(socket.laddr) if isinstance(socket.laddr, str) and socket.laddr else None
            if path is not None and path.parent.parent == temp and path.parent.name.startswith('pymp-'):
                folders.add(path.parent)
    return sorted(folders)


def remove_kernel_connection_files() -> None:
    """The editor kernel's connection file (Jupyter's ``tmp*.json`` in TMPDIR), which its kernel
    manager removes on an orderly exit; only where Mage made its kernel managers."""
    kernels = sys.modules.get('mage_ai.server.kernels')
    for manager in getattr(kernels, 'kernel_managers', {}).values():
        try:
            manager.cleanup_connection_file()
            manager.cleanup_ipc_files()
        except Exception:  # a stop goes on whatever a clean-up meets
            pass


def _stops_its_tree_on_sigterm(module: ModuleType) -> None:
    original = module.start_server

    def start_server(*args, **kwargs):
        # Before the server forks its scheduler: the children inherit the handler, so a
        # scheduler signalled on its own ends its queue processes too.
        signal.signal(signal.SIGTERM, _stop)
        return original(*args, **kwargs)

    module.start_server = start_server


def install_clean_stop() -> None:
    """On SIGTERM, a ``mage start`` server ends its whole tree, removes what that tree kept in
    TMPDIR, then exits (only a process that starts the server is changed: the runner never does)."""
    patch_on_import('mage_ai.server.server', _stops_its_tree_on_sigterm)
