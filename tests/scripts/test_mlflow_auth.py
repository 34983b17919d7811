"""MLflow behind authentication where it is a server: ``scripts/mlflow_server.sh`` (and through it
``scripts/mlflow_auth_server.sh``, docker-compose's mlflow command) run as a person runs it, on
127.0.0.1. Without the password nobody reads or writes the registry (401), with a wrong one
neither, nor with MLflow's old default admin login; the credentials generated the first time are
the user's alone; a client with them registers a model and moves ``champion``; ``connect()``
names the server and the user when it is refused, never the password. The REST calls go through
``requests`` (not MLflow's client), so what the server answers is read independently.

Why it is this long: every refusal (no password, a wrong one, the old default) and every grant is a
REST call read independently of MLflow's client, against one server started once.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, Optional, Tuple

import pytest
import requests

from testkit.commands import run_command
from testkit.servers import REPO_ROOT, ServerProcess, free_port, mlflow_server_bin

pytestmark = pytest.mark.slow

SCRIPT = REPO_ROOT / 'scripts' / 'mlflow_server.sh'
AUTH_SERVER = REPO_ROOT / 'scripts' / 'mlflow_auth_server.sh'
CREDENTIAL_VARIABLES = ('MLFLOW_TRACKING_USERNAME', 'MLFLOW_TRACKING_PASSWORD', 'MLFLOW_TRACKING_TOKEN')
# The admin login older MLflow versions shipped in basic_auth.ini (GHSA-gq3w-7jj3-x7gr), and the
# obvious guess.
MLFLOW_DEFAULT_LOGINS = (('admin', 'password1234'), ('admin', 'password'))
API = '/api/2.0/mlflow'


def server_env(**extra: str) -> Dict[str, str]:
    """This environment without MLflow credentials (the test decides them), plus ``extra``."""
    return {**{k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARIABLES}, **extra}


def read_settings(path: Path) -> Dict[str, str]:
    return dict(re.findall(r'^([A-Z_]+)=(.*)$', path.read_text(), re.M))


@dataclass
class Served:
    url: str
    data: Path
    log: Path

    @property
    def credentials_file(self) -> Path:
        return self.data / 'mlflow' / 'credentials'

    @property
    def login(self) -> Tuple[str, str]:
        settings = read_settings(self.credentials_file)
        return settings['MLFLOW_TRACKING_USERNAME'], settings['MLFLOW_TRACKING_PASSWORD']

    def call(self, method: str, path: str, auth: Optional[Tuple[str, str]] = None, **kwargs) -> requests.Response:
        return requests.request(method, f'{self.url}{path}', auth=auth, timeout=60, **kwargs)


def start(data: Path, log: Path, **env: str) -> ServerProcess:
    port = free_port()
    server = ServerProcess(
        ['bash', str(SCRIPT), '--workers', '1'],
        f'http://127.0.0.1:{port}/health',  # the one route MLflow leaves open
        log,
        env=server_env(MLOPS_DATA_DIR=str(data), MLFLOW_PORT=str(port), **env),
        inherit_env=False,
    )
    server.url = f'http://127.0.0.1:{port}'
    return server


@pytest.fixture(scope='module')
def served(tmp_path_factory) -> Iterator[Served]:
    """The script with no credentials in the environment: it generates them."""
    root = tmp_path_factory.mktemp('mlflow-auth')
    with start(root / 'data', root / 'mlflow.log') as server:
        yield Served(server.url, root / 'data', root / 'mlflow.log')


@pytest.fixture
def signed_in(served, monkeypatch) -> Served:
    """This process's MLflow client signed in with the generated credentials."""
    user, password = served.login
    monkeypatch.setenv('MLFLOW_TRACKING_USERNAME', user)
    monkeypatch.setenv('MLFLOW_TRACKING_PASSWORD', password)
    return served


def test_the_generated_credentials_are_the_users_alone_and_named_not_printed(served):
    mode = stat.S_IMODE(served.credentials_file.stat().st_mode)
    assert mode == 0o600, oct(mode)
    user, password = served.login
    assert user == 'mlops' and re.fullmatch(r'[0-9a-f]{36}', password), user
    log = served.log.read_text()
    assert f'password in {served.credentials_file}' in log
    assert password not in log
    assert stat.S_IMODE((served.data / 'mlflow' / 'auth').stat().st_mode) == 0o700  # the users' hashes


