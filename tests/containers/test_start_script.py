"""./scripts/start.sh choosing between Docker (compose v2, compose v1) and the local mode, on a
copy of the repository's files. Stand-in `docker` and `docker-compose` executables record how
they are called; the system's own commands are on PATH without any real `docker`,
`docker-compose` or `podman`, which a machine may have in /usr/bin (podman-docker's `docker`
made the 'not installed' case fail)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Dict

import pytest
import yaml

from testkit.chain import REPO_ROOT
from testkit.commands import run_command
from tests.linters import compose_config

FILES = (
    'scripts/start.sh',
    'scripts/setup_venv.sh',
    'requirements.txt',
    'constraints.txt',
    'requirements-dev.txt',
    'mlops/settings.yaml',
    '.env.example',
    'docker-compose.yml',
)
RECORDER = '#!/usr/bin/env bash\necho "{name} $*" >> "$FAKE_LOG"\n'
# docker: `info` answers when an engine runs; `compose version` when compose v2 is installed.
DOCKER = RECORDER.format(name='docker') + (
    'case "$1 ${2:-}" in\n'
    '  "info "*) exit "${FAKE_ENGINE:-0}" ;;\n'
    '  "compose "*) exit "${FAKE_COMPOSE_V2:-0}" ;;\n'
    'esac\n'
)


@pytest.fixture
def repo(tmp_path) -> Path:
    """The files start.sh reads, copied (no .gitconfig, no .env)."""
    root = tmp_path / 'repo'
    for name in FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, root / name)
    return root


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def fake_bin(tmp_path) -> Path:
    bin_dir = tmp_path / 'bin'
    executable(bin_dir / 'docker', DOCKER)
    return bin_dir


CONTAINER_COMMANDS = re.compile(r'^(docker|podman)')


def system_commands(folder: Path) -> Path:
    """``folder`` with links to /usr/bin's and /bin's commands but the container engines' own."""
    if not folder.is_dir():
        folder.mkdir(parents=True)
        for directory in ('/usr/bin', '/bin'):
            for command in sorted(Path(directory).iterdir()):
                link = folder / command.name
                if not CONTAINER_COMMANDS.match(command.name) and not link.exists():
                    link.symlink_to(command)
    return folder


