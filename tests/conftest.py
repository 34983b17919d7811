"""Fixtures shared by the unit and pipeline layers.

Why it is this long: pytest reads fixtures shared across folders from here only; the largest is the
HTTP server of taxi months with its fault modes, the rest are small.
"""

from __future__ import annotations

import io
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops.utils.paths import REPO_ROOT
from testkit.mage_database import TEMPLATE_ENV
from testkit.mlflow_database import TEMPLATE_ENV as MLFLOW_TEMPLATE_ENV

SHARED_DATA = (REPO_ROOT.parent / 'shared' / 'data').resolve()


@pytest.fixture
def browser():
    """Headless Chromium, quit after the test."""
    from tests.browser import chromium

    yield from chromium()


def pytest_configure(config):
    config.addinivalue_line('markers', 'slow: runs Mage, servers or a browser (pipeline/server layer)')


def pytest_collection_modifyitems(config, items):
    """Files with slow tests first, each file's tests together and in order, then the unit layer.

    pytest.ini runs the suite on two pytest-xdist workers, a whole file at a time: the long
    server files start early, and the many short files even out the end."""
    slow_files = {item.path for item in items if item.get_closest_marker('slow')}
    items.sort(key=lambda item: item.path not in slow_files)


@pytest.fixture(scope='session')
def shared_data() -> Path:
    if not (SHARED_DATA / 'taxi' / 'green').is_dir():
        pytest.fail(f'the shared taxi data is missing: expected {SHARED_DATA}/taxi/green')
    return SHARED_DATA


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


class TripServer:
    """A real HTTP server on 127.0.0.1 in the upstream layout, with fault modes.

    ``base(mode)`` is a data-source URL; modes: ``ok``, ``404``, ``500`` (always),
    ``flaky`` or ``flaky-<anything>`` (503 twice per path, then the file; a fresh suffix gives
    a test paths of its own), ``truncated`` (half the bytes with
    the full Content-Length), ``html`` (not parquet), ``empty`` (0 rows), ``nocols``
    (no trip_distance column).
    """

    def __init__(self, root: Path):
        self.root = root
        self.requests: Dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests[self.path] = server.requests.get(self.path, 0) + 1
                mode, _, relative = self.path.lstrip('/').partition('/')
                file = server.root / relative
                if mode == '404' or not file.is_file():
                    return self._send(404, b'not found')
                if mode == '500':
                    return self._send(500, b'server error')
                if mode.startswith('flaky') and server.requests[self.path] <= 2:
                    return self._send(503, b'try again')
                body = file.read_bytes()
                if mode == 'html':
                    return self._send(200, b'<html>rate limited</html>')
                if mode == 'empty':
                    return self._send(200, _parquet_bytes(pq.read_table(file).slice(0, 0)))
                if mode == 'nocols':
                    return self._send(200, _parquet_bytes(pq.read_table(file).drop(['trip_distance'])))
                if mode == 'truncated':
                    self.send_response(200)
                    self.send_header('Content-Length', str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                return self._send(200, body)

            def do_HEAD(self):  # what a new-data check asks: does the month exist?
                server.requests[self.path] = server.requests.get(self.path, 0) + 1
                mode, _, relative = self.path.lstrip('/').partition('/')
                file = server.root / relative
                status = 404 if mode == '404' or not file.is_file() else 500 if mode == '500' else 200
                self.send_response(status)
                self.send_header('Content-Length', str(file.stat().st_size if status == 200 else 0))
                self.end_headers()

            def _send(self, status: int, body: bytes):
                self.send_response(status)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def base(self, mode: str = 'ok') -> str:
        host, port = self.httpd.server_address[:2]
        return f'http://{host}:{port}/{mode}'

    def __enter__(self) -> 'TripServer':
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope='session')
def trip_server(shared_data) -> Iterator[TripServer]:
    with TripServer(shared_data) as server:
        yield server


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    """An empty download cache for this test only."""
    path = tmp_path / 'cache'
    monkeypatch.setenv('MLOPS_CACHE_DIR', str(path))
    return path


@pytest.fixture(scope='session')
def postgres():
    """A real PostgreSQL server for the docker-compose shape (databases mage and mlflow)."""
    from testkit.servers import PostgresServer

    with PostgresServer(['mage', 'mlflow']) as server:
        yield server


@pytest.fixture(scope='session')
def default_training_set(shared_data):
    """The default configuration's outputs as the training_set GDP hands them over."""
    from mlops.utils.data_preparation.config import pipeline_variables
    from mlops.utils.data_preparation.ingest import ingest_files
    from mlops.utils.data_preparation.steps import build_training_sets, preparation_facts, prepare_trips

    variables = pipeline_variables({'data_source': str(shared_data)})  # the defaults, spelt in config.py
    prepared = prepare_trips(
        ingest_files(variables['start_month'], variables['end_month'], source=str(shared_data)),
        variables['split_on_feature'],
        variables['split_on_feature_value'],
        variables['target'],
    )
    return {
        'build': [*build_training_sets(*prepared), preparation_facts(*prepared, variables)],
        'prepare': list(prepared),
    }