@pytest.mark.parametrize('login', [None, ('mlops', 'not-the-password-0'), *MLFLOW_DEFAULT_LOGINS], ids=str)
def test_without_the_password_nothing_is_read_or_written(served, login):
    reads = [
        ('GET', f'{API}/registered-models/search'),
        ('GET', f'{API}/registered-models/alias?name=nyc-taxi-duration&alias=champion'),
        ('POST', f'{API}/experiments/search'),
        ('GET', '/api/2.0/mlflow-artifacts/artifacts'),
        ('GET', '/ajax-api/2.0/mlflow/registered-models/search'),
    ]
    writes = [
        ('POST', f'{API}/registered-models/create', {'name': 'intruder'}),
        ('POST', f'{API}/registered-models/alias', {'name': 'nyc-taxi-duration', 'alias': 'champion', 'version': '1'}),
        ('POST', f'{API}/experiments/create', {'name': 'intruder'}),
    ]
    for method, path in reads:
        answer = served.call(method, path, auth=login, json={} if method == 'POST' else None)
        assert answer.status_code == 401, (method, path, answer.status_code, answer.text[:300])
    for method, path, body in writes:
        answer = served.call(method, path, auth=login, json=body)
        assert answer.status_code == 401, (method, path, answer.status_code, answer.text[:300])
    # and nothing was written
    known = served.call('GET', f'{API}/registered-models/search', auth=served.login)
    assert known.status_code == 200 and 'intruder' not in known.text


def test_the_admin_registers_a_model_and_moves_champion(signed_in):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(signed_in.url)  # MLflow's client: the credentials from the environment
    experiment = client.create_experiment('auth-check')
    run = client.create_run(experiment)
    client.log_text(run.info.run_id, 'a model', 'model/MLmodel')  # through the proxied artifact store
    client.create_registered_model('auth-model')
    version = client.create_model_version('auth-model', f'{run.info.artifact_uri}/model', run.info.run_id)
    client.set_registered_model_alias('auth-model', 'champion', version.version)
    # read back over plain HTTP with the same login
    answer = signed_in.call(
        'GET', f'{API}/registered-models/alias?name=auth-model&alias=champion', auth=signed_in.login
    )
    assert answer.status_code == 200 and answer.json()['model_version']['version'] == str(version.version)
    anonymous = signed_in.call('GET', f'{API}/registered-models/alias?name=auth-model&alias=champion')
    assert anonymous.status_code == 401
    artifact = f'/api/2.0/mlflow-artifacts/artifacts/{experiment}/{run.info.run_id}/artifacts/model/MLmodel'
    assert signed_in.call('GET', artifact).status_code == 401
    assert signed_in.call('GET', artifact, auth=signed_in.login).text == 'a model'


