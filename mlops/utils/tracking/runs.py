"""MLflow runs of a training pipeline: one parent per (Mage pipeline run, model family),
a nested run per tuning trial, and a nested ``final model`` run holding the pyfunc."""

from __future__ import annotations

import shutil
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import pandas as pd

from mlops.utils.model_code.estimators import BoosterRegressor
from mlops.utils.model_code.features import INPUT_COLUMNS, INPUT_TYPES
from mlops.utils.model_code.model import TripDurationModel
from mlops.utils.models.tuning import Trial
from mlops.utils.paths import REPO_ROOT
from mlops.utils.tracking.schema import (
    BEST_TRIAL_BOOSTER,
    BEST_TRIAL_ESTIMATOR,
    FINAL_STAGE,
    MAGE_TAG_PREFIX,
    MODEL_FAMILY,
    STAGE,
    TUNING_STAGE,
)
from mlops.utils.tracking.trained_range import data_tags

# The Mage run's facts a training run keeps as ``mage.<name>`` tags: which run, under which
# trigger, and for a retraining's child, the retraining run and why it retrained.
MAGE_TAG_VARIABLES = (
    'pipeline_uuid',
    'pipeline_run_id',
    'execution_date',
    'trigger_name',
    'retraining_run_id',
    'retraining_why',
)


def mage_tags(kwargs: Mapping[str, Any]) -> Dict[str, str]:
    return {
        f'{MAGE_TAG_PREFIX}{key}': str(kwargs[key])[:5000]  # MLflow's tag value limit
        for key in MAGE_TAG_VARIABLES
        if kwargs.get(key) not in (None, '')
    }


def start_parent(client, experiment_id: str, family: str, kwargs: Mapping[str, Any]) -> str:
    tags = {
        **mage_tags(kwargs),
        MODEL_FAMILY: family,
        'mlflow.runName': f'{kwargs.get("pipeline_uuid", "training")} #{kwargs.get("pipeline_run_id", "-")} {family}',
    }
    return client.create_run(experiment_id, tags=tags).info.run_id


def _child(client, parent_run_id: str, name: str, tags: Optional[Dict[str, str]] = None) -> str:
    parent = client.get_run(parent_run_id)
    return client.create_run(
        parent.info.experiment_id,
        tags={
            **{k: v for k, v in parent.data.tags.items() if k.startswith(MAGE_TAG_PREFIX) or k == MODEL_FAMILY},
            **(tags or {}),
            'mlflow.parentRunId': parent_run_id,
            'mlflow.runName': name,
        },
    ).info.run_id


def log_trial(client, parent_run_id: str, trial: Trial) -> None:
    from mlflow.entities import Metric, Param

    run_id = _child(client, parent_run_id, f'trial {trial.number}', {STAGE: TUNING_STAGE})
    client.log_batch(
        run_id,
        metrics=[Metric(f'validation_{k}', v, 0, 0) for k, v in trial.metrics.items()]
        + [Metric('duration_seconds', trial.seconds, 0, 0)],
        params=[Param(k, str(v)) for k, v in trial.params.items()],
    )
    client.set_terminated(run_id)


def log_best_model(client, parent_run_id: str, model: Any) -> Optional[str]:
    """The best trial's fitted model as an artifact of the family's parent run, so the final step
    can keep it instead of fitting the same model again: an XGBoost booster in its own format
    (``BEST_TRIAL_BOOSTER``, its early-stopping round saved with it), another estimator
    pickled (``BEST_TRIAL_ESTIMATOR``, as the registered pyfunc holds it). Returns the path."""
    import pickle

    if model is None:
        return None
    artifact = BEST_TRIAL_BOOSTER if isinstance(model, BoosterRegressor) else BEST_TRIAL_ESTIMATOR
    folder, name = artifact.rsplit('/', 1)
    with tempfile.TemporaryDirectory() as local:
        path = Path(local) / name
        if isinstance(model, BoosterRegressor):
            model.booster.save_model(str(path))
        else:
            path.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
        client.log_artifact(parent_run_id, str(path), folder)
    return artifact


