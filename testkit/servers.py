"""Start and stop real servers on 127.0.0.1 for the slow test layer.

Why it is this long: it is every real server the tests and benchmarks start (Mage, MLflow,
PostgreSQL, an SMTP sink), each with its start, readiness check and stop, and the port slices that
keep two pytest workers apart; split by server, each file would repeat the process handling.
"""

from __future__ import annotations

import glob
import itertools
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Dict, List, Optional

import requests

from mlops.utils.paths import REPO_ROOT
from testkit.commands import run_command, run_ok
from testkit.mage_database import seeded
from testkit.mlflow_database import seeded_store

# Test servers take ports below the kernel's ephemeral range (32768-60999 on Linux), each
# pytest-xdist worker from its own slice: a port handed out here cannot be taken by another
# worker, or by the kernel for a port-0 bind, between the check and the server binding it.
PORTS = range(20000, 32000)


def _port_slice() -> range:
    workers = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT') or 1)
    worker = int((os.environ.get('PYTEST_XDIST_WORKER') or 'gw0').removeprefix('gw'))
    size = len(PORTS) // max(workers, 1)
    return range(PORTS.start + worker * size, PORTS.start + (worker + 1) * size)


_cursor = itertools.count(random.randrange(len(PORTS)))  # a process started by a test starts elsewhere


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on, from this worker's slice of PORTS."""
    ports = _port_slice()
    for _ in range(len(ports)):
        port = ports[next(_cursor) % len(ports)]
        with socket.socket() as sock:
            try:
                sock.bind(('127.0.0.1', port))
            except OSError:
                continue
            return port
    raise RuntimeError(f'no free port in {ports}')