def start(repo: Path, bin_dir: Path, env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:
    log = repo.parent / 'calls.log'
    commands = system_commands(repo.parent / 'system-bin')
    environment = {'PATH': f'{bin_dir}:{commands}', 'HOME': str(repo.parent), 'FAKE_LOG': str(log), **env}
    result = run_command(
        ['bash', str(repo / 'scripts' / 'start.sh'), *args], cwd=repo.parent, env=environment, timeout=60
    )
    result.calls = log.read_text().splitlines() if log.exists() else []
    return result


def test_compose_v2_when_the_docker_plugin_answers(repo, fake_bin):
    result = start(repo, fake_bin, {}, '-d')
    assert result.returncode == 0, result.stderr
    assert result.calls[-1] == 'docker compose up --build -d', result.calls
    assert 'docker info' in result.calls  # auto mode asked for an engine first


def test_compose_v1_when_only_docker_compose_is_installed(repo, fake_bin):
    executable(fake_bin / 'docker-compose', RECORDER.format(name='docker-compose'))
    result = start(repo, fake_bin, {'FAKE_COMPOSE_V2': '1'})
    assert result.returncode == 0, result.stderr
    assert result.calls[-1] == 'docker-compose up --build', result.calls


def test_docker_mode_without_any_compose_says_so(repo, fake_bin):
    result = start(repo, fake_bin, {'FAKE_COMPOSE_V2': '1', 'MLOPS_START_MODE': 'docker'})
    assert result.returncode == 1
    assert "neither 'docker compose' nor 'docker-compose' is available" in result.stderr


def fake_venv(repo: Path) -> Path:
    """A virtualenv setup_venv.sh finds current (its record of what it installed matches), whose
    python records its arguments instead of starting Mage."""
    venv = repo.parent / 'venv'
    executable(venv / 'bin' / 'python', RECORDER.format(name='python'))
    digest = hashlib.sha256((repo / 'requirements.txt').read_bytes() + (repo / 'constraints.txt').read_bytes())
    (venv / '.runtime.sha256').write_text(digest.hexdigest() + '\n')
    return venv


@pytest.mark.parametrize('engine', ['not running', 'not installed'])
def test_local_mode_without_an_engine(repo, fake_bin, engine):
    if engine == 'not installed':
        (fake_bin / 'docker').unlink()
    venv = fake_venv(repo)
    result = start(repo, fake_bin, {'FAKE_ENGINE': '1', 'MLOPS_VENV': str(venv), 'MAGE_PORT': '7001'})
    assert result.returncode == 0, result.stderr
    assert result.calls[-1] == 'python -m mlops.utils.orchestration.mage_cli start mlops --host 127.0.0.1 --port 7001'
    assert not [call for call in result.calls if 'compose' in call]
    assert not (repo / '.env').exists()  # the local mode reads no .env


def test_gitconfig_is_created_when_missing_and_kept_otherwise(repo, fake_bin):
    assert start(repo, fake_bin, {}).returncode == 0
    assert (repo / '.gitconfig').is_file() and (repo / '.gitconfig').read_text() == ''
    (repo / '.gitconfig').write_text('[user]\n  name = someone\n')
    assert start(repo, fake_bin, {}).returncode == 0
    assert (repo / '.gitconfig').read_text() == '[user]\n  name = someone\n'


def settings(path: Path) -> Dict[str, str]:
    return dict(re.findall(r'^([A-Z][A-Z0-9_]*)=(.*)$', path.read_text(), re.M))


def test_docker_mode_writes_env_once_with_fresh_passwords_and_your_ids(repo, fake_bin):
    result = start(repo, fake_bin, {})
    assert result.returncode == 0, result.stderr
    env_file = repo / '.env'
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    example, written = settings(repo / '.env.example'), settings(env_file)
    assert set(written) == set(example)
    secrets = ('POSTGRES_PASSWORD', 'DEFAULT_OWNER_PASSWORD', 'MLFLOW_TRACKING_PASSWORD')
    passwords = [written[name] for name in secrets]
    assert all(re.fullmatch(r'[0-9a-f]{36}', p) for p in passwords) and len(set(passwords)) == len(secrets)
    assert (written['MLOPS_UID'], written['MLOPS_GID']) == (str(os.getuid()), str(os.getgid()))
    changed = {*secrets, 'MLOPS_UID', 'MLOPS_GID'}
    assert {k: v for k, v in written.items() if k not in changed} == {
        k: v for k, v in example.items() if k not in changed
    }
    # the comments are kept too
    assert [t for t in env_file.read_text().splitlines() if t.startswith('#')] == [
        t for t in (repo / '.env.example').read_text().splitlines() if t.startswith('#')
    ]
    before = env_file.read_text()
    assert start(repo, fake_bin, {}).returncode == 0
    assert env_file.read_text() == before  # never rewritten


def test_the_written_env_is_what_the_compose_file_needs(repo, fake_bin):
    assert start(repo, fake_bin, {}).returncode == 0
    written = settings(repo / '.env')
    # docker-compose reads .env beside the file; nothing of the same name may come from here
    clear: Dict[str, str] = {}
    for name in written:
        if name in os.environ:
            clear[name] = written[name]
    result = compose_config(repo / 'docker-compose.yml', clear)
    assert result.returncode == 0, result.stderr[-2000:]
    services = yaml.safe_load(result.stdout)['services']
    assert services['postgres']['environment']['POSTGRES_PASSWORD'] == written['POSTGRES_PASSWORD']
    assert services['mage']['environment']['DEFAULT_OWNER_PASSWORD'] == written['DEFAULT_OWNER_PASSWORD']
    assert services['mage']['user'] == f'{os.getuid()}:{os.getgid()}'


def test_docker_mode_opens_the_ui_on_the_chosen_project(repo, fake_bin):
    result = start(repo, fake_bin, {'MLOPS_UI_PROJECT': 'unit_4_triggering'})
    assert result.returncode == 0, result.stderr
    chosen = yaml.safe_load((repo / '.mage_data' / 'platform' / '.settings.yaml').read_text())
    assert chosen == {'projects': {'unit_4_triggering': {'active': True}}}
    result = start(repo, fake_bin, {'MLOPS_UI_PROJECT': 'unit_9'})
    assert result.returncode == 2 and 'MLOPS_UI_PROJECT=unit_9 is not a sub-project' in result.stderr
    assert result.calls[-1] == 'docker compose version'  # it stopped before `up`
