"""docker-compose.yml through docker-compose v1's own parser (`docker-compose config`: the compose
schema, variable substitution, no engine needed), checked on what it renders; .env.example
against the variables it and start.sh read; and the compose file's database and server settings
run for real (PostgreSQL, the MLflow server, Mage) with the health checks it declares.

Why it is this long: it checks the compose file twice, as rendered text and as running services
(PostgreSQL, the MLflow server, Mage with their health checks); the two share its fixtures.
"""

from __future__ import annotations

import re
import secrets
import shlex
import subprocess
import sys
import time
from typing import Dict

import pytest
import requests
import yaml

from testkit.chain import REPO_ROOT
from testkit.commands import run_command
from tests.linters import compose_config

COMPOSE = REPO_ROOT / 'docker-compose.yml'
ENV_EXAMPLE = REPO_ROOT / '.env.example'
START = REPO_ROOT / 'scripts' / 'start.sh'
SERVICES = {'postgres', 'mlflow', 'mage', 'model-server'}
# Secrets without a default: `docker compose` refuses to start without them, saying how to get one.
REFUSALS = {
    'POSTGRES_PASSWORD': 'set POSTGRES_PASSWORD in .env (./scripts/start.sh creates it from .env.example)',
    'DEFAULT_OWNER_PASSWORD': 'set DEFAULT_OWNER_PASSWORD in .env (./scripts/start.sh creates it from .env.example)',
    'MLFLOW_TRACKING_PASSWORD': (
        'set MLFLOW_TRACKING_PASSWORD in .env, 12 or more characters (openssl rand -hex 18 makes one)'
    ),
}
REQUIRED = tuple(REFUSALS)
SECRET_NAME = re.compile(r'PASSWORD|SECRET|TOKEN|_KEY\b')


def compose_variables() -> set:
    """Every ${VAR} the compose file reads from the environment ($${VAR} is the container's)."""
    return set(re.findall(r'(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)', COMPOSE.read_text()))


def env_example() -> Dict[str, str]:
    """The settings of .env.example (KEY=value lines)."""
    return dict(re.findall(r'^([A-Z][A-Z0-9_]*)=(.*)$', ENV_EXAMPLE.read_text(), re.M))


def config(values: Dict[str, str]) -> subprocess.CompletedProcess:
    """`docker-compose config` with exactly these variables (every variable the file reads is
    passed, empty when not given, so neither the caller's environment nor a local .env counts)."""
    return compose_config(COMPOSE, {name: values.get(name, '') for name in compose_variables()})


def render(values: Dict[str, str]) -> dict:
    result = config(values)
    assert result.returncode == 0, result.stderr[-2000:]
    return yaml.safe_load(result.stdout)


@pytest.fixture(scope='module')
def example_values() -> Dict[str, str]:
    """.env.example's values, with random passwords (to trace where each one ends up)."""
    values = env_example()
    values.update({name: f'pw-{secrets.token_hex(8)}' for name in REQUIRED})
    return values


@pytest.fixture(scope='module')
def rendered(example_values) -> dict:
    return render(example_values)


def test_env_example_documents_exactly_the_compose_variables():
    assert set(env_example()) == compose_variables()


def test_env_example_documents_what_start_sh_reads():
    text = ENV_EXAMPLE.read_text()
    documented = set(re.findall(r'^(?:# )?([A-Z][A-Z0-9_]*)=', text, re.M))
    read = set(re.findall(r'\$\{([A-Z][A-Z0-9_]*):?[-+]', START.read_text()))
    assert read and read <= documented, read - documented
    # every setting sits in a paragraph that explains it
    for paragraph in text.split('\n\n'):
        lines = paragraph.strip().splitlines()
        if any(re.match(r'[A-Z][A-Z0-9_]*=', line) for line in lines):
            assert any(line.startswith('#') for line in lines), paragraph


