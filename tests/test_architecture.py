"""The code's own rules, as pyproject.toml states them: the layers of the import contract
(blocks -> utils concerns -> model_code -> errors), checked by import-linter as `lint-imports`
runs it, and ruff's lint and format. Each check can fail: a copy of the code with one import
running back up is reported broken; an unused import and a badly formatted file are reported."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.chain import REPO_ROOT

RUFF = [sys.executable, '-m', 'ruff']
LINT_IMPORTS = [
    sys.executable,
    '-c',
    'import sys; from importlinter.cli import lint_imports_command; '
    'sys.argv[0] = "lint-imports"; sys.exit(lint_imports_command())',
]


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        LINT_IMPORTS,
        cwd=root,
        env={'PYTHONPATH': str(root), 'PATH': '/usr/bin:/bin'},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_layers_contract_is_kept():
    result = lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert 'Contracts: 1 kept, 0 broken.' in result.stdout


def test_an_import_running_back_up_breaks_it(tmp_path):
    shutil.copytree(
        REPO_ROOT / 'mlops',
        tmp_path / 'mlops',
        ignore=lambda folder, names: [
            n for n in names if not (n.endswith('.py') or (Path(folder) / n).is_dir()) or n == '__pycache__'
        ],
    )
    shutil.copy2(REPO_ROOT / 'pyproject.toml', tmp_path)
    strings = tmp_path / 'mlops' / 'utils' / 'model_code' / 'strings.py'
    strings.write_text(strings.read_text() + '\nfrom mlops.utils.tracking import schema  # noqa\n')
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout[-3000:]
    assert 'mlops.utils.model_code is not allowed to import mlops.utils.tracking' in result.stdout


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*RUFF, *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_lint_and_format_pass():
    linted = ruff('check', '.')
    assert linted.returncode == 0, linted.stdout[-3000:]
    formatted = ruff('format', '--check', '.')
    assert formatted.returncode == 0, formatted.stdout[-3000:]


def test_ruff_reports_what_it_is_set_to_catch(tmp_path):
    sample = tmp_path / 'sample.py'
    sample.write_text("import os\nx = {'a':1}\n")
    config = str(REPO_ROOT / 'pyproject.toml')
    linted = ruff('check', '--config', config, str(sample))
    assert linted.returncode == 1 and 'F401' in linted.stdout, linted.stdout
    formatted = ruff('format', '--check', '--config', config, str(sample))
    assert formatted.returncode == 1 and 'would be reformatted' in formatted.stdout, formatted.stdout


def test_each_pre_commit_hook_runs_and_passes_on_the_repo():
    """The local hooks of .pre-commit-config.yaml, run as pre-commit runs them (the entry, then
    the tracked files it selects unless ``pass_filenames: false``)."""
    import shlex

    import yaml

    config = yaml.safe_load((REPO_ROOT / '.pre-commit-config.yaml').read_text())
    hooks = [hook for repo in config['repos'] for hook in repo['hooks']]
    assert {hook['id'] for hook in hooks} == {'ruff', 'ruff-format', 'lint-imports'}
    tracked = subprocess.run(['git', 'ls-files', '*.py', '*.ipynb'], cwd=REPO_ROOT, capture_output=True, text=True)
    files = tracked.stdout.split()
    assert files, tracked.stderr
    for hook in hooks:
        command = shlex.split(hook['entry']) + ([] if hook.get('pass_filenames') is False else files)
        command[0] = str(Path(sys.executable).parent / Path(command[0]).name)  # the running .venv's tool
        result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, (hook['id'], result.stdout[-2000:], result.stderr[-2000:])
