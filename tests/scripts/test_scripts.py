"""The scripts a person types, run as they are: ``run.sh`` (the main job's entry), ``mlflow_server.sh``
(the MLflow UI over the embedded store) and ``setup_venv.sh`` (which every script sources:
quiet when current, a clean reinstall when a requirements file changes)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from testkit.commands import run_command, run_ok
from testkit.servers import REPO_ROOT, ServerProcess, free_port
from tests.sources import months_folder

pytestmark = pytest.mark.slow


def user_env(root: Path, **extra: str) -> dict:
    """A shell's environment with the state under ``root`` (no PYTHONPATH, no tracking URI)."""
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'MLFLOW_TRACKING_URI')}
    return {**env, 'MAGE_DATA_DIR': str(root / 'mage'), 'MLOPS_DATA_DIR': str(root / 'data'), **extra}


def test_run_sh_rejects_a_misspelt_variable_then_runs_data_preparation(tmp_path, shared_data):
    run = [str(REPO_ROOT / 'scripts' / 'run.sh')]
    refused = run_command([*run, '--set', 'strat_month=2024-01'], cwd=tmp_path, env=user_env(tmp_path), timeout=600)
    assert refused.returncode == 2 and 'unknown pipeline variable(s) strat_month' in refused.stderr, refused.stderr
    source = months_folder(tmp_path / 'source', shared_data, ['2023-01', '2023-02'])
    ran = run_ok(
        [
            *run,
            '--pipelines',
            'data_preparation',
            '--source',
            str(source),
            '--set',
            'start_month=2023-01',
            '--set',
            'end_month=2023-02',
            '--set',
            'split_on_feature_value=2023-02-01',
        ],
        cwd=tmp_path,
        env=user_env(tmp_path),
        timeout=900,
    )
    [line] = [json.loads(t) for t in ran.stdout.splitlines() if t.startswith('{')]
    assert (line['project'], line['pipeline'], line['status']) == (
        'unit_1_data_preparation',
        'data_preparation',
        'completed',
    )
    assert (tmp_path / 'mage' / 'mlops' / 'mage-ai.db').is_file()  # the platform's one database


def test_mlflow_server_sh_serves_the_store_the_pipelines_write(tmp_path, monkeypatch):
    """A run logged through the server lands in the embedded store (the pipelines' default);
    one logged into the store directly is listed by the server. The client signs in with the
    credentials the script generated (tests/scripts/test_mlflow_auth.py: the login itself)."""
    from mlflow.tracking import MlflowClient

    from testkit.registered import embedded_store

    with embedded_store(tmp_path / 'data') as experiment_id:
        direct = MlflowClient().create_run(experiment_id).info.run_id
    port = free_port()
    credentials = {'MLFLOW_TRACKING_USERNAME', 'MLFLOW_TRACKING_PASSWORD'}
    with ServerProcess(
        ['bash', str(REPO_ROOT / 'scripts' / 'mlflow_server.sh'), '--workers', '1'],
        f'http://127.0.0.1:{port}/health',
        tmp_path / 'mlflow.log',
        env={
            **{k: v for k, v in os.environ.items() if k not in credentials},
            'MLOPS_DATA_DIR': str(tmp_path / 'data'),
            'MLFLOW_PORT': str(port),
        },
        inherit_env=False,
    ):
        for line in (tmp_path / 'data' / 'mlflow' / 'credentials').read_text().splitlines():
            name, _, value = line.partition('=')
            if name in credentials:
                monkeypatch.setenv(name, value)
        served = MlflowClient(f'http://127.0.0.1:{port}')
        assert served.get_run(direct).info.experiment_id == experiment_id
        through = served.create_run(experiment_id).info.run_id
        served.log_metric(through, 'rmse', 5.25)
    with embedded_store(tmp_path / 'data'):
        assert MlflowClient().get_run(through).data.metrics == {'rmse': 5.25}


def wheel(folder: Path, version: str) -> Path:
    """A minimal pure-Python wheel of ``demo_pkg`` (no index needed to install it)."""
    path = folder / f'demo_pkg-{version}-py3-none-any.whl'
    info = f'demo_pkg-{version}.dist-info'
    files = {
        'demo_pkg/__init__.py': f'VERSION = {version!r}\n',
        f'{info}/METADATA': f'Metadata-Version: 2.1\nName: demo-pkg\nVersion: {version}\n',
        f'{info}/WHEEL': 'Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
    }
    files[f'{info}/RECORD'] = ''.join(f'{name},,\n' for name in files) + f'{info}/RECORD,,\n'
    with zipfile.ZipFile(path, 'w') as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def test_setup_venv_is_quiet_when_current_and_reinstalls_cleanly_when_requirements_change(tmp_path):
    """The script itself, in a copy of the repo's scripts with requirements of one local wheel."""
    root = tmp_path / 'repo'
    (root / 'scripts').mkdir(parents=True)
    shutil.copy(REPO_ROOT / 'scripts' / 'setup_venv.sh', root / 'scripts')
    (root / 'constraints.txt').write_text('')
    (root / 'requirements-dev.txt').write_text('# nothing more for tests\n')
    first, second = wheel(tmp_path, '1.0'), wheel(tmp_path, '2.0')

    def source_it() -> subprocess.CompletedProcess:
        script = 'source scripts/setup_venv.sh && "$VENV_PYTHON" -c "import demo_pkg; print(demo_pkg.VERSION)"'
        return run_command(
            ['bash', '-c', script],
            cwd=root,
            timeout=600,
            env={k: v for k, v in os.environ.items() if k not in ('MLOPS_VENV', 'VIRTUAL_ENV')},
        )

    (root / 'requirements.txt').write_text(f'demo-pkg @ {first.as_uri()}\n')
    built = source_it()
    assert built.returncode == 0 and built.stdout.strip() == '1.0', built.stderr
    assert 'setting up virtualenv' in built.stderr
    (root / '.venv' / 'lib' / 'left-behind').write_text('from the old install')
    again = source_it()
    assert again.returncode == 0 and again.stdout.strip() == '1.0' and again.stderr == '', again.stderr
    (root / 'requirements.txt').write_text(f'demo-pkg @ {second.as_uri()}\n')
    changed = source_it()
    assert changed.returncode == 0 and changed.stdout.strip() == '2.0', changed.stderr
    assert 'setting up virtualenv' in changed.stderr
    assert not (root / '.venv' / 'lib' / 'left-behind').exists()  # rebuilt clean, not on top