def test_env_example_holds_no_real_secret():
    for name, value in env_example().items():
        if SECRET_NAME.search(name):
            assert value == '', f'{name}={value}'  # start.sh writes a fresh one; no shared placeholder


def test_every_service_is_there_with_a_health_check(rendered):
    services = rendered['services']
    assert set(services) == SERVICES
    for name, service in services.items():
        assert service.get('healthcheck', {}).get('test'), f'{name} has no health check'
        assert service['restart'] == 'unless-stopped', name


def test_health_check_arguments_have_no_whitespace(rendered):
    """podman's Docker API splits a CMD health check's arguments at whitespace
    (containers/podman#26519): `python -c "import x; ..."` would run `python -c import`."""
    for name, service in rendered['services'].items():
        kind, *arguments = service['healthcheck']['test']
        if kind == 'CMD':
            assert not [argument for argument in arguments if re.search(r'\s', argument)], name


def test_start_order_waits_for_healthy_dependencies(rendered):
    services = rendered['services']
    needs = {name: service.get('depends_on', {}) for name, service in services.items()}
    assert {name: set(deps) for name, deps in needs.items()} == {
        'postgres': set(),
        'mlflow': {'postgres'},
        'mage': {'postgres', 'mlflow'},
        'model-server': {'mlflow'},
    }
    for name, deps in needs.items():
        for dependency, condition in deps.items():
            assert condition == {'condition': 'service_healthy'}, (name, dependency)
            assert services[dependency]['healthcheck']['test']


def test_ports_are_published_on_loopback_only(rendered):
    published = {name: service.get('ports', []) for name, service in rendered['services'].items()}
    assert all(published.values()), published
    for name, ports in published.items():
        for port in ports:
            host_ip = port['host_ip'] if isinstance(port, dict) else port.split(':')[0]
            assert host_ip == '127.0.0.1', (name, port)


def test_secrets_come_only_from_the_environment(example_values, rendered):
    # In the file: no secret-named setting has a value of its own or a default.
    for name, value in re.findall(r'^\s+([A-Z][A-Z0-9_]*):\s*(.+)$', COMPOSE.read_text(), re.M):
        if SECRET_NAME.search(name):
            assert re.fullmatch(r'(&[\w-]+ )?\$\{[A-Z_]+(:\?[^}]+|:-)?\}|\*[\w-]+', value), f'{name}: {value}'
            assert ':-}' in value or ':-' not in value, f'{name} has a default: {value}'
    # Rendered: each password is where its variable put it, and nowhere else (not in a
    # connection URL, not on a command line).
    for service_name, service in rendered['services'].items():
        environment = service.get('environment', {})
        for key, value in environment.items():
            for name in REQUIRED:
                if example_values[name] in str(value):
                    assert SECRET_NAME.search(key) and value == example_values[name], (service_name, key)
        elsewhere = yaml.safe_dump({k: v for k, v in service.items() if k != 'environment'})
        assert not any(example_values[name] in elsewhere for name in REQUIRED), service_name
    env = {name: rendered['services'][name]['environment'] for name in ('postgres', 'mlflow', 'mage')}
    assert env['postgres']['POSTGRES_PASSWORD'] == example_values['POSTGRES_PASSWORD']
    assert env['mlflow']['PGPASSWORD'] == env['mage']['PGPASSWORD'] == example_values['POSTGRES_PASSWORD']
    assert env['mage']['DEFAULT_OWNER_PASSWORD'] == example_values['DEFAULT_OWNER_PASSWORD']
    # The MLflow server's admin, and the clients that sign in as it (MLflow's client reads these).
    for name in ('mlflow', 'mage', 'model-server'):
        environment = rendered['services'][name]['environment']
        assert environment['MLFLOW_TRACKING_PASSWORD'] == example_values['MLFLOW_TRACKING_PASSWORD'], name
        assert environment['MLFLOW_TRACKING_USERNAME'] == example_values['MLFLOW_TRACKING_USERNAME'], name


