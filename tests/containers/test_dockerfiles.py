"""The Dockerfiles: pinned bases on the Python the virtualenv uses, installing exactly the
project's requirement files (by the scripts the local mode uses), linted by hadolint and checkov;
the build context as Docker computes it from .dockerignore (the Docker SDK's own rules)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

from testkit.chain import REPO_ROOT
from testkit.commands import run_ok
from tests.linters import checkov, hadolint

MAGE = REPO_ROOT / 'Dockerfile'
MLFLOW = REPO_ROOT / 'mlflow.Dockerfile'
# Each image: the requirement files it installs, and the setup script that installs them.
INSTALLS = {
    MAGE: ({'requirements.txt', 'constraints.txt'}, 'scripts/setup_venv.sh'),
    MLFLOW: ({'requirements-mlflow-server.txt'}, 'scripts/setup_mlflow_server.sh'),
}


def instructions(dockerfile: Path) -> List[Tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical, current = [], ''
    for line in dockerfile.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith('#')):
            continue
        current += line.rstrip('\\').strip() + ' '
        if not line.rstrip().endswith('\\'):
            logical.append(current.strip())
            current = ''
    return [tuple(instruction.split(None, 1)) for instruction in logical]


@pytest.mark.parametrize('dockerfile', [MAGE, MLFLOW], ids=lambda p: p.name)
def test_base_is_an_exact_python_tag_of_the_venv_minor_version(dockerfile):
    bases = [arguments for instruction, arguments in instructions(dockerfile) if instruction == 'FROM']
    assert len(bases) == 1
    match = re.fullmatch(r'python:(\d+)\.(\d+)\.(\d+)-slim-(\w+)', bases[0])
    assert match, f'{bases[0]}: not an exact python:X.Y.Z-slim-<debian> tag'
    assert (int(match[1]), int(match[2])) == sys.version_info[:2]  # the .venv running these tests
    assert 'digest' in dockerfile.read_text()  # why there is no digest pin is said


@pytest.mark.parametrize('dockerfile', [MAGE, MLFLOW], ids=lambda p: p.name)
def test_installs_exactly_its_requirement_files(dockerfile):
    files, script = INSTALLS[dockerfile]
    steps = instructions(dockerfile)
    runs = [arguments for instruction, arguments in steps if instruction == 'RUN']
    installing = [run for run in runs if script in run]
    assert installing == [f"bash -c 'set -euo pipefail; source {script}'"], runs  # runtime only (no --dev)
    assert not any(re.search(r'\bpip\d?\s+install|\buv\s+pip', run) for run in runs), runs
    install_at = [arguments for _, arguments in steps].index(installing[0])
    copied = [arguments.split()[:-1] for instruction, arguments in steps[:install_at] if instruction == 'COPY']
    hashed_only = {'requirements-dev.txt'} if dockerfile == MAGE else set()  # setup_venv.sh's record
    assert sorted(path for sources in copied for path in sources) == sorted(files | hashed_only | {script})
    # and what the script installs is exactly those files
    text = (REPO_ROOT / script).read_text()
    installed = set(re.findall(r'\$ROOT/([\w.-]+\.txt)', text))
    if dockerfile == MAGE:
        assert re.search(r'-c "\$ROOT/constraints\.txt"', text)
        installed -= {'requirements-dev.txt'}  # only with --dev, which the image does not pass
    assert installed == files


def test_the_mage_image_runs_from_the_virtualenv_the_scripts_find():
    text = MAGE.read_text()
    venv = re.search(r'MLOPS_VENV=(\S+)', text)[1]
    assert f'PATH={venv}/bin:$PATH' in text  # `python` in CMD, serve.sh's $VENV/bin/mlflow
    assert 'MLOPS_VENV' in (REPO_ROOT / 'scripts' / 'setup_venv.sh').read_text()


@pytest.mark.parametrize('dockerfile', [MAGE, MLFLOW], ids=lambda p: p.name)
def test_runs_as_a_non_root_user_with_a_health_check(dockerfile):
    steps = instructions(dockerfile)
    users = [arguments for instruction, arguments in steps if instruction == 'USER']
    assert users and users[-1].split(':')[0] not in ('root', '0')
    health = [arguments for instruction, arguments in steps if instruction == 'HEALTHCHECK']
    assert len(health) == 1 and 'urllib.request.urlopen(' in health[0]


@pytest.mark.parametrize('dockerfile', [MAGE, MLFLOW], ids=lambda p: p.name)
def test_hadolint_finds_nothing(dockerfile):
    result = hadolint(dockerfile, '--no-color')
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    # an ignored rule says why, in the comment right above it
    lines = dockerfile.read_text().splitlines()
    for number, line in enumerate(lines):
        if re.match(r'#\s*hadolint ignore=', line):
            assert lines[number - 1].startswith('#') and len(lines[number - 1]) > 20, line
    config = REPO_ROOT / '.hadolint.yaml'
    assert not config.exists() or '#' in config.read_text()


@pytest.mark.slow  # checkov takes about 10 s to start
def test_checkov_finds_nothing():
    result = checkov(
        '--framework',
        'dockerfile',
        '-f',
        str(MAGE),
        '-f',
        str(MLFLOW),
        '--output',
        'json',
        '--skip-download',
        '--quiet',
    )
    report = json.loads(result.stdout) if result.stdout.strip() else {}
    reports = report if isinstance(report, list) else [report]
    assert reports and all(r['check_type'] == 'dockerfile' for r in reports), (
        result.stdout[-2000:] + result.stderr[-2000:]
    )
    failed = [(c['check_id'], c['file_path']) for r in reports for c in r['results'].get('failed_checks', [])]
    assert not failed and result.returncode == 0, failed
    assert sum(r['summary']['passed'] for r in reports) > 50  # it did check both files
    for r in reports:  # a skipped check carries its reason
        for check in r['results'].get('skipped_checks', []):
            assert check.get('suppress_comment', '').strip(), check['check_id']


def build_context() -> List[str]:
    """What `docker build .` sends: the Docker SDK's .dockerignore rules (docker-compose v1's)."""
    from tests.linters import _tool_dir

    python = _tool_dir('MLOPS_COMPOSE_VENV', '.venv-compose') / 'bin' / 'python'
    code = (
        'import json, sys; from docker.utils.build import exclude_paths; '
        'patterns = [l.strip() for l in open(".dockerignore") if l.strip() and not l.startswith("#")]; '
        'print(json.dumps(sorted(exclude_paths(".", patterns, dockerfile="Dockerfile"))))'
    )
    result = run_ok([str(python), '-c', code], cwd=REPO_ROOT, timeout=120)
    return json.loads(result.stdout)


def test_build_context_leaves_out_environments_state_data_and_secrets():
    context = build_context()
    top = {path.split('/')[0] for path in context}
    assert not {name for name in top if name.startswith('.venv')}
    assert not top & {'.git', '.mage_data', '.lint-node', 'mlflow.db', 'data', '.env', '.gitconfig', '.pytest_cache'}
    assert not [path for path in context if path.endswith(('.parquet', '.db', '.pyc', '.tfstate'))]
    needed = {
        'requirements.txt',
        'constraints.txt',
        'requirements-mlflow-server.txt',
        'scripts/setup_venv.sh',
        'scripts/setup_mlflow_server.sh',
        'scripts/serve.sh',
        'mlops/settings.yaml',
        '.env.example',
    }
    assert needed <= set(context), needed - set(context)
