"""``--reproduce VERSION``: the training pipeline and variables read back from the
``reproduce.*`` tags of a registered version's run (runs and versions made here with
MlflowClient in an embedded store)."""

import json

import pytest
from mlflow.tracking import MlflowClient

from mlops.utils.errors import ConfigError
from mlops.utils.tracking.reproduce import reproduction_of
from mlops.utils.training.config import params_for, training_settings

MODEL = 'test-model'  # the tracking_store fixture's registered model name
LASSO = {'alpha': 0.0002, 'fit_intercept': False, 'max_iter': 5000}


def registered_version(experiment_id: str, tags: dict) -> str:
    """A version of MODEL whose run carries ``tags``; returns its number."""
    client = MlflowClient()
    if not client.search_registered_models(f"name = '{MODEL}'"):
        client.create_registered_model(MODEL)
    run = client.create_run(experiment_id, tags={'stage': 'final', 'mage.pipeline_run_id': '7', **tags})
    return str(client.create_model_version(MODEL, f'{run.info.artifact_uri}/model', run_id=run.info.run_id).version)


def test_a_sklearn_version_gives_back_the_sklearn_pipeline_its_family_and_its_fixed_hyperparameters(tracking_store):
    version = registered_version(
        tracking_store,
        {
            'model_family': 'linear_model.Lasso',
            'data.rows': '100',
            'reproduce.hyperparameters': json.dumps(LASSO, sort_keys=True),
        },
    )
    pipeline, variables = reproduction_of(version)
    assert pipeline == 'sklearn_training'
    assert variables == {'hyperparameters': json.dumps(LASSO, sort_keys=True), 'models': 'linear_model.Lasso'}
    # as the rerun reads its variables: the one family, with exactly these hyperparameters
    assert params_for(training_settings(variables), variables['models']) == LASSO


def test_an_xgboost_version_gives_back_the_xgboost_pipeline_without_a_models_variable(tracking_store):
    version = registered_version(
        tracking_store,
        {
            'model_family': 'xgboost',
            'reproduce.hyperparameters': '{}',
            'reproduce.num_boost_round': '42',
            'reproduce.early_stopping_rounds': '0',
        },
    )
    assert reproduction_of(version) == (
        'xgboost_training',
        {'hyperparameters': '{}', 'num_boost_round': '42', 'early_stopping_rounds': '0'},
    )


def test_a_version_without_reproduce_tags_is_refused_by_name(tracking_store):
    registered_version(tracking_store, {'model_family': 'linear_model.Lasso', 'reproduce.hyperparameters': '{}'})
    version = registered_version(tracking_store, {'model_family': 'linear_model.Lasso'})  # registered before the tags
    with pytest.raises(ConfigError, match=f'--reproduce: version {version} of {MODEL} has no reproduce.\\* tags'):
        reproduction_of(version)


def test_an_unknown_version_is_refused_by_name(tracking_store):
    registered_version(tracking_store, {'model_family': 'linear_model.Lasso', 'reproduce.hyperparameters': '{}'})
    with pytest.raises(ConfigError, match=f'--reproduce: no version 99 of {MODEL}'):
        reproduction_of('99')