def load_best_model(client, parent_run_id: str, artifact: str) -> Any:
    """The model ``log_best_model`` kept, from this project's own tracking store (the caller
    checks it still gives its trial's validation RMSE before using it)."""
    import pickle

    if artifact not in (BEST_TRIAL_BOOSTER, BEST_TRIAL_ESTIMATOR):
        raise ValueError(f'{artifact!r} is not a kept model of a tuning run')
    with tempfile.TemporaryDirectory() as local:
        path = client.download_artifacts(parent_run_id, artifact, local)
        if artifact == BEST_TRIAL_BOOSTER:
            import xgboost

            return BoosterRegressor(xgboost.Booster(model_file=path))
        return pickle.loads(Path(path).read_bytes())


def installed_distribution(*names: str) -> str:
    """``name==version`` of the first of ``names`` installed here (one module, several wheels)."""
    for name in names:
        try:
            return f'{name}=={version(name)}'
        except PackageNotFoundError:
            continue
    raise PackageNotFoundError(' or '.join(names))


def served_requirements(model: TripDurationModel) -> List[str]:
    """Exactly the packages the served code imports, at the versions that trained the model."""
    packages = [
        installed_distribution('mlflow-skinny', 'mlflow'),
        *(installed_distribution(name) for name in ('numpy', 'pandas', 'scipy', 'scikit-learn')),
    ]
    if isinstance(model.estimator, BoosterRegressor):
        packages.append(installed_distribution('xgboost-cpu', 'xgboost'))
    return packages


def staged_model_code() -> Path:
    """A copy of what the registered model imports (``mlops.utils.model_code`` and the errors it
    raises) as an ``mlops`` package: nothing of training, tracking or Mage."""
    stage = Path(tempfile.mkdtemp(prefix='mlops-code-')) / 'mlops'
    (stage / 'utils').mkdir(parents=True)
    for package in (stage, stage / 'utils'):
        (package / '__init__.py').write_text('')
    source = REPO_ROOT / 'mlops' / 'utils'
    shutil.copytree(
        source / 'model_code', stage / 'utils' / 'model_code', ignore=shutil.ignore_patterns('__pycache__', '*.pyc')
    )
    shutil.copy2(source / 'errors.py', stage / 'utils' / 'errors.py')
    return stage


def log_final_model(
    client,
    parent_run_id: str,
    model: TripDurationModel,
    params: Dict[str, Any],
    metrics: Dict[str, float],
    tags: Dict[str, str],
    facts: Dict[str, Any],
    example: pd.DataFrame,
    documents: Optional[Dict[str, Dict[str, Any]]] = None,
    datasets: Sequence[Tuple[Any, str]] = (),
):
    """A nested run with params, metrics, facts about the data, the pyfunc model (its input
    example from the validation records ``example``), ``datasets`` ((MLflow dataset, context):
    the rows it was trained and validated on, ``tracking.lineage``) and ``documents``, JSON artifacts by path
    (the caller's: a SHAP explanation for the dashboards); returns (run id, model URI)."""
    import mlflow
    from mlflow.models import infer_signature

    run_id = _child(client, parent_run_id, 'final model', {STAGE: FINAL_STAGE, **tags})
    example = example[INPUT_COLUMNS].head(5).reset_index(drop=True).astype(INPUT_TYPES)
    signature = infer_signature(example, model.predict(None, example))
    code = staged_model_code()
    try:
        with mlflow.start_run(run_id=run_id):
            mlflow.log_params({k: str(v) for k, v in params.items()})
            mlflow.log_metrics({f'validation_{k}': v for k, v in metrics.items()})
            mlflow.log_dict(facts, 'training_facts.json')
            for path, document in (documents or {}).items():
                mlflow.log_dict(document, path)
            mlflow.set_tags(data_tags(facts))
            for dataset, context in datasets:  # MLflow's own record of the rows (tracking.lineage)
                mlflow.log_input(dataset, context=context)
            info = mlflow.pyfunc.log_model(
                name='model',
                python_model=model,
                code_paths=[str(code)],
                signature=signature,
                input_example=example,
                pip_requirements=served_requirements(model),
            )
    finally:
        shutil.rmtree(code.parent, ignore_errors=True)
    return run_id, info.model_uri
