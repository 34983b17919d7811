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
from types import FrameType, ModuleType
from typing import Optional

from mlops.utils.orchestration.patching import patch_on_import
from mlops.utils.orchestration.process_tree import EXIT_CODE, end_children


def _stop(signum: int, frame: Optional[FrameType]) -> None:
    end_children()
    # Not sys.exit: Mage's queue and the server's threads would be joined at exit, for ever.
    os._exit(EXIT_CODE)


def _stops_its_tree_on_sigterm(module: ModuleType) -> None:
    original = module.start_server

    def start_server(*args, **kwargs):
        # Before the server forks its scheduler: the children inherit the handler, so a
        # scheduler signalled on its own ends its queue processes too.
        signal.signal(signal.SIGTERM, _stop)
        return original(*args, **kwargs)

    module.start_server = start_server


def install_clean_stop() -> None:
    """On SIGTERM, a ``mage start`` server ends its whole tree, then exits (only a process that
    starts the server is changed: the runner never does)."""
    patch_on_import('mage_ai.server.server', _stops_its_tree_on_sigterm)
