"""The Docker path for real: both images built from the repository's Dockerfiles and the stack
brought up through ``./scripts/start.sh`` in Docker mode, as a Codespaces user does, with
``docker`` and docker-compose v1 talking to podman (tests/containers/podman.py; base images that
cannot be pulled are stood in for: tests/containers/standins.py).

It runs on a copy of the checkout as a fresh clone has it (git's files; its folder's name is the
compose project's, so volumes and network are the test's own), with the shared months linked
into its ``data/`` (the container sees only the checkout). start.sh writes ``.env`` there with
fresh passwords; the test signs in with them. A training run inside the Mage container (the
runner, as ``docker compose exec mage python -m mlops.utils.orchestration`` runs it) registers a
champion in the MLflow server; start.sh then starts the model-server service, which must answer
what the champion answers in this process. Ports 5432, 5000, 6789 and 5001 on 127.0.0.1 must be
free (the compose file publishes them). Everything is removed at the end (``down -v``).
MLOPS_PODMAN_NICE=19 runs the engine, its builds and containers at low CPU and I/O priority.

Measured here (2 cores, nice 19 beside another test run, load 7-8): from an empty cache, base
images 164 s (debootstrap and both stand-ins), start.sh building both images and starting to all
healthy 398 s; down and start.sh again on cached images to healthy 72-120 s; the data
preparation run 34 s. Alone on an idle machine, images cached: start.sh (rebuilding the checkout's
layer) to healthy 64 s, the data preparation run 37 s, the training run 104 s, the model server to
healthy 21 s, down and up to healthy 46 s; the file 308 s.

Why it is this long: one stack is built and brought up once (minutes of image builds), and every
test of the Docker path runs against it; in several files each would build it again.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Dict, Iterator, List

import numpy as np
import pytest
import requests

from testkit import chain
from testkit.chain import REPO_ROOT
from testkit.commands import run_command, run_ok
from tests.containers.podman import EngineUnavailable, Podman, check_usable
from tests.containers.standins import ensure_base_images
from tests.linters import _tool_dir

pytestmark = pytest.mark.slow

# Started in this order by docker-compose.yml's `depends_on: condition: service_healthy`.
SERVICES = ('postgres', 'mlflow', 'mage')
PORTS = {'postgres': 5432, 'mlflow': 5000, 'mage': 6789, 'model-server': 5001}
MODEL = 'nyc-taxi-duration'  # .env.example's MLOPS_REGISTERED_MODEL
# The training run: two months, one quick scikit-learn family (the check is the container path,
# not model quality).
TRAINING = {
    'start_month': '2023-01',
    'end_month': '2023-02',
    'split_on_feature_value': '2023-02-01',
    'models': 'linear_model.LinearRegression',
    'max_evaluations': '1',
}
# The champion in this process, from the MLflow server as any client loads it (a child process:
# MLflow's tracking URI is process-wide state).
PREDICT_IN_PROCESS = """
import json, sys
import mlflow
import pandas as pd
model = mlflow.pyfunc.load_model(sys.argv[1])
print(json.dumps([float(x) for x in model.predict(pd.DataFrame(json.load(sys.stdin)))]))
"""
HEALTHY_WITHIN = 900.0  # seconds: a bound for a loaded machine, not a speed claim


@dataclass
class Stack:
    engine: Podman
    root: Path
    env: Dict[str, str]
    timings: Dict[str, float] = field(default_factory=dict)
    run_id: int = 0
    champion: str = ''  # the version the training run registered

    @property
    def project(self) -> str:
        return re.sub(r'[^a-z0-9]', '', self.root.name.lower())

    def settings(self) -> Dict[str, str]:
        """.env as start.sh wrote it."""
        return dict(re.findall(r'^([A-Z][A-Z0-9_]*)=(.*)$', (self.root / '.env').read_text(), re.M))

    def mlflow_login(self) -> Dict[str, str]:
        """The MLflow server's credentials from .env, as MLflow's client reads them."""
        settings = self.settings()
        return {name: settings[name] for name in ('MLFLOW_TRACKING_USERNAME', 'MLFLOW_TRACKING_PASSWORD')}

    def start(self, *services: str) -> subprocess.CompletedProcess:
        """./scripts/start.sh -d with the services (compose's three by default), in Docker mode."""
        return run_command(
            ['./scripts/start.sh', '-d', *(services or SERVICES)], cwd=self.root, env=self.env, timeout=3600
        )

    def compose(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return run_command(['docker-compose', *args], cwd=self.root, env=self.env, timeout=timeout)

    def container(self, service: str) -> dict:
        inspected = self.engine.run('inspect', f'{self.project}_{service}_1', check=False)
        return json.loads(inspected.stdout)[0] if inspected.returncode == 0 else {}

    def wait_healthy(self, services=SERVICES, timeout: float = HEALTHY_WITHIN) -> None:
        deadline = time.monotonic() + timeout
        while True:
            states = {name: self.container(name).get('State', {}) for name in services}
            health = {name: (state.get('Health') or {}).get('Status') for name, state in states.items()}
            if all(status == 'healthy' for status in health.values()):
                return
            if time.monotonic() > deadline:
                logs = {
                    name: self.engine.run('logs', '--tail', '30', f'{self.project}_{name}_1', check=False)
                    for name in services
                }
                details = '\n'.join(f'--- {name}: {r.stdout[-1500:]}{r.stderr[-1500:]}' for name, r in logs.items())
                raise AssertionError(f'not healthy after {timeout:.0f} s: {health}\n{details}')
            time.sleep(2)

    def containers(self) -> List[str]:
        """Every container of the project, running or not."""
        listed = self.engine.run(
            'ps', '-a', '--format', '{{.Names}}', '--filter', f'label=com.docker.compose.project={self.project}'
        )
        return listed.stdout.split()


def _seconds(rfc3339: str) -> float:
    """A time podman reports (nanoseconds, Z or an offset) as a Unix time."""
    match = re.fullmatch(r'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)', rfc3339)
    assert match, rfc3339
    whole = datetime.fromisoformat(match[1] + ('+00:00' if match[3] == 'Z' else match[3]))
    return whole.timestamp() + float(f'0.{match[2] or 0}')


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(('127.0.0.1', port))
        except OSError:
            return False
    return True


def _copy_checkout(destination: Path, shared_data: Path) -> None:
    """git's files of this checkout (what a clone has), and the shared months in data/."""
    files = run_ok(['git', 'ls-files', '-z'], cwd=REPO_ROOT, timeout=600).stdout
    for name in filter(None, files.split('\0')):
        source = REPO_ROOT / name
        if source.is_file():  # a file deleted in the work tree but not in git's index is skipped
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)
    for month in (shared_data / 'taxi').rglob('*.parquet'):
        target = destination / 'data' / month.relative_to(shared_data)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(month, target)
        except OSError:  # another file system
            shutil.copy2(month, target)


@pytest.fixture(scope='module')
def engine() -> Iterator[Podman]:
    try:
        check_usable()
    except EngineUnavailable as error:
        pytest.fail(str(error))  # never a silent skip
    compose = _tool_dir('MLOPS_COMPOSE_VENV', '.venv-compose') / 'bin' / 'docker-compose'
    with Podman(compose=compose, nice=int(os.environ.get('MLOPS_PODMAN_NICE') or 0)) as podman:
        yield podman


@pytest.fixture(scope='module')
def stack(engine, tmp_path_factory, shared_data) -> Iterator[Stack]:
    busy = [f'{name} ({port})' for name, port in PORTS.items() if not _port_free(port)]
    if busy:
        pytest.fail(f'docker-compose.yml publishes these ports on 127.0.0.1, and they are taken: {", ".join(busy)}')
    timings: Dict[str, float] = {}
    started = time.monotonic()
    bases = ensure_base_images(engine, log=print)
    timings['base images'] = time.monotonic() - started
    print(f'base images: {bases}')
    root = tmp_path_factory.mktemp('stack') / f'mlopscheck{secrets.token_hex(3)}'
    _copy_checkout(root, shared_data)
    env = engine.environ({**os.environ, 'MLOPS_START_MODE': 'docker', 'MLOPS_DATA_SOURCE': 'data'})
    for variable in (
        'POSTGRES_PASSWORD',
        'DEFAULT_OWNER_PASSWORD',
        'MLFLOW_TRACKING_USERNAME',
        'MLFLOW_TRACKING_PASSWORD',
        'MLOPS_UI_PROJECT',
    ):
        env.pop(variable, None)  # the values come from the .env start.sh writes
    built = Stack(engine, root, env, timings)
    try:
        yield built
    finally:
        down = built.compose('down', '-v', '--remove-orphans')
        print(f'down -v: {down.returncode} {down.stderr[-500:]}')
        for name in built.containers():  # whatever compose did not remove
            engine.run('rm', '-f', '-v', name, check=False)
        print('timings (s): ' + ', '.join(f'{key} {value:.1f}' for key, value in timings.items()))


def test_start_sh_builds_both_images_and_every_service_turns_healthy_in_order(stack):
    since, started = time.time(), time.monotonic()
    result = stack.start()
    stack.timings['start.sh (build + up -d)'] = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'created .env from .env.example with fresh passwords' in result.stderr
    for image in ('mlops-mage:local', 'mlops-mlflow:local'):
        assert stack.engine.run('image', 'exists', image, check=False).returncode == 0, image
    stack.wait_healthy()
    stack.timings['start.sh to healthy'] = time.monotonic() - started
    containers = {service: stack.container(service) for service in SERVICES}
    started_at = {service: _seconds(c['State']['StartedAt']) for service, c in containers.items()}
    healthy_at = {service: stack.engine.health_checks.healthy_since[c['Id']] for service, c in containers.items()}
    print('healthy after start.sh began (s): ' + ', '.join(f'{s} {healthy_at[s] - since:.1f}' for s in SERVICES))
    assert healthy_at['postgres'] <= started_at['mlflow'], (healthy_at, started_at)
    assert healthy_at['mlflow'] <= started_at['mage'], (healthy_at, started_at)
    settings = stack.settings()
    assert stack.container('mage')['Config']['User'] == f'{settings["MLOPS_UID"]}:{settings["MLOPS_GID"]}'


def test_the_ui_signs_in_with_the_password_start_sh_wrote(stack):
    from mlops.utils.triggering.mage_api import MageApiError, MageClient

    assert requests.get('http://127.0.0.1:6789/api/status', timeout=30).status_code == 200
    settings = stack.settings()
    owner = MageClient(
        'http://127.0.0.1:6789',
        email=settings['DEFAULT_OWNER_EMAIL'],
        password=settings['DEFAULT_OWNER_PASSWORD'],
        timeout=120,
    )
    assert 'data_preparation' in {p['uuid'] for p in owner.get('/api/pipelines')['pipelines']}
    with pytest.raises(MageApiError):
        MageClient(
            'http://127.0.0.1:6789', email=settings['DEFAULT_OWNER_EMAIL'], password='admin', timeout=60
        ).sign_in()


def _mlflow_call(method: str, path: str, **kwargs) -> requests.Response:
    """One call of the MLflow server's REST API as a browser on the host makes it (the Host
    header docker-compose.yml's --allowed-hosts names)."""
    return requests.request(
        method, f'http://127.0.0.1:5000/api/2.0/mlflow/{path}', headers={'Host': 'localhost:5000'}, timeout=60, **kwargs
    )


def _mlflow(stack: Stack, method: str, path: str, **kwargs) -> dict:
    """The same, signed in with the credentials start.sh wrote into .env."""
    login = stack.mlflow_login()
    answer = _mlflow_call(
        method, path, auth=(login['MLFLOW_TRACKING_USERNAME'], login['MLFLOW_TRACKING_PASSWORD']), **kwargs
    )
    assert answer.status_code == 200, f'{method} {path}: {answer.status_code} {answer.text[:2000]}'
    return answer.json()


def test_the_mlflow_server_answers_only_its_user_and_keeps_an_experiment_in_postgresql(stack):
    assert requests.get('http://127.0.0.1:5000/health', timeout=30).text == 'OK'
    password = stack.mlflow_login()['MLFLOW_TRACKING_PASSWORD']
    assert len(password) >= 12  # start.sh wrote a fresh one into .env (.env.example has none)
    anonymous_write = _mlflow_call('POST', 'registered-models/create', json={'name': 'intruder'})
    assert anonymous_write.status_code == 401, anonymous_write.text[:300]
    anonymous_read = _mlflow_call('GET', 'registered-models/search')
    assert anonymous_read.status_code == 401, anonymous_read.text[:300]
    _mlflow(stack, 'POST', 'experiments/create', json={'name': 'container-check'})
    assert 'intruder' not in json.dumps(_mlflow(stack, 'GET', 'registered-models/search'))


def _run_status(stack: Stack, run_id: int) -> str:
    import psycopg2

    settings = stack.settings()
    connection = psycopg2.connect(
        host='127.0.0.1',
        port=5432,
        user=settings['POSTGRES_USER'],
        password=settings['POSTGRES_PASSWORD'],
        dbname='mage',
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute('SELECT status FROM pipeline_run WHERE id = %s', (run_id,))
            row = cursor.fetchone()
    finally:
        connection.close()
    return row[0] if row else ''


def _owner(stack: Stack):
    from mlops.utils.triggering.mage_api import MageClient

    settings = stack.settings()
    return MageClient(
        'http://127.0.0.1:6789',
        email=settings['DEFAULT_OWNER_EMAIL'],
        password=settings['DEFAULT_OWNER_PASSWORD'],
        timeout=120,
    )


def test_a_data_preparation_run_completes_and_is_recorded_in_postgresql(stack):
    client = _owner(stack)
    client.post(
        '/api/pipelines/data_preparation/pipeline_schedules',
        {'pipeline_schedule': {'name': 'container-check', 'schedule_type': 'api', 'status': 'active'}},
    )
    trigger = client.api_trigger('data_preparation', 'container-check', wait=60)
    started = time.monotonic()
    run_id = client.start_run(
        trigger, {'start_month': '2023-01', 'end_month': '2023-02', 'split_on_feature_value': '2023-02-01'}
    )
    run = client.wait(run_id, timeout=900, interval=2)
    stack.timings['data preparation run'] = time.monotonic() - started
    assert run['status'] == 'completed', client.run_errors('data_preparation', run_id)
    assert _run_status(stack, run_id) == 'COMPLETED'
    stack.run_id = run_id


def _trips(shared_data: Path, rows: int = 50) -> List[dict]:
    """Raw trips of the validation month, as a client sends them."""
    import pandas as pd

    month = pd.read_parquet(shared_data / 'taxi' / 'green' / '2023' / '02.parquet')
    trips = month[['PULocationID', 'DOLocationID', 'trip_distance']].sample(rows, random_state=0)
    return trips.to_dict(orient='records')


def _in_process(stack: Stack, model_uri: str, trips: List[dict]) -> List[float]:
    result = run_ok(
        [sys.executable, '-c', PREDICT_IN_PROCESS, model_uri],
        input=json.dumps(trips),
        env={**os.environ, 'MLFLOW_TRACKING_URI': 'http://127.0.0.1:5000', **stack.mlflow_login()},
        timeout=600,
    )
    return json.loads(result.stdout.splitlines()[-1])


def _champion_version(stack: Stack) -> str:
    found = _mlflow(stack, 'GET', 'registered-models/alias', params={'name': MODEL, 'alias': 'champion'})
    return found['model_version']['version']


def test_a_training_run_in_the_mage_container_registers_a_champion_the_model_server_serves(stack, shared_data):
    started = time.monotonic()
    trained = stack.compose(
        'exec',
        '-T',
        'mage',
        'python',
        '-m',
        'mlops.utils.orchestration',
        '--pipelines',
        'prepare_training_set,sklearn_training',
        *chain.settings(TRAINING),  # the runner's --set arguments
        timeout=1800,
    )
    stack.timings['training run (prepare_training_set, sklearn_training)'] = time.monotonic() - started
    assert trained.returncode == 0, trained.stdout[-3000:] + trained.stderr[-3000:]
    summaries = [json.loads(line) for line in trained.stdout.splitlines() if line.startswith('{')]
    registered = [str(m['version']) for line in summaries for m in line.get('models', [])]
    stack.champion = _champion_version(stack)
    assert registered == [stack.champion], summaries  # the store was empty: its one version is champion

    started = time.monotonic()
    result = stack.start('model-server')
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    stack.wait_healthy(('model-server',))
    stack.timings['model server to healthy'] = time.monotonic() - started
    trips = _trips(shared_data)
    answer = requests.post(
        'http://127.0.0.1:5001/invocations',
        json={'dataframe_records': trips},
        timeout=120,
    )
    assert answer.status_code == 200, answer.text
    expected = _in_process(stack, f'models:/{MODEL}/{stack.champion}', trips)
    assert np.allclose(answer.json()['predictions'], expected, rtol=0, atol=1e-9)
    assert len(set(np.round(expected, 6))) > 1  # a fitted model, not a constant


def test_the_api_endpoint_answers_what_the_champion_answers_with_the_ui_on_unit_1(stack, shared_data):
    """``predict_api.sh --run`` against the stack's Mage (its UI on unit_1_data_preparation, as
    start.sh opens it), the scheduler ticking every second as compose sets it."""
    assert stack.champion, 'the training run did not register a champion'
    trips = _trips(shared_data, rows=3)
    settings = stack.settings()
    env = {
        **os.environ,
        'MAGE_URL': 'http://127.0.0.1:6789',
        'DEFAULT_OWNER_EMAIL': settings['DEFAULT_OWNER_EMAIL'],
        'DEFAULT_OWNER_PASSWORD': settings['DEFAULT_OWNER_PASSWORD'],
        'MLOPS_SESSION_FILE': str(stack.root / 'mage-sessions.json'),
    }
    seconds = []
    for _ in range(3):
        started = time.monotonic()
        ran = run_ok(
            ['bash', 'scripts/predict_api.sh', '--run', json.dumps({'inputs': trips})],
            cwd=REPO_ROOT,
            env=env,
            timeout=300,
        )
        seconds.append(time.monotonic() - started)
    stack.timings['predict_api.sh --run (3 trips), each'] = max(seconds)
    rows = json.loads(ran.stdout)
    assert {row['model_version'] for row in rows} == {stack.champion}
    expected = _in_process(stack, f'models:/{MODEL}/{stack.champion}', trips)
    assert np.allclose([row['predicted_minutes'] for row in rows], expected, rtol=1e-9, atol=0)


def test_down_and_up_keep_the_runs_the_experiments_and_the_champion(stack, shared_data):
    run_id = stack.run_id
    assert run_id, 'the data preparation run did not complete'
    down = stack.compose('down')
    assert down.returncode == 0, down.stderr[-2000:]
    assert stack.containers() == []
    started = time.monotonic()
    result = stack.start()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'created .env' not in result.stderr  # the same passwords: the volumes were made with them
    stack.wait_healthy()
    stack.timings['restart to healthy (cached images)'] = time.monotonic() - started
    assert _run_status(stack, run_id) == 'COMPLETED'
    assert _owner(stack).get(f'/api/pipeline_runs/{run_id}')['pipeline_run']['status'] == 'completed'
    _mlflow(stack, 'GET', 'experiments/get-by-name', params={'experiment_name': 'container-check'})
    assert stack.champion, 'the training run did not register a champion'
    assert _champion_version(stack) == stack.champion  # the registry, in PostgreSQL
    trips = _trips(shared_data, rows=5)  # the artifacts, in their volume: the model loads again
    assert len(_in_process(stack, f'models:/{MODEL}/{stack.champion}', trips)) == 5


def test_down_removes_everything(stack):
    down = stack.compose('down', '-v', '--remove-orphans')
    assert down.returncode == 0, down.stderr[-2000:]
    assert stack.containers() == []
    volumes = stack.engine.run('volume', 'ls', '--format', '{{.Name}}').stdout.split()
    assert not [name for name in volumes if name.startswith(f'{stack.project}_')], volumes
    assert all(_port_free(port) for port in PORTS.values())
