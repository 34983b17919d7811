"""``python -m mlops.utils.replay`` (``./scripts/replay.sh``): see the package's text and
docs/replay-and-soak.md. Exit status: 0 done, 1 the replay stopped on something it cannot go on
from (the message says what), 2 bad arguments or a state it cannot use, 143 stopped (SIGTERM) or
130 (Ctrl-C): run the same command again to continue."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

from mlops.utils import pipelines
from mlops.utils.errors import ConfigError, DataError
from mlops.utils.orchestration import mage_internals as mage
from mlops.utils.orchestration.runner_lock import RunnerLock
from mlops.utils.paths import REPO_ROOT, project_dir
from mlops.utils.replay import server
from mlops.utils.replay.arguments import Plan, parse_args, parse_range, plan, state_dir
from mlops.utils.replay.budgets import describe, main_job_variables
from mlops.utils.replay.driving import Driver
from mlops.utils.replay.report import champion, write_report
from mlops.utils.replay.soak import Soak
from mlops.utils.replay.staged_source import arrive, source_months
from mlops.utils.replay.state import ReplayError, ReplayState


class Stopped(BaseException):
    """SIGTERM: the state is saved after every step; the same command continues."""


def _stop(signum: int, frame: Any) -> None:
    raise Stopped()


def initial_training(state: ReplayState, months: Plan, staged: Path) -> None:
    """The main job (``./scripts/run.sh``) on the training months of the staged source, on the
    quick budgets; its last month validates, as the main job splits."""
    if state.data.get('trained'):
        return
    if not state.data.get('training_started'):
        before = champion()
        if before is not None:
            raise ConfigError(
                f'this state already has a champion (version {before}) that the replay did not train: the replay tells '
                'its story from the first month, so start it on a fresh state, e.g. MLOPS_DATA_DIR=.mage_data/replay '
                'MAGE_DATA_DIR=.mage_data/replay/mage ./scripts/replay.sh ...'
            )
        state.data['training_started'] = True
        state.save()
    first, last = months.training[0], months.training[-1]
    command = [
        str(REPO_ROOT / 'scripts' / 'run.sh'),
        '--source',
        str(staged),
        '--set',
        f'start_month={first}',
        '--set',
        f'end_month={last}',
        '--set',
        f'split_on_feature_value={last}-01',
        '--vars',
        json.dumps(main_job_variables()),
    ]
    print(f'initial training on {first}..{last} (validating on {last}): {" ".join(command)}', flush=True)
    result = subprocess.run(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    print(result.stdout, end='', flush=True)
    if result.returncode != 0:
        raise ReplayError(f'the initial training (./scripts/run.sh) failed with exit {result.returncode}: see above')
    state.data['trained'] = {'months': months.training, 'champion': champion()}
    state.save()


def ensure_server(
    state: ReplayState, staged: Path, log_path: Path, soak: Optional[Soak], catch_up_seconds: float = 0.0
) -> int:
    """The replay's server: the one it started (still running), else a new start (whose time
    triggers' own runs the soak counts, unless ``soak`` is None: a finished replay's server)."""
    recorded = state.data.get('server') or {}
    if server.is_our_server(recorded.get('pid')) and server.answers():
        print(f'the server the replay started (pid {recorded["pid"]}) still runs at {server.address()}', flush=True)
        return recorded['pid']
    after_id = mage.last_run_id() if soak is not None else 0
    pid = server.start(staged, log_path)
    starts = state.data.setdefault('server_starts', 0) + 1
    state.data['server_starts'] = starts
    state.data['server'] = {'pid': pid, 'address': server.address(), 'log': str(log_path)}
    state.save()
    print(f'started the Mage server (pid {pid}) at {server.address()}; its log: {log_path}', flush=True)
    if soak is None:
        return pid
    pending = state.data.get('restart') or {}
    name = 'restart' if pending.get('stopped') and 'restart' not in soak.figures['windows'] else f'start {starts}'
    soak.open_window(name, after_id, catch_up_seconds)
    if name == 'restart':
        soak.snapshot('after_restart', pid)
    state.save()
    return pid


def restart(state: ReplayState, month: str, pid: int, staged: Path, log_path: Path, soak: Soak, catch_up: float) -> int:
    """A clean stop and a start, between two months: what a user does; the time triggers' own
    runs in the ``catch_up`` seconds after it are counted."""
    soak.snapshot('before_restart', pid)
    print(f'restarting the server before {month} (SIGTERM to pid {pid}, then ./scripts/start.sh)', flush=True)
    clean = server.stop(pid)
    state.data['restart'] = {'month': month, 'stopped': True, 'clean_stop': clean}
    state.data['server'] = None
    state.save()
    return ensure_server(state, staged, log_path, soak, catch_up)


def replay(argv) -> int:
    args = parse_args(argv)
    months = parse_range(args.months) if args.months else source_months(args.source)
    steps = plan(months, args.train_months, args.restart_at)
    if args.retrain_after < 1:
        raise ConfigError(f'--retrain-after must be at least 1, got {args.retrain_after}')
    folder = state_dir(args)
    lock = RunnerLock(folder / 'replay.lock')
    if not lock.try_acquire('replay'):
        raise ConfigError(
            f'another replay runs on {folder} (pid {lock.holder().get("pid", "?")}); wait for it or stop it'
        )
    state = ReplayState.open(folder, args.source, months, args.train_months)
    staged, log_path = folder / 'source', folder / 'server.log'
    print(describe(args.retrain_after), flush=True)
    if args.threshold_rmse_increase is not None:
        print(
            f'monitoring: threshold_rmse_increase {args.threshold_rmse_increase} (the pipeline default is 0.25)',
            flush=True,
        )
    print(
        f'replay of {months[0]}..{months[-1]}: training on {steps.training[0]}..{steps.training[-1]}, then '
        f'{len(steps.arriving)} months arrive one by one at {staged}; server restart before {steps.restart_at}; '
        f'state {state.path}' + (f' (continuing: {len(state.data["done"])} months done)' if state.data['done'] else ''),
        flush=True,
    )
    began, base = time.monotonic(), float(state.data.get('seconds', 0.0))

    def account() -> None:
        if not state.data.get('finished'):  # a finished replay's report is not re-measured
            state.data['seconds'] = base + time.monotonic() - began
            state.save()

    try:
        if state.data.get('finished'):
            print('this replay is done: its report again (nothing is measured anew)', flush=True)
            write_report(state, folder)
            recorded = (state.data.get('server') or {}).get('pid')
            if args.stop_server:
                if server.is_our_server(recorded):
                    server.stop(recorded)
                state.data['server'] = None
                state.save()
            else:  # its dashboards
                pid = ensure_server(state, staged, log_path, None)
                print(f'the server runs at {server.address()} (pid {pid}) for the dashboards; stop it with kill {pid}')
            return 0
        for month in steps.training:
            arrive(args.source, staged, month)
        initial_training(state, steps, staged)
        mage.bind_project(project_dir(pipelines.MONITORING.project))
        soak = Soak(state, log_path)
        pid = ensure_server(state, staged, log_path, soak, args.catch_up_seconds)
        if 'start' not in soak.figures['snapshots']:
            Driver(state, soak, args.retrain_after).wait_idle()  # the time triggers' first runs
            soak.snapshot('start', pid)
        thresholds = (
            {} if args.threshold_rmse_increase is None else {'threshold_rmse_increase': args.threshold_rmse_increase}
        )
        driver = Driver(state, soak, args.retrain_after, thresholds)
        for month in steps.arriving:
            if month in state.data['done']:
                continue
            if month == steps.restart_at and not state.data.get('restart'):
                pid = restart(state, month, pid, staged, log_path, soak, args.catch_up_seconds)
            arrive(args.source, staged, month)
            state.mark('arrived', month)
            driver.drive(month)
            state.data.setdefault('champion_after', {})[month] = champion()
            state.mark('done', month)
            account()
            print(f'{month} done: champion version {state.data["champion_after"][month]}', flush=True)
        soak.close_windows(wait=True)
        soak.snapshot('end', pid)
        account()
        state.data['finished'] = True
        state.save()
        write_report(state, folder)
        if args.stop_server:
            server.stop(pid)
            state.data['server'] = None
            state.save()
            print('server stopped (--stop-server)')
        else:
            print(
                f'\nthe server keeps running at {server.address()} (pid {pid}) for the dashboards; stop it with kill {pid}'
            )
        return 0
    finally:
        account()
        lock.release()


def main(argv) -> int:
    signal.signal(signal.SIGTERM, _stop)
    try:
        return replay(argv)
    except (ReplayError, DataError) as error:
        print(f'replay stopped: {error}', file=sys.stderr)
        return 1
    except ConfigError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    except Stopped:
        print('replay stopped (SIGTERM); the same command continues where it was', file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print('replay stopped (Ctrl-C); the same command continues where it was', file=sys.stderr)
        return 130


def _exit(code: Optional[int]) -> None:
    sys.stdout.flush()
    sys.exit(code)


if __name__ == '__main__':
    _exit(main(sys.argv[1:]))
