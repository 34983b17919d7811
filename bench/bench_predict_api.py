"""Latency of the Mage API endpoint as a user gets it, and the idle CPU of the server behind it,
on a default start (``scripts/start.sh``, local mode, the UI on the sub-project it remembers:
``unit_1_data_preparation`` the first time).

Why it is this long: it trains a quick champion, starts the server twice (Mage's 10 s tick, then a
1 s tick), times each command and splits its time from the run's timestamps, and sums the CPU of
the server's whole process tree from /proc: four parts no other module provides.

    python bench/bench_predict_api.py [--quick | --state DIR] [--data ../shared/data]
                                      [--requests 20] [--idle-seconds 60] [--settle-seconds 10]

State: ``--state DIR`` serves an existing one (``DIR/mage`` and ``DIR/data``, as testkit/chain.py
lays them out; the benchmark's runs are added to its Mage database; signed in as
``DEFAULT_OWNER_EMAIL`` / ``_PASSWORD``, Mage's admin@admin.com / admin when unset); by default
(``--quick``) the runner trains a small champion first into a temporary folder
(``prepare_training_set`` and ``sklearn_training``, Lasso, one trial, on ``--data``: 30-45 s).

Figures: ``--requests`` calls of ``./scripts/predict_api.sh --run '{"inputs": [one trip]}'``,
one after another, each timed by the wall clock around the whole command (start-up, sign-in,
post, poll, read), against a server started as ``start.sh`` starts it (Mage's 10 s scheduler
tick; an API trigger's request wakes the scheduler at once: ``workarounds/scheduler_wakeup.py``);
each answer must equal the champion's own prediction,
loaded in this process from the state's tracking store, to 1e-6 minutes. Beside them, where the
time went (medians, from each run's timestamps): the command until the scheduler starts its run
(start-up, sign-in, trigger look-up, post, the next tick), until the block starts, the block,
until the run is completed, polling and reading the output. Then, with no requests,
the CPU time (user + system) of the server's whole process tree over ``--idle-seconds``, as % of
one core: at that 10 s tick and, after a second start on the same state, at a 1 s tick (the
other way to answer in about a second, without wake-ups).
Both windows start ``--settle-seconds`` after the server's last work (start-up or a request).
The load average (1 min) during each measurement is printed beside it. The time triggers stay
off (testkit/servers.py's default): a daily run fired at start would be work, not idle time.
Targets (on this 2-core machine, the client included): p50 <= 2 s, p95 <= 3 s; idle CPU has
none. Exit status 1 when a target is missed or an answer is wrong or missing.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the documented command runs from anywhere

from bench.verdicts import exit_status  # noqa: E402
from mlops.utils.paths import REPO_ROOT  # noqa: E402
from testkit.chain import settings  # noqa: E402
from testkit.commands import run_command  # noqa: E402
from testkit.servers import mage_server, short_temp_dir  # noqa: E402

TARGET_P50_SECONDS = 2.0
TARGET_P95_SECONDS = 3.0
TRIP = {'PULocationID': 74, 'DOLocationID': 75, 'trip_distance': 1.3}
TOLERANCE_MINUTES = 1e-6
DEFAULT_TICK, ONE_SECOND_TICK = 10, 1  # SCHEDULER_TRIGGER_INTERVAL, seconds: Mage's default (start.sh's)
QUICK_JOB = ['--pipelines', 'prepare_training_set,sklearn_training']
QUICK_JOB += settings({'models': 'linear_model.Lasso', 'max_evaluations': 1})
STARTUP_SECONDS = 600.0
EMAIL = 'bench@example.com'
OWNER_KEYS = ('DEFAULT_OWNER_EMAIL', 'DEFAULT_OWNER_PASSWORD')


def train_quick_champion(root: Path, data: Path) -> None:
    """The runner as ``scripts/run.sh`` starts it, on a small budget, with state under ``root``."""
    env = {**os.environ, 'MAGE_DATA_DIR': str(root / 'mage'), 'MLOPS_DATA_DIR': str(root / 'data')}
    env.update({'PYTHONPATH': str(REPO_ROOT), 'TMPDIR': short_temp_dir()})
    env.pop('MLFLOW_TRACKING_URI', None)  # the embedded store under MLOPS_DATA_DIR
    command = [sys.executable, '-m', 'mlops.utils.orchestration', '--source', str(data), *QUICK_JOB]
    started = time.perf_counter()
    result = run_command(command, cwd=REPO_ROOT, env=env, timeout=3600)
    if result.returncode != 0:
        logs = sorted((root / 'data' / 'logs').glob('headless-*.log'), key=lambda p: p.stat().st_mtime)
        tail = logs[-1].read_text(errors='replace')[-4000:] if logs else '(no step log)'
        raise RuntimeError(
            f'training the quick champion failed ({result.returncode}):\n{result.stderr[-3000:]}\n'
            f'--- the end of the last step log ({logs[-1].name if logs else "-"}) ---\n{tail}'
        )
    print(f'state: quick champion trained in {time.perf_counter() - started:.0f} s ({root})')


def champion_answer(root: Path) -> Tuple[str, float]:
    """(version, minutes) the state's champion predicts for TRIP, loaded in this process."""
    import mlflow
    import pandas as pd
    from mlflow.tracking import MlflowClient

    from mlops.utils.model_code.features import INPUT_TYPES
    from mlops.utils.tracking.registry import registered_model_name
    from testkit.registered import embedded_store

    with embedded_store(root / 'data'):
        name = registered_model_name()
        version = MlflowClient().get_model_version_by_alias(name, 'champion').version
        minutes = mlflow.pyfunc.load_model(f'models:/{name}@champion').predict(pd.DataFrame([TRIP]).astype(INPUT_TYPES))
    return str(version), float(np.asarray(minutes, dtype=float)[0])


