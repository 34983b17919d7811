"""Run the main job's runner as a user would, with state under a test's folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

from mlops.utils.paths import REPO_ROOT
from testkit.commands import run_command
from testkit.mage_database import seeded
from testkit.mlflow_database import seeded_store

# XGBoost's budget where a test checks behaviour, not model quality: a trial then takes seconds
# (the defaults grow up to 1000 rounds of trees up to 100 deep: minutes a trial on 2 cores).
QUICK_XGBOOST = {'num_boost_round': 60, 'max_depth': 10}


def settings(variables: Dict[str, object]) -> List[str]:
    """The runner's ``--set name=value`` arguments for ``variables``."""
    return [arg for name, value in variables.items() for arg in ('--set', f'{name}={value}')]


def chain_env(root: Path, extra: Optional[Dict[str, str]] = None, repo: Path = REPO_ROOT) -> Dict[str, str]:
    env = {
        **os.environ,
        'MAGE_DATA_DIR': str(root / 'mage'),
        'MLOPS_DATA_DIR': str(root / 'data'),
        'PYTHONPATH': str(repo),
        **(extra or {}),
    }
    env.pop('MLFLOW_TRACKING_URI', None)
    env.update({k: v for k, v in (extra or {}).items()})
    if 'MAGE_DATABASE_CONNECTION_URL' not in env:
        seeded(Path(env['MAGE_DATA_DIR']))
    if 'MLFLOW_TRACKING_URI' not in env:
        seeded_store(Path(env['MLOPS_DATA_DIR']))
    return env


def run_chain(
    root: Path, *args: str, env: Optional[Dict[str, str]] = None, timeout: float = 900, repo: Path = REPO_ROOT
):
    """The runner of ``repo`` (a copy, where a test's server runs from one: Mage records each
    sub-project by its folder)."""
    return run_command(
        [sys.executable, '-m', 'mlops.utils.orchestration', *args],
        cwd=repo,
        env=chain_env(root, env, repo),
        timeout=timeout,
    )


def summaries(result: subprocess.CompletedProcess) -> List[dict]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{')]


def run_headless(
    root: Path, project: str, pipeline: str, variables: Dict, name: str, env: Dict[str, str], timeout: float
) -> dict:
    """One pipeline through the runner's headless process (``headless_command``), as ``run.sh``
    starts it per step; its result file (``<root>/<name>.json``) with the process's output as ``log``."""
    from mlops.utils.orchestration.__main__ import headless_command

    result_file = root / f'{name}.json'
    command = headless_command(
        'run', project, pipeline, json.dumps(variables), str(result_file), '--timeout', str(timeout)
    )
    process = run_command(command, cwd=REPO_ROOT, env=env, timeout=timeout + 300)
    assert result_file.exists(), process.stderr[-3000:]
    return {**json.loads(result_file.read_text()), 'log': process.stdout + process.stderr}