def http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return requests.get(url, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    return check


class ServerProcess:
    """A server command in its own process group, ready once ``ready`` returns True
    (a URL means: answers HTTP 200)."""

    def __init__(
        self,
        command: List[str],
        ready,
        log_path: Path,
        env: Optional[Dict[str, str]] = None,
        timeout: float = 180.0,
        cwd: Path = REPO_ROOT,
        inherit_env: bool = True,
    ):
        self.command, self.log_path, self.cwd = command, log_path, cwd
        self.ready = http_ok(ready) if isinstance(ready, str) else ready
        # inherit_env=False: only PATH, HOME and ``env`` (no PYTHONPATH pointing at the repo)
        base = os.environ if inherit_env else {k: os.environ[k] for k in ('PATH', 'HOME') if k in os.environ}
        self.env = {**base, **(env or {})}
        self.timeout = timeout
        self.process: Optional[subprocess.Popen] = None

    def __enter__(self) -> 'ServerProcess':
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, 'w')
        self.process = subprocess.Popen(
            self.command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.__exit__()  # whatever it started goes too
                raise RuntimeError(f'{self.command[0]} exited with {self.process.returncode}; see {self.log_path}')
            if self.ready():
                return self
            time.sleep(0.5)
        self.__exit__()
        raise TimeoutError(f'{self.command[0]} not ready after {self.timeout:.0f} s; see {self.log_path}')

    def __exit__(self, *exc) -> None:
        if not self.process:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        try:  # the server and anything of its session still alive (workers, schedulers)
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


def mage_server(
    tmp_path: Path, env: Optional[Dict[str, str]] = None, repo: Path = REPO_ROOT, command: str = './scripts/start.sh'
) -> ServerProcess:
    """``command`` (``./scripts/start.sh`` of ``repo``: a copy where the test lets Mage write
    pipeline files) without Docker, on a free port, with Mage state under tmp_path. Its time triggers stay
    inactive (``MLOPS_TIME_TRIGGERS=off``) unless the test turns them on: no daily monitoring or
    retraining changes a store or mails an alert while a test looks."""
    port = free_port()
    server_env = {
        'MLOPS_START_MODE': 'local',
        'MAGE_PORT': str(port),
        'MAGE_HOST': '127.0.0.1',
        'MLOPS_TIME_TRIGGERS': 'off',
        'MAGE_DATA_DIR': str(tmp_path / 'mage'),
        'MLOPS_VENV': os.environ.get('MLOPS_VENV', str(REPO_ROOT / '.venv')),
        **(env or {}),
    }
    if 'MAGE_DATABASE_CONNECTION_URL' not in server_env:
        seeded(Path(server_env['MAGE_DATA_DIR']))
    if 'MLOPS_DATA_DIR' in server_env and 'MLFLOW_TRACKING_URI' not in {**os.environ, **server_env}:
        seeded_store(Path(server_env['MLOPS_DATA_DIR']))
    server = ServerProcess(
        ['bash', '-c', command],
        f'http://127.0.0.1:{port}/api/status',
        tmp_path / 'mage-server.log',
        env=server_env,
        cwd=repo,
    )
    server.port = port
    return server


class PostgresServer:
    """A private PostgreSQL cluster on 127.0.0.1 (Debian's binaries), password-protected.

    As root it runs as the ``postgres`` user, which PostgreSQL requires.
    """

    user = 'mlops'

    def __init__(self, databases: List[str]):
        self.databases = databases
        self.password = secrets.token_urlsafe(16)
        self.port = free_port()
        self.bin = Path(sorted(glob.glob('/usr/lib/postgresql/*/bin'))[-1])
        self.dir = Path(tempfile.mkdtemp(prefix='pg-'))
        self.server: Optional[ServerProcess] = None

    def url(self, database: str, driver: str = 'postgresql') -> str:
        return f'{driver}://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}'

    def _as_owner(self, command: List[str]) -> List[str]:
        return ['runuser', '-u', 'postgres', '--', *command] if os.getuid() == 0 else command

    def _accepts_connections(self) -> bool:
        import psycopg2

        try:
            psycopg2.connect(self.url('postgres'), connect_timeout=2).close()
            return True
        except psycopg2.OperationalError:
            return False

    def __enter__(self) -> 'PostgresServer':
        try:
            self._start()
        except BaseException:  # a half-started cluster is stopped and its folder removed
            self.__exit__()
            raise
        return self

    def _start(self) -> None:
        import psycopg2

        pwfile = self.dir / 'pw'
        pwfile.write_text(self.password)
        if os.getuid() == 0:
            shutil.chown(self.dir, 'postgres')
            shutil.chown(pwfile, 'postgres')
        run_ok(
            self._as_owner(
                [
                    str(self.bin / 'initdb'),
                    '-D',
                    str(self.dir / 'data'),
                    '-U',
                    self.user,
                    f'--pwfile={pwfile}',
                    '-A',
                    'scram-sha-256',
                ]
            ),
            timeout=600,
        )
        self._serve()
        connection = psycopg2.connect(self.url('postgres'))
        connection.autocommit = True
        with connection.cursor() as cursor:
            for database in self.databases:
                cursor.execute(f'CREATE DATABASE {database}')
        connection.close()

    def _serve(self) -> None:
        command = self._as_owner(
            [
                str(self.bin / 'postgres'),
                '-D',
                str(self.dir / 'data'),
                '-p',
                str(self.port),
                '-k',
                str(self.dir),
                '-c',
                'listen_addresses=127.0.0.1',
            ]
        )
        self.server = ServerProcess(command, self._accepts_connections, self.dir / 'postgres.log', timeout=60)
        self.server.__enter__()

    def stop(self) -> None:
        """Shut the server down (its data stays) as a container stop does: a fast shutdown (the
        postgres image's STOPSIGNAL is SIGINT: clients disconnected, a shutdown checkpoint
        written), waited for by ``pg_ctl`` until the postmaster is gone. A SIGTERM to ``runuser``
        is no stop: PostgreSQL's smart shutdown waits for its clients, ``runuser`` kills it after
        2 s, and the killed postmaster's lock file (its pid a zombie of this process) makes the
        next start on the same folder exit at once."""
        run_command(
            self._as_owner(
                [str(self.bin / 'pg_ctl'), 'stop', '-D', str(self.dir / 'data'), '-m', 'fast', '-w', '-t', '120']
            ),
            cwd=self.dir,
            timeout=180,
        )
        self.server.__exit__()  # runuser, ended with its postmaster (or whatever a failed stop left)

    def start(self) -> None:
        """Start it again on the same data folder and port."""
        self._serve()

    def __exit__(self, *exc) -> None:
        if self.server:
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def mlflow_server_bin() -> str:
    """The tracking server lives in its own venv (see requirements-mlflow-server.txt)."""
    path = os.environ.get('MLFLOW_SERVER_BIN') or str(REPO_ROOT / '.venv-mlflow-server' / 'bin' / 'mlflow')
    if not Path(path).exists():
        raise FileNotFoundError(
            f'no MLflow server at {path}: run scripts/setup_mlflow_server.sh (scripts/test.sh does)'
        )
    return path


def mlflow_server(log_path: Path, backend_uri: str, artifacts: Path, port: Optional[int] = None) -> ServerProcess:
    """``mlflow server`` as docker-compose.yml runs it (served artifacts, no job runner), on
    127.0.0.1; ``.url`` is its tracking URI."""
    port = port or free_port()
    command = [
        mlflow_server_bin(),
        'server',
        '--host',
        '127.0.0.1',
        '--port',
        str(port),
        '--backend-store-uri',
        backend_uri,
        '--artifacts-destination',
        str(artifacts),
        '--serve-artifacts',
        '--workers',
        '1',
    ]
    server = ServerProcess(
        command, f'http://127.0.0.1:{port}/health', log_path, env={'MLFLOW_SERVER_ENABLE_JOB_EXECUTION': 'false'}
    )
    server.port, server.url = port, f'http://127.0.0.1:{port}'
    return server


class MailServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Message

        self.messages: List = []
        outer = self

        class Keep(Message):
            def handle_message(self, message):
                outer.messages.append(message)

        self.port = free_port()
        self._controller = Controller(Keep(), hostname='127.0.0.1', port=self.port)

    def __enter__(self) -> 'MailServer':
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()

    def env(self, to: str = 'alerts@example.com') -> Dict[str, str]:
        """The variables that point the projects' notification_config at this server."""
        return {
            'SMTP_HOST': '127.0.0.1',
            'SMTP_PORT': str(self.port),
            'SMTP_MAIL_FROM': 'mage@example.com',
            'ALERT_EMAILS': to,
        }

    def wait_for(self, count: int, timeout: float = 60.0) -> List:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        return list(self.messages)


# Mage's ``INSTANCE_TYPE`` for a server without its scheduler: no time trigger fires, no run
# starts, so nothing changes the stores while a test reads them.
WEB_SERVER_ONLY = {'INSTANCE_TYPE': 'web_server'}


def signed_in_env(root: Path) -> Dict[str, str]:
    """The environment of a default ``start.sh`` (the UI opens on unit_1_data_preparation, as a
    new user's does: every sub-project's pipelines must work from there) over the embedded store
    under ``root / 'data'``, with authentication on and a random owner password."""
    return {
        'MLOPS_DATA_DIR': str(root / 'data'),
        'DEFAULT_OWNER_EMAIL': 'owner@example.com',
        'DEFAULT_OWNER_PASSWORD': secrets.token_urlsafe(12),
        'REQUIRE_USER_AUTHENTICATION': '1',
    }


def owner_client(server: ServerProcess, env: Dict[str, str], timeout: float = 30.0):
    """A MageClient of the server started with ``env``, signed in as its owner."""
    from mlops.utils.triggering.mage_api import MageClient

    return MageClient(
        f'http://127.0.0.1:{server.port}',
        email=env['DEFAULT_OWNER_EMAIL'],
        password=env['DEFAULT_OWNER_PASSWORD'],
        timeout=timeout,
    )


@contextmanager
def signed_in_mage(root: Path, env: Optional[Dict[str, str]] = None, scheduler: bool = False):
    """A default ``start.sh`` with authentication on and a random owner password, over
    the embedded store under ``root / 'data'``; yields a MageClient signed in as that owner.

    Without ``scheduler`` the server only serves (Mage's ``web_server`` instance type): the
    project's time triggers (e.g. unit_3's ``daily_monitoring``, which scores a month into the
    store) cannot change what the test is reading."""
    server_env = {**signed_in_env(root), **({} if scheduler else WEB_SERVER_ONLY), **(env or {})}
    with mage_server(root, env=server_env) as mage:
        # Mage runs chart code and API calls one at a time; on a loaded machine a dashboard's
        # requests queue: the client's bound is generous (a bound, not a speed requirement).
        yield owner_client(mage, server_env, timeout=180)


@contextmanager
def dask_cluster():
    """A real Dask cluster on 127.0.0.1, as a block starts one: a scheduler and two worker
    processes; yields it."""
    from mlops.utils.compute.cluster import local_cluster

    with local_cluster(2) as cluster:
        yield cluster


def short_temp_dir() -> str:
    """A temporary folder for Mage's processes (their ``TMPDIR``), removed when this process exits.
    Not inside a deep state folder: Python 3.11's multiprocessing puts its socket
    (``pymp-*/listener-*``) under ``TMPDIR``, and a socket path over 107 characters fails Mage's
    job queue (``OSError: AF_UNIX path too long``), which a benchmark's state folder under a test
    session's own TMPDIR reached."""
    import atexit
    import tempfile

    folder = tempfile.mkdtemp(prefix='mb-')
    atexit.register(shutil.rmtree, folder, True)
    return folder