@contextmanager
def started(root: Path, scratch: Path, tick: int, owner: Dict[str, str]) -> Iterator:
    """``scripts/start.sh`` over the state (testkit/servers.py's harness: free port, local mode),
    ready once ``predict_api`` is synced; prints the sub-project it opened on."""
    import yaml

    from mlops.utils.triggering.mage_api import PREDICT_PIPELINE, PREDICT_TRIGGER, MageClient

    env = {**owner, 'MLOPS_DATA_DIR': str(root / 'data'), 'SCHEDULER_TRIGGER_INTERVAL': str(tick)}
    env['TMPDIR'] = short_temp_dir()  # what Mage leaves behind (pymp-*, kernel files), removed at exit
    server = mage_server(root, env=env)
    server.log_path, server.timeout = scratch / f'mage-server-tick-{tick}.log', STARTUP_SECONDS
    began = time.perf_counter()
    with server:
        url = f'http://127.0.0.1:{server.port}'
        client = MageClient(url, email=owner['DEFAULT_OWNER_EMAIL'], password=owner['DEFAULT_OWNER_PASSWORD'])
        client.api_trigger(PREDICT_PIPELINE, PREDICT_TRIGGER, wait=STARTUP_SECONDS)
        projects = yaml.safe_load((root / 'mage' / 'mlops' / '.settings.yaml').read_text())['projects']
        active = ', '.join(name for name, conf in projects.items() if (conf or {}).get('active'))
        print(f'server (SCHEDULER_TRIGGER_INTERVAL={tick} s) on {active}: ready in {time.perf_counter() - began:.0f} s')
        server.client = client
        yield server


def wrong_answer(result: subprocess.CompletedProcess, expected: Tuple[str, float]) -> str:
    """'' when the command printed the champion's prediction, else what went wrong."""
    if result.returncode != 0:
        return f'exit status {result.returncode}: {result.stderr.strip()[-500:]}'
    try:
        [row] = json.loads(result.stdout)
        got = (str(row['model_version']), float(row['predicted_minutes']))
    except (ValueError, KeyError, TypeError):
        return f'unexpected output: {result.stdout[-500:]!r}'
    if got[0] != expected[0] or abs(got[1] - expected[1]) > TOLERANCE_MINUTES:
        return f'answered {got[1]!r} (version {got[0]}), the champion {expected[1]!r} (version {expected[0]})'
    return ''


def check(label: str, value: float, target: float, missed: List[str]) -> str:
    ok = value <= target
    if not ok:
        missed.append(f'{label} {value:.2f} s')
    return f'{label} {value:.2f} s (target ≤ {target:g} s: {"met" if ok else "MISSED"})'


