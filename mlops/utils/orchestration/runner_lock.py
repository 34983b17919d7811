"""One ``run.sh`` at a time on one state folder, told apart from a dead one.

Two runners on one state used to collide: the second cancelled the first's live run as a
leftover, then waited for a scheduler that was busy with the first. Now the runner holds an
exclusive lock on ``<platform state>/runner.lock`` for as long as it lives (the operating
system's ``flock``: a killed runner releases it with its process, so a live holder is told
apart from a dead one by the lock itself, not by a pid that may have been reused). A second
runner refuses at once, naming the holder (pid, since when, what it runs) and what to do; the
runs a killed runner left active are cancelled by the next one, which holds the lock.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Dict, Optional

from mlops.utils.orchestration.platform_state import platform_state_dir
from mlops.utils.orchestration.state_lock import StateLock

LOCK_FILE = 'runner.lock'


class RunnerLock(StateLock):
    """The lock on ``<platform state>/runner.lock``; ``holder()`` says who has it."""

    def __init__(self, path: Optional[Path] = None):
        super().__init__(path or platform_state_dir() / LOCK_FILE)

    def try_acquire(self, doing: str) -> bool:
        """Take the lock and write who holds it (``doing``: what this runner runs); False when a
        live runner has it."""
        return self.take(json.dumps({'pid': os.getpid(), 'since': time.strftime('%Y-%m-%d %H:%M:%S'), 'doing': doing}))

    def holder(self) -> Dict[str, Any]:
        """What the holder wrote ({} when unreadable: it is writing it right now)."""
        try:
            found = json.loads(self.path.read_text() or '{}')
        except (OSError, ValueError):
            return {}
        return found if isinstance(found, dict) else {}

    def refusal(self) -> str:
        """The message a second runner prints."""
        held = self.holder()
        who = f'pid {held.get("pid", "?")}, since {held.get("since", "?")}, running {held.get("doing", "?")}'
        return (
            f'another ./scripts/run.sh is running on this state ({who}; it holds {self.path}). '
            f'Wait for it to end, or stop it (kill {held.get("pid", "<pid>")}) and run again: '
            'the runs it leaves active are cancelled by the next run'
        )
