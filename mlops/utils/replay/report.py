"""What the replay prints at the end and saves: each month's runs and champion, and the soak's
figures as a small table, also written to ``<state>/soak.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

from mlops.utils.replay.soak import STUCK_TICKS
from mlops.utils.replay.state import ReplayState

SOAK_FILE = 'soak.json'
MB = 1024 * 1024
KB = 1024


def champion() -> Optional[str]:
    """The champion's version now (MLflow's registry), or None."""
    from mlflow.tracking import MlflowClient

    from mlops.utils.tracking.mlflow_setup import connect
    from mlops.utils.tracking.registry import registered_model_name
    from mlops.utils.tracking.schema import champion_version

    connect()
    found = champion_version(MlflowClient(), registered_model_name())
    return None if found is None else str(found.version)


def _outcome(run: Optional[Dict[str, Any]]) -> str:
    if not run:
        return '-'
    return f'{run["run_id"]} {"breach" if run.get("breach") else run["status"]}'


def month_rows(state: ReplayState) -> List[List[str]]:
    rows = []
    for month in state.data['done']:
        runs = state.month_runs(month)
        others = [f'{o["trigger"]}:{o["pipeline"]} {o["run_id"]} {o["status"]}' for o in runs.get('others', [])]
        rows.append(
            [
                month,
                _outcome(runs.get('monitoring')),
                _outcome(runs.get('batch_scoring')),
                _outcome(runs.get('retraining')),
                str(state.data.get('champion_after', {}).get(month, '-')),
                '; '.join(others) or '-',
            ]
        )
    return rows


def _mb(value: Optional[int]) -> str:
    return '-' if value is None else f'{value / MB:.1f}'


def _kb(value: Optional[int]) -> str:
    return '-' if value is None else f'{value / KB:.0f}'


def figures(state: ReplayState) -> Dict[str, Any]:
    """The soak's figures, from what was measured (state.soak)."""
    soak = state.soak
    shots = soak.get('snapshots', {})

    def rss(label: str) -> Optional[int]:
        return ((shots.get(label) or {}).get('server_rss') or {}).get('bytes')

    def growth(key: str) -> Optional[int]:
        start, end = (shots.get('start') or {}).get(key), (shots.get('end') or {}).get(key)
        return None if start is None or end is None else end - start

    restart = soak.get('windows', {}).get('restart') or {}
    catch_up = restart.get('runs_per_time_trigger')
    return {
        'months': f'{state.data["months"][0]}..{state.data["months"][-1]}',
        'train_months': state.data['train_months'],
        'replay_seconds': round(state.data.get('seconds', 0.0), 1),
        'server_rss_bytes': {label: rss(label) for label in ('start', 'before_restart', 'after_restart', 'end')},
        'tick_seconds': soak.get('tick_seconds'),
        'stuck_runs': len(soak.get('stuck_runs', {})),
        'stuck_run_details': soak.get('stuck_runs', {}),
        'database_bytes': {
            'start': (shots.get('start') or {}).get('database_bytes'),
            'growth': growth('database_bytes'),
        },
        'logs_bytes': {'start': (shots.get('start') or {}).get('logs_bytes'), 'growth': growth('logs_bytes')},
        'server_log_bytes': (shots.get('end') or {}).get('server_log_bytes'),
        'restart': {
            'before_month': state.data.get('restart', {}).get('month'),
            'clean_stop': state.data.get('restart', {}).get('clean_stop'),
            'catch_up_seconds': restart.get('seconds'),
            'catch_up_runs_per_time_trigger': catch_up,
            'catch_up_run_ids': restart.get('run_ids'),
        },
        'max_catch_up_runs_per_trigger': max(catch_up.values()) if catch_up else None,
        'other_starts': {k: v for k, v in soak.get('windows', {}).items() if k != 'restart'},
    }


def table(rows: List[List[str]], header: List[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: '  '.join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return '\n'.join([line(header), line(['-' * w for w in widths]), *map(line, rows)])


def write_report(state: ReplayState, folder: Path) -> Dict[str, Any]:
    found = figures(state)
    partial = folder / (SOAK_FILE + '.partial')
    partial.write_text(json.dumps(found, indent=1))
    partial.replace(folder / SOAK_FILE)
    print('\nmonths (run id and outcome per trigger; the champion after the month; runs the triggers made themselves):')
    print(
        table(
            month_rows(state),
            ['month', 'daily_monitoring', 'daily_batch_scoring', 'daily_retraining', 'champion', 'other runs'],
        )
    )
    rss = found['server_rss_bytes']
    restart = found['restart']
    catch_up = restart['catch_up_runs_per_time_trigger'] or {}
    processes = {
        label: ((state.soak.get('snapshots', {}).get(label) or {}).get('server_rss') or {}).get('processes')
        for label in rss
    }
    soak_rows = [
        *[
            [f'server RSS {when} (MB)', _mb(rss[label]), f'{processes[label]} processes']
            for label, when in (
                ('start', 'at the start'),
                ('before_restart', 'before the restart'),
                ('after_restart', 'after the restart'),
                ('end', 'at the end'),
            )
        ],
        [f'runs stuck > {STUCK_TICKS} ticks of {found["tick_seconds"]:.0f} s', str(found['stuck_runs']), 'goal 0'],
        [
            'database growth (KB)',
            _kb(found['database_bytes']['growth']),
            f'from {_kb(found["database_bytes"]["start"])}',
        ],
        ['log folders growth (KB)', _kb(found['logs_bytes']['growth']), f'from {_kb(found["logs_bytes"]["start"])}'],
        ['server log (KB)', _kb(found['server_log_bytes']), ''],
        *[
            [
                f'catch-up runs of {name} after the restart',
                str(count),
                f'goal <= 1 (first {restart["catch_up_seconds"]:.0f} s)',
            ]
            for name, count in catch_up.items()
        ],
        *[
            [
                f'runs per time trigger after server {name}',
                ', '.join(f'{t} {n}' for t, n in (window.get('runs_per_time_trigger') or {}).items()),
                f'first {window["seconds"]:.0f} s',
            ]
            for name, window in found['other_starts'].items()
        ],
        ['replay seconds', f'{found["replay_seconds"]:.0f}', ''],
    ]
    print(f'\nsoak (saved to {folder / SOAK_FILE}):')
    print(table(soak_rows, ['figure', 'value', 'note']))
    return found