@pytest.mark.parametrize('missing', REQUIRED)
def test_without_a_secret_compose_refuses_and_says_which(example_values, missing):
    result = config({**example_values, missing: ''})
    assert result.returncode != 0
    assert REFUSALS[missing] in result.stderr


def test_with_an_empty_environment_compose_refuses():
    result = config({})
    assert result.returncode != 0 and 'Missing mandatory value' in result.stderr
    assert re.search(r'set (POSTGRES|DEFAULT_OWNER|MLFLOW_TRACKING)_PASSWORD in \.env', result.stderr), result.stderr


def test_mlflow_runs_behind_its_basic_authentication(rendered):
    """The server's command is the auth wrapper (`mlflow server --app-name basic-auth`), from the
    image's copy of the repository's script; its users live in a named volume of their own."""
    mlflow = rendered['services']['mlflow']
    program = shlex.split(mlflow['command'])[0]
    assert program == '/opt/mlflow-setup/scripts/mlflow_auth_server.sh'
    assert (
        'COPY scripts/mlflow_auth_server.sh scripts/mlflow_auth_admin.py scripts/'
        in (REPO_ROOT / 'mlflow.Dockerfile').read_text()
    )
    assert '--app-name basic-auth' in (REPO_ROOT / 'scripts' / 'mlflow_auth_server.sh').read_text()
    volumes = {volume.split(':')[1]: volume.split(':')[0] for volume in mlflow['volumes']}
    assert volumes['/mlflow/auth'] in rendered['volumes']
    assert 'ENV MLOPS_MLFLOW_AUTH_DIR=/mlflow/auth' in (REPO_ROOT / 'mlflow.Dockerfile').read_text()


def test_mage_keeps_its_settings_with_authentication_on(example_values, rendered):
    mage = rendered['services']['mage']
    env = mage['environment']
    assert env['REQUIRE_USER_AUTHENTICATION'] == '1'
    assert env['DEFAULT_OWNER_EMAIL'] == example_values['DEFAULT_OWNER_EMAIL']
    assert env['MLFLOW_TRACKING_URI'] == 'http://mlflow:5000'
    assert env['MAGE_DATABASE_CONNECTION_URL'].startswith(
        f'postgresql+psycopg2://{example_values["POSTGRES_USER"]}@postgres:5432/'
    )
    assert env['MAGE_PRESENTERS_DIRECTORY'] == '/home/src/mlops/presenters'
    kept = {
        'MLOPS_DATA_SOURCE',
        'MAGE_PUBLIC_HOST',
        'SMTP_HOST',
        'SMTP_PORT',
        'SMTP_USER',
        'SMTP_PASSWORD',
        'SMTP_MAIL_FROM',
        'SMTP_TIMEOUT',
        'SMTP_TLS_VERIFY',
        'SMTP_CA_FILE',
        'ALERT_EMAILS',
        'ALERT_ON_SUCCESS',
        'MLOPS_REGISTERED_MODEL',
        'MLFLOW_EXPERIMENT_NAME',
    }
    assert kept <= set(env), kept - set(env)
    assert mage['user'] == f'{example_values["MLOPS_UID"]}:{example_values["MLOPS_GID"]}'
    mounts = {volume.rsplit(':', 2)[0]: volume.split(':')[1] for volume in mage['volumes']}
    assert mounts[str(REPO_ROOT)] == '/home/src'
    assert mounts[str(REPO_ROOT / '.gitconfig')] == '/home/mage/.gitconfig'


def test_the_images_are_built_from_the_repository_dockerfiles(rendered):
    services = rendered['services']
    assert services['mlflow']['build'] == {'context': str(REPO_ROOT), 'dockerfile': 'mlflow.Dockerfile'}
    for name in ('mage', 'model-server'):  # one image, built from Dockerfile
        assert services[name]['build'] == {'context': str(REPO_ROOT)}
        assert services[name]['image'] == 'mlops-mage:local'
    assert re.fullmatch(r'postgres:\d+\.\d+-\w+', services['postgres']['image'])


