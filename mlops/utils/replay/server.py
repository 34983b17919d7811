"""The one Mage server the replay drives: started with ``./scripts/start.sh`` (local mode, the
staged source as ``MLOPS_DATA_SOURCE``) when nothing answers on its port, adopted when the server
it started in an earlier invocation still runs, refused when another one answers there (the
replay must be able to restart it). Stopped as the docs say (SIGTERM to its main process, which
stops its scheduler and job queue: ``orchestration/workarounds/clean_stop.py``). Its memory is the resident
set of its whole process tree.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Dict, Optional

from mlops.utils.errors import ConfigError
from mlops.utils.orchestration.process_tree import stop_processes
from mlops.utils.paths import REPO_ROOT
from mlops.utils.replay.state import ReplayError

START_SECONDS = 300.0  # a first start migrates nothing (the runner did) but imports all of Mage
STOP_SECONDS = 60.0


def address() -> str:
    return f'http://{os.environ.get("MAGE_HOST", "127.0.0.1")}:{os.environ.get("MAGE_PORT", "6789")}'


def answers(url: Optional[str] = None) -> bool:
    import requests

    try:
        return requests.get(f'{url or address()}/api/status', timeout=5).status_code == 200
    except requests.RequestException:
        return False


def is_our_server(pid: Optional[int]) -> bool:
    """True when ``pid`` is alive and is the Mage server a replay started on this port."""
    import psutil

    if not pid:
        return False
    try:
        command = ' '.join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return False
    return (
        'mlops.utils.orchestration.mage_cli start' in command
        and f'--port {os.environ.get("MAGE_PORT", "6789")}' in command
    )


def start(staged: Path, log_path: Path) -> int:
    """``./scripts/start.sh`` in the background (its own session: stopping the replay leaves it
    running), its output appended to ``log_path``; returns its pid once it answers."""
    if answers():
        raise ConfigError(
            f'a Mage server the replay did not start answers at {address()}: stop it (the replay restarts its '
            'server in the middle, to measure the catch-up), or give the replay another MAGE_PORT'
        )
    env: Dict[str, str] = {**os.environ, 'MLOPS_START_MODE': 'local', 'MLOPS_DATA_SOURCE': str(staged)}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, 'a') as log:
        log.write(f'\n--- started by the replay at {time.strftime("%Y-%m-%d %H:%M:%S")} ---\n')
        log.flush()
        process = subprocess.Popen(
            ['bash', str(REPO_ROOT / 'scripts' / 'start.sh')],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ReplayError(f'./scripts/start.sh exited with {process.returncode}; see {log_path}')
        if answers():
            return process.pid  # start.sh execs Mage: the same process
        time.sleep(1.0)
    stop(process.pid)
    raise ReplayError(f'the Mage server did not answer at {address()} within {START_SECONDS:.0f} s; see {log_path}')


def stop(pid: int) -> bool:
    """SIGTERM to the server's main process, then wait for its whole tree to end; True when it
    ended by itself, False when what was left had to be killed."""
    import psutil

    try:
        main = psutil.Process(pid)
        tree = [main, *main.children(recursive=True)]
    except psutil.NoSuchProcess:
        return True
    os.kill(pid, signal.SIGTERM)
    _, alive = psutil.wait_procs(tree, timeout=STOP_SECONDS)
    stop_processes(alive, grace=0)  # killed, and waited for
    try:  # reap it when this process started it
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    return not alive


def tree_rss(pid: int) -> Dict[str, int]:
    """The resident memory of the server's process tree: bytes in all, and how many processes."""
    import psutil

    try:
        main = psutil.Process(pid)
        tree = [main, *main.children(recursive=True)]
    except psutil.NoSuchProcess:
        return {'bytes': 0, 'processes': 0}
    total = 0
    for process in tree:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return {'bytes': total, 'processes': len(tree)}