@pytest.fixture(scope='module')
def data(default_training_set):
    """The default configuration's training set as the training steps read it (``TrainingData``),
    fresh per module."""
    from mlops.utils.models.training_data import unpack_training_set

    return unpack_training_set(default_training_set)


@pytest.fixture(scope='module')
def synthetic_data():
    """400 synthetic trips as the training steps read them (``TrainingData``), for tests of the
    registry's rules that need a model, not the taxi data: fast, and the same every time."""
    from mlops.utils.models.training_data import unpack_training_set
    from tests.training_sets import synthetic_training_set

    return unpack_training_set(synthetic_training_set())


@pytest.fixture
def tracking_store(tmp_path):
    """An empty embedded MLflow store (SQLite + local artifacts) for this test; yields its
    experiment id."""
    from testkit.registered import embedded_store

    with embedded_store(tmp_path / 'data', 'test-model') as experiment_id:
        yield experiment_id


# What decides how the processes the tests start behave: the project's, Mage's, MLflow's, Dask's,
# PostgreSQL's and the numeric libraries' settings. (Libraries also leave markers of their own
# when first imported, in whichever module that happens: sklearn's KMP_*, debugpy's PYDEVD_*.)
WATCHED = re.compile(
    r'^(MLOPS_|MAGE_|MLFLOW_|DASK_|OMP_|MKL_|OPENBLAS_|MALLOC_|PG|POSTGRES_|SMTP_|ALERT_|DEFAULT_OWNER_)'
    r'|^(PYTHONHASHSEED|REQUIRE_USER_AUTHENTICATION)$'
)
# Set once per worker process on purpose, the same for every module after: the migrated Mage
# database and MLflow store templates (a session fixture) and the product's process-wide defaults (connect(),
# XGBoost's passive OpenMP waiting).
SET_ONCE_PER_PROCESS = frozenset(
    {
        TEMPLATE_ENV,
        MLFLOW_TEMPLATE_ENV,
        'MLFLOW_HTTP_REQUEST_MAX_RETRIES',
        'MLFLOW_HTTP_REQUEST_TIMEOUT',
        'OMP_WAIT_POLICY',
    }
)


@pytest.fixture(scope='module', autouse=True)
def environment_put_back():
    """A module leaves the settings in ``WATCHED`` as it found them: every process started
    later (a Mage server, a runner, a forked child) inherits them. Seen: a module's
    MLFLOW_TRACKING_URI made a later server read that module's store; a Dask cluster's
    OMP_NUM_THREADS=1 made later children run XGBoost on one thread; a test's
    MAGE_DATABASE_CONNECTION_URL stayed behind for later servers."""
    import os

    before = dict(os.environ)
    yield
    changed = {
        key: (before.get(key), os.environ.get(key))
        for key in set(before) | set(os.environ)
        if before.get(key) != os.environ.get(key) and WATCHED.match(key) and key not in SET_ONCE_PER_PROCESS
    }
    assert not changed, f'this module changed the environment (before, after): {changed}'


# Temporary folders of the project and its test servers; none may outlive the session (the
# session's TMPDIR, with whatever else Mage or Chromium leave there, is removed at the end).
LEFTOVER_PREFIXES = ('pg-', 'mlops-run-', 'mlops-code-', 'stress-pg-')


def _resource_tracker(process) -> bool:
    import psutil

    try:
        return 'from multiprocessing.resource_tracker import main' in ' '.join(process.cmdline())
    except psutil.NoSuchProcess:
        return False


@pytest.fixture(scope='session', autouse=True)
def nothing_left_behind(tmp_path_factory):
    """Fails the run if a test left a process (a server, Mage's workers) or a PostgreSQL data
    folder or another temporary folder of the project behind.

    The session gets a temporary folder of its own (TMPDIR, inherited by every process the
    tests start), so what others on the machine create at the same time does not count.
    pytest's own tmp_path folders (screenshots, logs) stay where pytest keeps them."""
    import os
    import shutil
    import tempfile

    import psutil

    tmp_path_factory.getbasetemp()  # fixed before TMPDIR moves
    session_tmp = Path(tempfile.mkdtemp(prefix='mlops-tests-'))
    session_tmp.chmod(0o755)  # PostgreSQL runs as its own user below it
    saved = os.environ.get('TMPDIR')
    os.environ['TMPDIR'], tempfile.tempdir = str(session_tmp), None
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop('TMPDIR', None)
        else:
            os.environ['TMPDIR'] = saved
        tempfile.tempdir = None
    # multiprocessing's resource tracker (started by Dask's spawned workers) belongs to this
    # interpreter and ends with it; anything else still running was left by a test.
    children = [p for p in psutil.Process().children(recursive=True) if not _resource_tracker(p)]
    _, alive = psutil.wait_procs(children, timeout=15)
    described = []
    for process in alive:  # report, then clean up so the machine is usable
        try:
            described.append(' '.join(process.cmdline()[:4]))
            process.kill()
        except psutil.NoSuchProcess:
            pass
    left = sorted(p.name for p in session_tmp.iterdir() if p.name.startswith(LEFTOVER_PREFIXES))
    shutil.rmtree(session_tmp, ignore_errors=True)
    assert not described and not left, f'left behind: processes {described}, temp folders {left}'