def test_mlflow_keeps_its_store_in_postgresql_and_a_volume(example_values, rendered):
    mlflow = rendered['services']['mlflow']
    assert (
        mlflow['environment']['MLFLOW_BACKEND_STORE_URI']
        == f'postgresql://{example_values["POSTGRES_USER"]}@postgres:5432/mlflow'
    )
    arguments = shlex.split(mlflow['command'])
    destination = arguments[arguments.index('--artifacts-destination') + 1]
    assert '--serve-artifacts' in arguments
    volumes = {volume.split(':')[1]: volume.split(':')[0] for volume in mlflow['volumes']}
    assert volumes[destination] in rendered['volumes']  # a named volume: it outlives the container
    assert (REPO_ROOT / 'scripts' / 'postgres' / 'init.sql').read_text().count('CREATE DATABASE mlflow')


def test_the_model_server_serves_the_champion_from_the_tracking_server(rendered):
    services = rendered['services']
    server = services['model-server']
    env = server['environment']
    assert server['command'] == 'scripts/serve.sh'
    assert env['MLFLOW_TRACKING_URI'] == 'http://mlflow:5000'
    assert env['MODEL_SERVER_HOST'] == '0.0.0.0'
    assert env['MLOPS_REGISTERED_MODEL'] == services['mage']['environment']['MLOPS_REGISTERED_MODEL']
    assert server['ports'][0].split(':')[2].split('/')[0] == env['MODEL_SERVER_PORT']
    assert f':{env["MODEL_SERVER_PORT"]}/ping' in ' '.join(server['healthcheck']['test'])
    for variable in ('MODEL_SERVER_HOST', 'MODEL_SERVER_PORT', 'MODEL_SERVER_WORKERS', 'MLFLOW_TRACKING_URI'):
        assert variable in (REPO_ROOT / 'scripts' / 'serve.sh').read_text()


def healthcheck(service: dict, port: int) -> subprocess.CompletedProcess:
    """The service's health-check command (python -c ...), pointed at a server on ``port``."""
    kind, *command = service['healthcheck']['test']
    assert kind == 'CMD' and command[:2] == ['python', '-c'], command
    code = re.sub(r'127\.0\.0\.1:\d+', f'127.0.0.1:{port}', command[2])
    return run_command([sys.executable, '-c', code], timeout=30)


def healthy(service: dict, port: int) -> bool:
    """As Docker judges it: unhealthy only after ``retries`` failed checks in a row (a busy
    server may miss one); here 5 s apart rather than the file's interval."""
    for _ in range(service['healthcheck']['retries']):
        if healthcheck(service, port).returncode == 0:
            return True
        time.sleep(5)
    return False


