"""The soak, measured during the replay: what Mage's users report after long runs (memory growth,
a stuck scheduler, missed runs all firing after a restart), as figures.

- the server's memory: the resident set of its process tree, at the start, just before and
  after the restart, and at the end;
- stuck runs: a run that stays ``initial``, or ``running`` with no block queued or running and
  nothing changing, for more than ``STUCK_TICKS`` scheduler ticks (``SCHEDULER_TRIGGER_INTERVAL``,
  10 s by default), seen while the replay waits (goal: 0); past ``ABORT_TICKS`` the replay stops;
- the growth of Mage's database file and of the log folders (pipelines' ``.logs``, the runner's
  ``logs``) and of the server's own log;
- catch-up runs: the runs each time trigger made by itself in the ``--catch-up-seconds`` after
  the restart (runs the replay made carry ``replay_month``; goal: at most 1 per trigger).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from mlops.utils.orchestration import mage_internals as mage
from mlops.utils.orchestration.platform_state import database_url
from mlops.utils.orchestration.platform_triggers import trigger_files
from mlops.utils.paths import REPO_ROOT, data_dir
from mlops.utils.replay.server import tree_rss
from mlops.utils.replay.state import ReplayError, ReplayState

TICK_ENV, DEFAULT_TICK_SECONDS = 'SCHEDULER_TRIGGER_INTERVAL', 10.0
STUCK_TICKS = 3
ABORT_TICKS = 30
REPLAY_VARIABLE = 'replay_month'  # on every run the replay makes
PROGRESSING = ('queued', 'running')


def tick_seconds() -> float:
    try:
        return float(os.environ.get(TICK_ENV) or DEFAULT_TICK_SECONDS)
    except ValueError:
        return DEFAULT_TICK_SECONDS


def database_bytes() -> Optional[int]:
    """The size of Mage's SQLite database with its journal files (None on PostgreSQL)."""
    url = database_url()
    if not url.startswith('sqlite:///'):
        return None
    path = Path(url[len('sqlite:///') :])
    return sum(
        p.stat().st_size for p in (path, *(path.with_name(path.name + s) for s in ('-wal', '-journal'))) if p.exists()
    )


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob('*') if p.is_file() and not p.is_symlink())


def logs_bytes() -> int:
    """Every log folder's bytes: Mage's pipelines' ``.logs`` under its data folders, the runner's
    ``<MLOPS_DATA_DIR>/logs``."""
    mage_root = Path(os.environ['MAGE_DATA_DIR']) if os.environ.get('MAGE_DATA_DIR') else REPO_ROOT / '.mage_data'
    folders = {data_dir() / 'logs'}
    for root in {mage_root.resolve(), data_dir()}:
        if root.is_dir():
            folders.update(p.resolve() for p in root.rglob('.logs') if p.is_dir())
    return sum(folder_bytes(f) for f in folders if f.is_dir())


def time_triggers() -> List[str]:
    """The names of the time triggers the platform's ``triggers.yaml`` files declare."""
    import yaml

    names = []
    for project, pipeline in trigger_files():
        config = yaml.safe_load((project / 'pipelines' / pipeline / 'triggers.yaml').read_text()) or {}
        names += [t['name'] for t in config.get('triggers') or [] if t.get('schedule_type') == 'time']
    return names


class Soak:
    """The measurements, kept in the replay's state (``state.soak``) as they are taken."""

    def __init__(self, state: ReplayState, server_log: Path, clock: Callable[[], float] = time.monotonic):
        self.state, self.server_log, self.clock = state, server_log, clock
        self.figures: Dict[str, Any] = state.soak
        self.figures.setdefault('stuck_runs', {})
        self.figures.setdefault('windows', {})
        self.figures.setdefault('snapshots', {})
        self.figures['tick_seconds'] = tick_seconds()
        self._seen: Dict[int, Tuple[Any, float]] = {}

    def snapshot(self, label: str, server_pid: Optional[int]) -> None:
        self.figures['snapshots'][label] = {
            'at': time.strftime('%Y-%m-%d %H:%M:%S'),
            'server_rss': tree_rss(server_pid) if server_pid else None,
            'database_bytes': database_bytes(),
            'logs_bytes': logs_bytes(),
            'server_log_bytes': self.server_log.stat().st_size if self.server_log.exists() else 0,
        }
        self.state.save()

    def observe(self, active: List[mage.RunRecord]) -> None:
        """One look at the active runs: a run whose state has not changed, with no block queued or
        running, for more than STUCK_TICKS ticks is stuck (kept with its longest stay)."""
        now, tick = self.clock(), tick_seconds()
        for run in active:
            signature = (run.status, run.blocks)
            progressing = any(status in PROGRESSING for _, status in run.blocks)
            seen = self._seen.get(run.run_id)
            if seen is None or seen[0] != signature or progressing:
                self._seen[run.run_id] = (signature, now)
                continue
            idle = now - seen[1]
            if idle > STUCK_TICKS * tick:
                key = str(run.run_id)
                before = self.figures['stuck_runs'].get(key, {}).get('seconds', 0)
                self.figures['stuck_runs'][key] = {
                    'pipeline': run.pipeline,
                    'trigger': run.trigger,
                    'status': run.status,
                    'blocks': dict(run.blocks),
                    'seconds': round(max(before, idle), 1),
                }
                self.state.save()
            if idle > ABORT_TICKS * tick:
                raise ReplayError(
                    f'run {run.run_id} of {run.pipeline} ({run.trigger}) has been {run.status} with no block running '
                    f'for {idle:.0f} s ({ABORT_TICKS} scheduler ticks): the scheduler is stuck; see the server log'
                )
        for run_id in set(self._seen) - {run.run_id for run in active}:
            del self._seen[run_id]

    # -- the runs triggers make by themselves after a (re)start ---------------------------

    def open_window(self, name: str, after_run_id: int, seconds: float) -> None:
        self.figures['windows'][name] = {
            'after_run_id': after_run_id,
            'opened': time.time(),
            'seconds': seconds,
            'runs_per_time_trigger': None,
        }
        self.state.save()

    def close_windows(self, wait: bool = False) -> None:
        """Count each open window's runs once its seconds have passed (``wait``: sleep until then)."""
        for window in self.figures['windows'].values():
            if window['runs_per_time_trigger'] is not None:
                continue
            left = window['opened'] + window['seconds'] - time.time()
            if left > 0 and not wait:
                continue
            time.sleep(max(left, 0))
            names, until = time_triggers(), window['opened'] + window['seconds']
            made = [
                run
                for run in mage.run_records(after_id=window['after_run_id'])
                if run.trigger in names and REPLAY_VARIABLE not in run.variables and _before(run.created_at, until)
            ]
            counts = Counter(run.trigger for run in made)
            window['runs_per_time_trigger'] = {name: counts.get(name, 0) for name in names}
            window['run_ids'] = [run.run_id for run in made]
            self.state.save()


def _before(created_at: Optional[datetime], until: float) -> bool:
    """Mage's ``created_at`` (naive UTC on SQLite, aware on PostgreSQL) at or before ``until``."""
    if created_at is None:
        return True
    aware = created_at if created_at.tzinfo else created_at.replace(tzinfo=timezone.utc)
    return aware.timestamp() <= until
