"""Start and stop real servers on 127.0.0.1 for the slow test layer."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class ServerProcess:
    """A server command in its own process group, ready once ``ready_url`` answers 200."""

    def __init__(self, command: List[str], ready_url: str, log_path: Path,
                 env: Optional[Dict[str, str]] = None, timeout: float = 180.0):
        self.command, self.ready_url, self.log_path = command, ready_url, log_path
        self.env = {**os.environ, **(env or {})}
        self.timeout = timeout
        self.process: Optional[subprocess.Popen] = None

    def __enter__(self) -> 'ServerProcess':
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, 'w')
        self.process = subprocess.Popen(self.command, cwd=REPO_ROOT, env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f'{self.command[0]} exited with {self.process.returncode}; see {self.log_path}')
            try:
                if requests.get(self.ready_url, timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.__exit__()
        raise TimeoutError(f'{self.ready_url} not ready after {self.timeout:.0f} s; see {self.log_path}')

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def mage_server(tmp_path: Path, env: Optional[Dict[str, str]] = None) -> ServerProcess:
    """``scripts/start.sh`` without Docker, on a free port, with Mage state under tmp_path."""
    port = free_port()
    server_env = {'MLOPS_START_MODE': 'local', 'MAGE_PORT': str(port), 'MAGE_HOST': '127.0.0.1',
                  'MAGE_DATA_DIR': str(tmp_path / 'mage'), **(env or {})}
    server = ServerProcess(['bash', 'scripts/start.sh'], f'http://127.0.0.1:{port}/api/status',
                           tmp_path / 'mage-server.log', env=server_env)
    server.port = port
    return server