@pytest.mark.slow
def test_the_stack_runs_on_postgresql_as_the_compose_file_configures_it(tmp_path, postgres, rendered):
    """PostgreSQL reached as the services reach it (user in the URL, password in PGPASSWORD),
    the MLflow server with the compose file's command, Mage with its environment: each answers
    its own health check (MLflow's fails while it is down), MLflow writes to its store, and Mage
    has authentication on with the owner the environment names."""
    import psycopg2

    from mlops.utils.triggering.mage_api import MageApiError, MageClient, frontend_client_id
    from testkit.servers import ServerProcess, free_port, mage_server, mlflow_server_bin

    services = rendered['services']
    assert services['postgres']['environment']['POSTGRES_USER'] == postgres.user
    prefix = f'compose_{secrets.token_hex(4)}_'  # databases of this test's own on the session's server
    connection = psycopg2.connect(postgres.url('postgres'))
    connection.autocommit = True
    with connection.cursor() as cursor:
        for database in ('mage', 'mlflow'):
            cursor.execute(f'CREATE DATABASE {prefix}{database}')
    connection.close()

    def here(environment: dict) -> dict:
        """The service's environment with the database host `postgres` replaced by this server."""
        return {
            key: re.sub(r'@postgres:5432/(\w+)', rf'@127.0.0.1:{postgres.port}/{prefix}\1', str(value))
            for key, value in environment.items()
        }

    # PGPASSWORD comes from the rendered file: the example password; the server has its own.
    database_env = {'PGPASSWORD': postgres.password}
    port = free_port()
    arguments = shlex.split(services['mlflow']['command'])
    for option, value in (
        ('--port', str(port)),
        ('--host', '127.0.0.1'),
        ('--workers', '1'),
        ('--artifacts-destination', str(tmp_path / 'artifacts')),
    ):
        arguments[arguments.index(option) + 1] = value
    assert healthcheck(services['mlflow'], port).returncode != 0
    # The image's copy of the script is the repository's (mlflow.Dockerfile), run with the
    # server's virtualenv and its users in this test's folder.
    assert arguments[0] == '/opt/mlflow-setup/scripts/mlflow_auth_server.sh'
    mlflow_env = here(services['mlflow']['environment'])
    login = (mlflow_env['MLFLOW_TRACKING_USERNAME'], mlflow_env['MLFLOW_TRACKING_PASSWORD'])
    with ServerProcess(
        ['bash', str(REPO_ROOT / 'scripts' / 'mlflow_auth_server.sh'), *arguments[1:]],
        f'http://127.0.0.1:{port}/health',
        tmp_path / 'mlflow.log',
        env={
            **mlflow_env,
            **database_env,
            'MLFLOW_SERVER_BIN': mlflow_server_bin(),
            'MLOPS_MLFLOW_AUTH_DIR': str(tmp_path / 'auth'),
        },
    ):
        assert healthy(services['mlflow'], port)
        api = f'http://127.0.0.1:{port}/api/2.0/mlflow'
        host = {'Host': 'mlflow:5000'}
        # Anyone else on the network: no write, no read (401), the registry untouched.
        anonymous_write = requests.post(
            f'{api}/registered-models/create', json={'name': 'intruder'}, headers=host, timeout=60
        )
        assert anonymous_write.status_code == 401, anonymous_write.text[:300]
        anonymous_read = requests.get(f'{api}/registered-models/search', headers=host, timeout=60)
        assert anonymous_read.status_code == 401, anonymous_read.text[:300]
        # Mage and the model server, with the credentials the file gives them.
        created = requests.post(
            f'{api}/experiments/create', json={'name': 'compose-check'}, headers=host, auth=login, timeout=60
        )
        assert created.status_code == 200, created.text
        models = requests.get(f'{api}/registered-models/search', headers=host, auth=login, timeout=60)
        assert models.status_code == 200 and 'intruder' not in models.text, models.text[:300]

    mage_env = {**here(services['mage']['environment']), **database_env}
    mage_env = {
        key: value
        for key, value in mage_env.items()
        if key.startswith(('MAGE_DATABASE', 'PGPASSWORD', 'REQUIRE_USER', 'DEFAULT_OWNER'))
    }
    with mage_server(tmp_path, env=mage_env) as mage:
        url = f'http://127.0.0.1:{mage.port}'
        assert healthy(services['mage'], mage.port)
        owner = MageClient(
            url, email=mage_env['DEFAULT_OWNER_EMAIL'], password=mage_env['DEFAULT_OWNER_PASSWORD'], timeout=120
        )
        assert 'pipelines' in owner.get('/api/pipelines')
        with pytest.raises(MageApiError):
            MageClient(url, email=mage_env['DEFAULT_OWNER_EMAIL'], password='admin', timeout=120).sign_in()
        anonymous = requests.get(f'{url}/api/pipelines', headers={'X-API-KEY': frontend_client_id()}, timeout=120)
        assert anonymous.json().get('error'), anonymous.text[:300]
