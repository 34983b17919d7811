"""A registered model loads and predicts in a clean virtualenv built from its own
requirements.txt, outside the repository (as `mlflow models serve --env-manager virtualenv`,
`mlflow models build-docker` or a serving platform would), for both kinds of estimator."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import mlflow
import numpy as np
import pytest
import xgboost
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LinearRegression

from mlops.utils.model_code.estimators import BoosterRegressor
from mlops.utils.model_code.model import TripDurationModel
from mlops.utils.models.metrics import regression_metrics
from mlops.utils.tracking.registry import register_and_promote
from mlops.utils.tracking.runs import log_final_model, start_parent
from testkit.commands import run_command, run_ok

pytestmark = pytest.mark.slow
# Virtualenvs are cached by the hash of the requirements they were built from.
ENV_CACHE = Path(os.environ.get('MLOPS_MODEL_ENV_CACHE', Path.home() / '.cache' / 'mlops-model-envs'))
PREDICT = """
import json, sys
import mlflow.pyfunc
model = mlflow.pyfunc.load_model(sys.argv[1])
records = json.load(open(sys.argv[2]))
print(json.dumps([float(x) for x in model.predict(records)]))
"""


def requirement_lines(text: str) -> set:
    return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith('#')}


def model_env(requirements: Path) -> Path:
    """A virtualenv with exactly ``requirements`` installed (built once per content). Where a
    cached one holds a subset of them (the sklearn model's, for the XGBoost model's), it is
    copied and pip adds the rest, as a fresh install would have them: one full install a run."""
    ENV_CACHE.mkdir(parents=True, exist_ok=True)
    with open(ENV_CACHE / '.lock', 'w') as lock:  # another test run on this machine may be building it
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _built_env(requirements)


def _built_env(requirements: Path) -> Path:
    wanted = requirement_lines(requirements.read_text())
    env = ENV_CACHE / hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    if (env / '.complete').exists():
        return env
    shutil.rmtree(env, ignore_errors=True)
    subsets = [done.parent for done in ENV_CACHE.glob('*/.complete') if requirement_lines(done.read_text()) <= wanted]
    if subsets:
        shutil.copytree(
            max(subsets, key=lambda e: len(requirement_lines((e / '.complete').read_text()))), env, symlinks=True
        )
        (env / '.complete').unlink()
    else:
        run_ok([sys.executable, '-m', 'venv', str(env)], timeout=600)
    run_ok(
        [
            str(env / 'bin' / 'python'),
            '-m',
            'pip',
            'install',
            '--disable-pip-version-check',
            '-q',
            '-r',
            str(requirements),
        ],
        timeout=1200,
    )
    (env / '.complete').write_text(requirements.read_text())
    return env


def fitted(kind: str, data):
    if kind == 'sklearn':
        return LinearRegression().fit(data.X_train, data.y_train)
    return BoosterRegressor(
        xgboost.train(
            {'max_depth': 6, 'seed': 1, 'nthread': 2},
            xgboost.DMatrix(data.X_train, label=data.y_train),
            num_boost_round=30,
        )
    )


@pytest.mark.parametrize('kind', ['sklearn', 'xgboost'])
def test_a_registered_model_predicts_the_same_in_a_clean_virtualenv(kind, tracking_store, data, tmp_path):
    estimator = fitted(kind, data)
    validation = data.validation_records()
    rmse = regression_metrics(data.y_val, estimator.predict(data.X_val))['rmse']
    client = MlflowClient()
    parent = start_parent(client, tracking_store, kind, {})
    _, uri = log_final_model(
        client, parent, TripDurationModel(data.dv, estimator), {}, {'rmse': rmse}, {}, {}, validation
    )
    version = register_and_promote(uri, rmse, validation).version
    model_dir = Path(
        mlflow.artifacts.download_artifacts(f'models:/test-model/{version}', dst_path=str(tmp_path / 'model'))
    )
    sample = validation.drop(columns=['duration']).sample(500, random_state=0)
    records = tmp_path / 'records.json'
    records.write_text(json.dumps(sample.to_dict(orient='records')))
    expected = mlflow.pyfunc.load_model(str(model_dir)).predict(sample)

    env = model_env(model_dir / 'requirements.txt')
    empty = tmp_path / 'elsewhere'
    empty.mkdir()
    clean = {'PATH': f'{env / "bin"}:/usr/bin:/bin', 'HOME': str(tmp_path), 'MLFLOW_TRACKING_URI': ''}
    result = run_ok(
        [str(env / 'bin' / 'python'), '-c', PREDICT, str(model_dir), str(records)], cwd=empty, env=clean, timeout=300
    )
    assert np.allclose(json.loads(result.stdout.strip().splitlines()[-1]), expected)
    imports = run_command([str(env / 'bin' / 'python'), '-c', 'import hyperopt'], cwd=empty, env=clean, timeout=600)
    assert imports.returncode != 0  # nothing of training came along