def test_connect_names_the_server_and_the_user_when_refused_never_the_password(served, monkeypatch, tmp_path):
    import mlflow

    from mlops.utils.tracking.mlflow_setup import TrackingError, connect

    user, password = served.login
    monkeypatch.setenv('MLOPS_DATA_DIR', str(tmp_path))  # connect()'s lock file
    monkeypatch.setenv('MLFLOW_TRACKING_URI', served.url)
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    try:
        with pytest.raises(TrackingError) as none:
            connect()
        assert str(none.value).startswith(f'MLflow tracking at {served.url} asks for a login (HTTP 401)')
        assert 'MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD' in str(none.value)

        monkeypatch.setenv('MLFLOW_TRACKING_USERNAME', user)
        monkeypatch.setenv('MLFLOW_TRACKING_PASSWORD', 'not-the-password-1')
        with pytest.raises(TrackingError) as wrong:
            connect()
        assert str(wrong.value).startswith(f"MLflow tracking at {served.url} refused user '{user}' (HTTP 401)")
        assert 'not-the-password-1' not in str(wrong.value)

        monkeypatch.delenv('MLFLOW_TRACKING_PASSWORD')  # a login in the URI instead: shown masked
        in_uri = served.url.replace('http://', f'http://{user}:not-the-password-2@')
        monkeypatch.setenv('MLFLOW_TRACKING_URI', in_uri)
        with pytest.raises(TrackingError) as wrong_in_uri:
            connect()
        masked = served.url.replace('http://', f'http://{user}:***@')
        assert str(wrong_in_uri.value).startswith(f"MLflow tracking at {masked} refused user '{user}' (HTTP 401)")
        assert 'not-the-password-2' not in str(wrong_in_uri.value)

        monkeypatch.setenv('MLFLOW_TRACKING_URI', served.url)
        monkeypatch.setenv('MLFLOW_TRACKING_PASSWORD', password)
        experiment_id = connect()  # the experiment, created
        assert served.call('GET', f'{API}/experiments/get?experiment_id={experiment_id}', auth=(user, password)).ok

        # a user the admin added has no permission until granted (default_permission NO_PERMISSIONS)
        created = served.call(
            'POST',
            f'{API}/users/create',
            auth=(user, password),
            json={'username': 'viewer', 'password': 'viewer-pass-12'},
        )
        assert created.status_code == 200, created.text
        monkeypatch.setenv('MLFLOW_TRACKING_USERNAME', 'viewer')
        monkeypatch.setenv('MLFLOW_TRACKING_PASSWORD', 'viewer-pass-12')
        with pytest.raises(TrackingError) as forbidden:
            connect()
        assert str(forbidden.value).startswith(f"MLflow tracking at {served.url} does not allow user 'viewer'")
        assert '(HTTP 403)' in str(forbidden.value) and 'viewer-pass-12' not in str(forbidden.value)
    finally:
        mlflow.set_tracking_uri(None)  # MLflow's global; the variable goes back with monkeypatch


def auth_server(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """scripts/mlflow_auth_server.sh as the compose service runs it, with ``env``; it must stop
    before serving (the port it would take stays closed: a server that started fails the test)."""
    port = free_port()
    return run_command(
        [
            'bash',
            str(AUTH_SERVER),
            '--host',
            '127.0.0.1',
            '--port',
            str(port),
            '--workers',
            '1',
            '--backend-store-uri',
            f'sqlite:///{tmp_path}/mlflow.db',
        ],
        env=server_env(MLFLOW_SERVER_BIN=mlflow_server_bin(), MLOPS_MLFLOW_AUTH_DIR=str(tmp_path / 'auth'), **env),
        timeout=120,
    )


@pytest.mark.parametrize(
    'password, says',
    [
        (None, 'MLFLOW_TRACKING_PASSWORD is not set: the MLflow server runs behind basic authentication'),
        ('', 'MLFLOW_TRACKING_PASSWORD is not set: the MLflow server runs behind basic authentication'),
        ('short-pw', 'Password must be at least 12 characters'),
        ('password1234', 'insecure default password'),
    ],
)
def test_the_server_refuses_to_start_without_a_usable_password(tmp_path, password, says):
    env = {'MLFLOW_TRACKING_USERNAME': 'admin'}
    if password is not None:
        env['MLFLOW_TRACKING_PASSWORD'] = password
    result = auth_server(tmp_path, **env)
    assert result.returncode == 2, result.stderr[-2000:]
    assert says in result.stderr, result.stderr[-2000:]
    assert 'Uvicorn running' not in result.stderr


def test_a_start_with_another_password_replaces_the_old_one(tmp_path):
    """The environment is the source of truth: the admin's password is the one the server was
    started with, whatever an earlier start set. Given in the environment, no file is written."""
    data = tmp_path / 'data'
    first, second = 'first-password-123', 'second-password-45'
    with start(data, tmp_path / 'first.log', MLFLOW_TRACKING_PASSWORD=first, MLFLOW_TRACKING_USERNAME='owner') as one:
        assert requests.get(f'{one.url}{API}/registered-models/search', auth=('owner', first), timeout=60).ok
    assert not (data / 'mlflow' / 'credentials').exists()
    with start(data, tmp_path / 'second.log', MLFLOW_TRACKING_PASSWORD=second, MLFLOW_TRACKING_USERNAME='owner') as two:
        search = f'{two.url}{API}/registered-models/search'
        assert requests.get(search, auth=('owner', first), timeout=60).status_code == 401
        assert requests.get(search, auth=('owner', second), timeout=60).ok
    assert "admin user 'owner': its password set to MLFLOW_TRACKING_PASSWORD" in (tmp_path / 'second.log').read_text()
