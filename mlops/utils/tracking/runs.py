"""MLflow runs of a training pipeline: one parent per (Mage pipeline run, model family),
a nested run per tuning trial, and a nested ``final model`` run holding the pyfunc."""
from __future__ import annotations

import json
import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

import pandas as pd

from mlops.utils.models.tuning import Trial
from mlops.utils.paths import REPO_ROOT
from mlops.utils.tracking.pyfunc import INPUT_COLUMNS, TripDurationModel

SERVING_PACKAGES = ('mlflow', 'numpy', 'pandas', 'pyarrow', 'scikit-learn', 'scipy', 'xgboost-cpu')


def mage_tags(kwargs: Mapping[str, Any]) -> Dict[str, str]:
    return {f'mage.{key}': str(kwargs[key]) for key in ('pipeline_uuid', 'pipeline_run_id', 'execution_date')
            if kwargs.get(key) is not None}


def start_parent(client, experiment_id: str, family: str, kwargs: Mapping[str, Any]) -> str:
    tags = {**mage_tags(kwargs), 'model_family': family,
            'mlflow.runName': f'{kwargs.get("pipeline_uuid", "training")} #{kwargs.get("pipeline_run_id", "-")} {family}'}
    return client.create_run(experiment_id, tags=tags).info.run_id


def _child(client, parent_run_id: str, name: str, tags: Optional[Dict[str, str]] = None) -> str:
    parent = client.get_run(parent_run_id)
    return client.create_run(parent.info.experiment_id, tags={
        **{k: v for k, v in parent.data.tags.items() if k.startswith('mage.') or k == 'model_family'},
        **(tags or {}), 'mlflow.parentRunId': parent_run_id, 'mlflow.runName': name,
    }).info.run_id


def log_trial(client, parent_run_id: str, trial: Trial) -> None:
    from mlflow.entities import Metric, Param

    run_id = _child(client, parent_run_id, f'trial {trial.number}', {'stage': 'tuning'})
    client.log_batch(
        run_id,
        metrics=[Metric(f'validation_{k}', v, 0, 0) for k, v in trial.metrics.items()]
        + [Metric('duration_seconds', trial.seconds, 0, 0)],
        params=[Param(k, str(v)) for k, v in trial.params.items()],
    )
    client.set_terminated(run_id)


def records_from_prepared(df: pd.DataFrame) -> pd.DataFrame:
    """Raw model input (``PULocationID``, ``DOLocationID``, ``trip_distance``) from the
    prepared frame, whose ``PU_DO`` is ``'<PU>_<DO>'``."""
    codes, pairs = pd.factorize(df['PU_DO'])
    ids = pd.Index(pairs).str.split('_', n=1, expand=True)
    pickup = ids.get_level_values(0).astype('int64').to_numpy()
    dropoff = ids.get_level_values(1).astype('int64').to_numpy()
    return pd.DataFrame({'PULocationID': pickup[codes], 'DOLocationID': dropoff[codes],
                         'trip_distance': df['trip_distance'].to_numpy(dtype=float)}, index=df.index)


def _staged_code() -> Path:
    """``mlops/utils`` as a package the served model imports (``mlops.utils...``)."""
    stage = Path(tempfile.mkdtemp(prefix='mlops-code-')) / 'mlops'
    shutil.copytree(REPO_ROOT / 'mlops' / 'utils', stage / 'utils',
                    ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
    (stage / '__init__.py').write_text('')
    return stage


def log_final_model(client, parent_run_id: str, model: TripDurationModel, params: Dict[str, Any],
                    metrics: Dict[str, float], tags: Dict[str, str], facts: Dict[str, Any],
                    example: pd.DataFrame):
    """A nested run with params, metrics, facts about the data and the pyfunc model;
    returns (run id, model URI)."""
    import mlflow
    from mlflow.models import infer_signature

    run_id = _child(client, parent_run_id, 'final model', {'stage': 'final', **tags})
    example = example[INPUT_COLUMNS].head(5).reset_index(drop=True)
    signature = infer_signature(example, model.predict(None, example))
    code = _staged_code()
    try:
        with mlflow.start_run(run_id=run_id):
            mlflow.log_params({k: str(v) for k, v in params.items()})
            mlflow.log_metrics({f'validation_{k}': v for k, v in metrics.items()})
            mlflow.log_dict(facts, 'training_facts.json')
            mlflow.set_tags({f'data.{k}': json.dumps(v) if isinstance(v, (list, dict)) else str(v)
                             for k, v in facts.items() if k != 'feature_names'})
            info = mlflow.pyfunc.log_model(
                name='model', python_model=model, code_paths=[str(code)], signature=signature,
                input_example=example, pip_requirements=[f'{p}=={version(p)}' for p in SERVING_PACKAGES],
            )
    finally:
        shutil.rmtree(code.parent, ignore_errors=True)
    return run_id, info.model_uri