def time_calls(client, owner: Dict[str, str], count: int, expected, missed: List[str]) -> Dict[str, str]:
    """``count`` calls of predict_api.sh --run, one after another; prints p50 and p95."""
    env = {**os.environ, **owner, 'MAGE_URL': client.base_url}
    command = ['bash', str(REPO_ROOT / 'scripts' / 'predict_api.sh'), '--run', json.dumps({'inputs': [TRIP]})]
    seconds, wrong, loads, spans = [], [], [], []
    for i in range(count):
        began, clock = time.time(), time.perf_counter()
        result = run_command(command, env=env, timeout=600)
        elapsed = time.perf_counter() - clock
        spans.append((began, time.time()))
        loads.append(os.getloadavg()[0])
        problem = wrong_answer(result, expected)
        if problem:
            wrong.append(problem)
            print(f'call {i + 1}: {problem}', file=sys.stderr)
        else:
            seconds.append(elapsed)
    figures = {'load': f'{np.mean(loads):.2f}'}
    if wrong:
        missed.append(f'{len(wrong)} of {count} answers wrong or missing')
    if seconds:
        p50, p95 = np.percentile(seconds, 50), np.percentile(seconds, 95)
        print(
            f'predict_api.sh --run, one trip, {len(seconds)} of {count} calls answered right: '
            + check('p50', p50, TARGET_P50_SECONDS, missed)
            + ', '
            + check('p95', p95, TARGET_P95_SECONDS, missed)
            + f', first {seconds[0]:.2f} s, max {max(seconds):.2f} s; load average {figures["load"]}',
        )
        figures.update({'p50': f'{p50:.2f} s', 'p95': f'{p95:.2f} s'})
        try:
            print(f'where the time went, medians: {phases(client, spans)}')
        except (RuntimeError, LookupError, TypeError, ValueError) as error:  # a diagnosis, not a figure
            print(f'where the time went: not known ({type(error).__name__}: {error})')
    return figures


def phases(client, spans: List[Tuple[float, float]]) -> str:
    """Each call's time split by its run's own timestamps (the last ``len(spans)`` predict runs):
    the command until the scheduler starts its run (start-up, sign-in, trigger look-up, post, the
    scheduler's next tick), until the block starts, the block, until the run is completed, the
    rest (polling every 0.2 s, reading the output, exiting). A timestamp Mage left empty is
    named. (``created_at`` is SQLite's, whole seconds: of no use here.)"""
    import pandas as pd

    runs = client.get('/api/pipeline_runs', pipeline_uuid='predict', _limit=len(spans), **{'order_by[]': 'id desc'})
    runs = sorted(runs.get('pipeline_runs') or [], key=lambda r: r['id'])
    if len(runs) != len(spans):
        return f'not known ({len(runs)} runs listed for {len(spans)} calls)'
    rows, empty = [], set()
    for run, (began, ended) in zip(runs, spans):
        block = next(b for b in client.block_runs(run['id']) if b['block_uuid'] == 'inference')
        marks = {'run started_at': run['started_at'], 'block started_at': block['started_at']}
        marks.update({'block completed_at': block['completed_at'], 'run completed_at': run['completed_at']})
        empty |= {name for name, mark in marks.items() if not mark}
        seconds = [pd.Timestamp(mark).timestamp() if mark else np.nan for mark in marks.values()]
        rows.append(np.diff([began, *seconds, ended]))
    names = ['to run start', 'to block start', 'block', 'to run completed', 'after']
    medians = ', '.join(f'{name} {value:.2f} s' for name, value in zip(names, np.nanmedian(rows, axis=0)))
    return medians + (f' (empty in some runs: {", ".join(sorted(empty))})' if empty else '')


def tree_cpu(root_pid: int) -> Dict[Tuple[int, float], float]:
    """CPU seconds of each live process of the tree under ``root_pid`` (keyed by pid and start
    time), each with its children reaped so far: a process that ends inside a window is
    counted through its parent."""
    root = psutil.Process(root_pid)
    used = {}
    for process in [root, *root.children(recursive=True)]:
        try:
            with process.oneshot():
                t = process.cpu_times()
                used[(process.pid, process.create_time())] = t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            continue
    return used


