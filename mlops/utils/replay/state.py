"""The replay's state file: what is done, written atomically after every step, so a replay
stopped anywhere (Ctrl-C, SIGTERM, a crash) continues where it was when started again.

``<state>/replay.json`` holds the plan it was made for (source, months, training months), whether
the initial training is done, the months that arrived and those done, the runs made for each
month (ids, triggers, statuses), the server it started, and the soak's figures so far.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Optional

from mlops.utils.errors import ConfigError

STATE_FILE = 'replay.json'


class ReplayError(RuntimeError):
    """Something the replay cannot go on from: the message says what and where to look."""


class ReplayState:
    def __init__(self, folder: Path, data: Dict[str, Any]):
        self.folder, self.data = folder, data

    @property
    def path(self) -> Path:
        return self.folder / STATE_FILE

    @classmethod
    def open(cls, folder: Path, source: str, months: List[str], train_months: int) -> 'ReplayState':
        """The state in ``folder``, or a new one; ConfigError when it was made for another replay."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / STATE_FILE
        plan = {'source': source, 'months': months, 'train_months': train_months}
        if not path.exists():
            state = cls(folder, {**plan, 'trained': None, 'arrived': [], 'done': [], 'months_runs': {}, 'soak': {}})
            state.save()
            return state
        data = json.loads(path.read_text())
        made_for = {key: data.get(key) for key in plan}
        if made_for != plan:
            raise ConfigError(
                f'{path} belongs to another replay ({json.dumps(made_for)}), not this one ({json.dumps(plan)}): '
                'give the same arguments to continue it, or another --state'
            )
        return cls(folder, data)

    def save(self) -> None:
        partial = self.path.with_name(self.path.name + '.partial')
        partial.write_text(json.dumps(self.data, indent=1, default=str))
        os.replace(partial, self.path)  # a reader (or a resumed replay) never sees half a file

    # -- months and runs ------------------------------------------------------------------

    def month_runs(self, month: str) -> Dict[str, Dict[str, Any]]:
        return self.data['months_runs'].setdefault(month, {})

    def run_of(self, month: str, step: str) -> Optional[Dict[str, Any]]:
        return self.month_runs(month).get(step)

    def record_run(self, month: str, step: str, run: Dict[str, Any]) -> None:
        self.month_runs(month)[step] = run
        self.save()

    def mark(self, key: str, month: str) -> None:
        if month not in self.data[key]:
            self.data[key].append(month)
            self.save()

    @property
    def soak(self) -> Dict[str, Any]:
        return self.data['soak']
