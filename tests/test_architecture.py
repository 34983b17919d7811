"""The code's own rules, as pyproject.toml states them: the import contracts (the layers
blocks -> utils concerns -> model_code -> errors; model_code imports only libraries and errors;
models/ never imports MLflow; mlops imports none of the checks; testkit/, which tests and bench
share, imports neither, and bench never imports tests), checked by import-linter as
`lint-imports` runs it; the rule it cannot state (only orchestration/ imports
`mage_ai.orchestration`); ruff's lint and format; and a long module says why at its top.
Each check can fail: a copy of the code with one import breaking each rule is reported broken;
an unused import, a badly formatted file and a long module without a reason are reported."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import List

import pytest

from testkit.chain import REPO_ROOT
from testkit.commands import run_command, run_ok

RUFF = [sys.executable, '-m', 'ruff']
LINT_IMPORTS = [
    sys.executable,
    '-c',
    'import sys; from importlinter.cli import lint_imports_command; '
    'sys.argv[0] = "lint-imports"; sys.exit(lint_imports_command())',
]


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return run_command(LINT_IMPORTS, cwd=root, env={'PYTHONPATH': str(root), 'PATH': '/usr/bin:/bin'}, timeout=300)


CONTRACTS = tomllib.loads((REPO_ROOT / 'pyproject.toml').read_text())['tool']['importlinter']['contracts']


def test_every_import_contract_is_kept():
    result = lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert f'Contracts: {len(CONTRACTS)} kept, 0 broken.' in result.stdout
    assert len(CONTRACTS) == 6


ROOT_PACKAGES = tomllib.loads((REPO_ROOT / 'pyproject.toml').read_text())['tool']['importlinter']['root_packages']


def copy_of_the_code(tmp_path: Path) -> Path:
    """The Python files of every package import-linter reads, and its settings."""
    for package in ROOT_PACKAGES:
        shutil.copytree(
            REPO_ROOT / package,
            tmp_path / package,
            ignore=lambda folder, names: [
                n for n in names if not (n.endswith('.py') or (Path(folder) / n).is_dir()) or n == '__pycache__'
            ],
        )
    shutil.copy2(REPO_ROOT / 'pyproject.toml', tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    'module, line, broken',
    [
        (  # an import running back up the layers
            'mlops/utils/model_code/strings.py',
            'from mlops.utils.tracking import schema',
            'mlops.utils.model_code is not allowed to import mlops.utils.tracking',
        ),
        (  # a module below model_code in the layers, but not shipped with the model
            'mlops/utils/model_code/strings.py',
            'from mlops.utils import paths',
            'model_code imports only libraries and errors (it ships inside every registered model) BROKEN',
        ),
        ('mlops/utils/models/metrics.py', 'import mlflow', 'models/ never imports MLflow BROKEN'),
        (
            'mlops/utils/paths.py',
            'from testkit import servers',
            'mlops imports none of testkit, tests and bench BROKEN',
        ),
        ('testkit/chain.py', 'from tests import conftest', 'testkit imports neither tests nor bench BROKEN'),
        ('bench/verdicts.py', 'from tests import readme', 'bench never imports tests BROKEN'),
    ],
)
def test_each_contract_reports_an_import_that_breaks_it(tmp_path, module, line, broken):
    root = copy_of_the_code(tmp_path)
    target = root / module
    target.write_text(target.read_text() + f'\n{line}  # noqa\n')
    result = lint_imports(root)
    assert result.returncode == 1, result.stdout[-3000:]
    assert broken in result.stdout, result.stdout[-3000:]


def python_modules(root: Path) -> List[str]:
    """Every module and package of ``mlops`` one level under ``mlops`` and ``mlops.utils``."""
    found = []
    for folder, prefix in ((root / 'mlops', 'mlops'), (root / 'mlops' / 'utils', 'mlops.utils')):
        for path in sorted(folder.iterdir()):
            if path.is_dir() and (path / '__init__.py').is_file() and path.name != 'utils':
                found.append(f'{prefix}.{path.name}')
            elif path.suffix == '.py' and path.stem != '__init__':
                found.append(f'{prefix}.{path.stem}')
    return found


def test_model_code_is_forbidden_every_module_but_errors():
    (contract,) = [c for c in CONTRACTS if c.get('source_modules') == ['mlops.utils.model_code']]
    expected = set(python_modules(REPO_ROOT)) - {'mlops.utils.model_code', 'mlops.utils.errors'}
    assert set(contract['forbidden_modules']) == expected


# Mage's scheduler internals change between releases; one package touches them, naming why.
MAGE_INTERNALS = 'mage_ai.orchestration'
ALLOWED_TO_TOUCH = Path('mlops/utils/orchestration')


def imports_of(path: Path) -> List[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.extend([node.module, *(f'{node.module}.{alias.name}' for alias in node.names)])
    return names


def mage_internals_outside_orchestration(root: Path) -> List[str]:
    return sorted(
        str(path.relative_to(root))
        for path in (root / 'mlops').rglob('*.py')
        if not path.relative_to(root).is_relative_to(ALLOWED_TO_TOUCH)
        and any(name == MAGE_INTERNALS or name.startswith(f'{MAGE_INTERNALS}.') for name in imports_of(path))
    )


def test_only_orchestration_imports_mages_scheduler_internals(tmp_path):
    assert mage_internals_outside_orchestration(REPO_ROOT) == []
    root = copy_of_the_code(tmp_path)  # the control: one such import elsewhere is found
    target = root / 'mlops' / 'utils' / 'triggering' / 'plan.py'
    target.write_text(target.read_text() + '\n\ndef later():\n    from mage_ai.orchestration.db import db_connection\n')
    assert mage_internals_outside_orchestration(root) == ['mlops/utils/triggering/plan.py']


def ruff(*args: str) -> subprocess.CompletedProcess:
    return run_command([*RUFF, *args], cwd=REPO_ROOT, timeout=300)


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
    tracked = run_command(['git', 'ls-files', '*.py', '*.ipynb'], cwd=REPO_ROOT, timeout=600)
    files = tracked.stdout.split()
    assert files, tracked.stderr
    for hook in hooks:
        command = shlex.split(hook['entry']) + ([] if hook.get('pass_filenames') is False else files)
        command[0] = str(Path(sys.executable).parent / Path(command[0]).name)  # the running .venv's tool
        result = run_command(command, cwd=REPO_ROOT, timeout=300)  # not run_ok: the command names every file
        assert result.returncode == 0, (hook['id'], result.stdout[-2000:], result.stderr[-2000:])


# A module past about 250 lines says at its top why it is that long (or is split).
LONG_MODULE_LINES = 250
REASON = 'Why it is this long'


def long_modules_without_a_reason(root: Path, files: List[str]) -> List[str]:
    found = []
    for name in files:
        text = (root / name).read_text()
        docstring = ast.get_docstring(ast.parse(text)) or ''
        if len(text.splitlines()) > LONG_MODULE_LINES and REASON not in docstring:
            found.append(name)
    return found


def test_every_long_module_says_why_at_its_top(tmp_path):
    tracked = run_ok(['git', 'ls-files', '*.py'], cwd=REPO_ROOT).stdout.split()
    assert tracked
    assert long_modules_without_a_reason(REPO_ROOT, tracked) == []
    long = tmp_path / 'long.py'  # the control: a long module whose docstring gives no reason
    long.write_text('"""A module."""\n' + 'x = 1\n' * LONG_MODULE_LINES)
    assert long_modules_without_a_reason(tmp_path, ['long.py']) == ['long.py']