def idle_cpu(server, tick: int, seconds: float, settle: float) -> Dict[str, str]:
    """% of one core the server's process tree used over ``seconds`` with no requests."""
    time.sleep(settle)
    before, loads = tree_cpu(server.process.pid), []
    began = time.perf_counter()
    while time.perf_counter() - began < seconds:
        time.sleep(min(1.0, max(0.0, seconds - (time.perf_counter() - began))))
        loads.append(os.getloadavg()[0])
    after = tree_cpu(server.process.pid)
    window = time.perf_counter() - began
    used = sum(cpu - before.get(key, 0.0) for key, cpu in after.items())
    percent = 100 * used / window
    print(
        f'idle CPU, SCHEDULER_TRIGGER_INTERVAL={tick} s: {percent:.1f} % of one core '
        f'({used:.2f} CPU s over {window:.0f} s, {len(after)} processes, '
        f'{len(after.keys() - before.keys())} started and {len(before.keys() - after.keys())} ended meanwhile); '
        f'load average {np.mean(loads):.2f}',
    )
    return {'cpu': f'{percent:.1f} % of one core', 'load': f'{np.mean(loads):.2f}'}


def table(count: int, calls: Dict[str, str], idle_default: Dict[str, str], idle_one_second: Dict[str, str]) -> None:
    requests = f'predict_api.sh --run ({count} calls, tick {DEFAULT_TICK} s + wake-ups)'
    print('\n| measurement | figure | load average (1 min) |\n|---|---|---|')
    print(f'| {requests}: p50 | {calls.get("p50", "-")} | {calls["load"]} |')
    print(f'| {requests}: p95 | {calls.get("p95", "-")} | {calls["load"]} |')
    print(
        f'| idle CPU, tick {DEFAULT_TICK} s (start.sh, Mage default) | {idle_default["cpu"]} | {idle_default["load"]} |'
    )
    print(f'| idle CPU, tick {ONE_SECOND_TICK} s | {idle_one_second["cpu"]} | {idle_one_second["load"]} |')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group()
    where.add_argument('--state', type=Path, help='an existing state (DIR/mage, DIR/data) with a champion')
    where.add_argument('--quick', action='store_true', help='train a small champion first (the default)')
    parser.add_argument('--data', type=Path, default=REPO_ROOT.parent / 'shared' / 'data', help='for --quick')
    parser.add_argument('--requests', type=int, default=20, help='timed predict_api.sh calls')
    parser.add_argument('--idle-seconds', type=float, default=60.0, help='each idle CPU window')
    parser.add_argument('--settle-seconds', type=float, default=10.0, help='quiet time before each idle window')
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # each figure as soon as it is measured
    for name in ('MLFLOW_TRACKING_URI', 'MLOPS_UI_PROJECT'):  # the state's own store; a default start
        os.environ.pop(name, None)
    # The environment's owner, else a fresh one: the server's start makes the state's database
    # agree (workarounds.owner_password), an existing state included.
    fresh = (EMAIL, secrets.token_urlsafe(12))
    owner = {key: os.environ.get(key) or value for key, value in zip(OWNER_KEYS, fresh)}
    with tempfile.TemporaryDirectory(prefix='mlops-bench-predict-api-') as scratch_dir:
        scratch = Path(scratch_dir)
        (scratch / 'tmp').mkdir()
        root = args.state.resolve() if args.state else scratch / 'state'
        try:
            if not args.state:
                train_quick_champion(root, args.data.resolve())
            expected = champion_answer(root)
            print(f'champion: version {expected[0]}, {expected[1]:.4f} minutes for {json.dumps(TRIP)}')
            missed: List[str] = []
            with started(root, scratch, DEFAULT_TICK, owner) as server:
                calls = time_calls(server.client, owner, args.requests, expected, missed)
                idle_default = idle_cpu(server, DEFAULT_TICK, args.idle_seconds, args.settle_seconds)
            with started(root, scratch, ONE_SECOND_TICK, owner) as server:
                idle_one_second = idle_cpu(server, ONE_SECOND_TICK, args.idle_seconds, args.settle_seconds)
        except (RuntimeError, TimeoutError, OSError, ValueError) as error:  # ValueError: ConfigError
            print(f'error: {error}', file=sys.stderr)
            return 1
        table(args.requests, calls, idle_default, idle_one_second)
    return exit_status(missed)


if __name__ == '__main__':
    sys.exit(main())
