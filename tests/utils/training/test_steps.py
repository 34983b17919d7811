"""The training blocks' functions called as the blocks call them, on a small training set made
here (400 trips on 6 routes: 300 in January to train on, 100 in February to validate on) and an
embedded MLflow store; expected values come from that data or from MLflow's own records."""

import json

import mlflow
import numpy as np
import pytest
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LinearRegression

from mlops.utils.errors import ConfigError
from mlops.utils.model_code.features import INPUT_COLUMNS
from mlops.utils.models.training_data import unpack_training_set
from mlops.utils.training.config import training_settings
from mlops.utils.training.steps import data_facts, family_for, plan_models, reproduction, train_and_register, tune_model
from testkit.registered import small_booster
from tests.training_sets import synthetic_training_set

MODEL = 'test-model'  # the tracking_store fixture's registered model name
MAGE = {'pipeline_uuid': 'sklearn_training', 'pipeline_run_id': 7}


@pytest.fixture(scope='module')
def small():
    """The training_set GDP output for 400 synthetic trips (as data preparation hands it over)."""
    return synthetic_training_set()


def runs(experiment_id, filter_string=''):
    return MlflowClient().search_runs([experiment_id], filter_string=filter_string)


def test_plan_models_names_the_models_and_refuses_a_bad_fixed_hyperparameter_by_family(tracking_store):
    assert plan_models({'models': 'linear_model.Lasso, svm.LinearSVR'}) == ['linear_model.Lasso', 'svm.LinearSVR']
    with pytest.raises(ConfigError, match='hyperparameters for svm.LinearSVR: unknown alpha'):
        plan_models(
            {
                'models': 'linear_model.Lasso,svm.LinearSVR',
                'hyperparameters': '{"linear_model.Lasso": {"alpha": 0.1}, "svm.LinearSVR": {"alpha": 1}}',
            }
        )


def test_tuning_logs_each_trial_under_the_parent_and_returns_the_best(tracking_store, small):
    summary = tune_model('linear_model.Lasso', small, {'max_evaluations': '3', **MAGE})
    assert summary['best_model'] == 'best_trial/estimator.pkl'  # kept for the final step
    trials = runs(tracking_store, "tags.stage = 'tuning'")
    assert summary['trials'] == len(trials) == 3
    assert {r.data.tags['mlflow.parentRunId'] for r in trials} == {summary['parent_run_id']}
    assert {(r.data.tags['mage.pipeline_run_id'], r.data.tags['model_family']) for r in trials} == {
        ('7', 'linear_model.Lasso')
    }
    best = min(trials, key=lambda r: r.data.metrics['validation_rmse'])
    assert summary['best_trial_rmse'] == best.data.metrics['validation_rmse']
    assert {k: str(v) for k, v in summary['params'].items()} == best.data.params
    parent = MlflowClient().get_run(summary['parent_run_id'])
    assert parent.data.metrics['best_validation_rmse'] == best.data.metrics['validation_rmse']


def test_fixed_hyperparameters_skip_tuning_and_are_returned_as_given(tracking_store, small):
    summary = tune_model('linear_model.Lasso', small, {'hyperparameters': '{"alpha": 0.001}', **MAGE})
    assert summary == {
        'family': 'linear_model.Lasso',
        'params': {'alpha': 0.001},
        'parent_run_id': summary['parent_run_id'],
        'trials': 0,
    }
    assert MlflowClient().get_run(summary['parent_run_id']).data.tags['tuning'] == 'skipped: fixed hyperparameters'
    assert runs(tracking_store, "tags.stage = 'tuning'") == []


def test_an_unknown_fixed_hyperparameter_is_refused_before_any_run(tracking_store, small):
    with pytest.raises(ConfigError, match='hyperparameters for linear_model.Lasso: unknown alfa'):
        tune_model('linear_model.Lasso', small, {'hyperparameters': '{"alfa": 0.001}'})
    assert runs(tracking_store) == []


def test_the_final_model_is_logged_registered_and_promoted_with_its_data_facts(tracking_store, small):
    tuning = tune_model('linear_model.LinearRegression', small, {'hyperparameters': '{"fit_intercept": true}'})
    result = train_and_register(tuning, small, {})
    X, X_train, X_val, y, y_train, y_val, dv, _ = small['build']
    expected_rmse = float(np.sqrt(np.mean((LinearRegression().fit(X_train, y_train).predict(X_val) - y_val) ** 2)))
    assert result['validation_rmse'] == pytest.approx(expected_rmse)
    assert (result['promoted'], result['champion_validation_rmse']) == (True, None)  # the first model
    champion = MlflowClient().get_model_version_by_alias(MODEL, 'champion')
    assert str(result['version']) == str(champion.version) == '1' and champion.run_id == result['run_id']
    served = mlflow.pyfunc.load_model(f'models:/{MODEL}@champion')  # the registered model, as served
    df_val = small['prepare'][2]
    served_rmse = np.sqrt(np.mean((served.predict(df_val[INPUT_COLUMNS]) - df_val['duration'].to_numpy()) ** 2))
    assert served_rmse == pytest.approx(expected_rmse)
    [final] = runs(tracking_store, "tags.stage = 'final'")
    assert final.info.run_id == result['run_id'] and final.data.params == {'fit_intercept': 'True'}
    assert final.data.tags['reproduce.hyperparameters'] == '{"fit_intercept": true}'
    routes = small['prepare'][1]['PU_DO'].nunique()  # one-hot columns, plus trip_distance
    assert {
        k: final.data.tags[f'data.{k}'] for k in ('training_rows', 'validation_rows', 'feature_count', 'start_month')
    } == {'training_rows': '300', 'validation_rows': '100', 'feature_count': str(routes + 1), 'start_month': '2024-01'}
    assert MlflowClient().get_run(tuning['parent_run_id']).info.status == 'FINISHED'


def test_a_failing_fit_marks_the_parent_failed_and_registers_nothing(tracking_store, small):
    tuning = tune_model('linear_model.Lasso', small, {'hyperparameters': '{"alpha": -1.0}'})  # a name Lasso takes
    with pytest.raises(ValueError, match='alpha'):
        train_and_register(tuning, small, {})
    assert MlflowClient().get_run(tuning['parent_run_id']).info.status == 'FAILED'
    assert runs(tracking_store, "tags.stage = 'final'") == []
    assert MlflowClient().search_model_versions(f"name = '{MODEL}'") == []


def test_a_training_set_without_the_prepare_block_is_refused_before_fitting(tracking_store, small):
    tuning = tune_model('linear_model.LinearRegression', small, {'hyperparameters': '{"fit_intercept": true}'})
    with pytest.raises(ConfigError, match='training_set must include the prepare block'):
        train_and_register(tuning, {'build': small['build']}, {})
    assert runs(tracking_store, "tags.stage = 'final'") == []


def test_an_xgboost_models_reproduction_and_facts_carry_its_rounds_and_fixed_settings(small):
    data = unpack_training_set(small)
    booster = small_booster(data.X_train, data.y_train, rounds=12)  # no early stopping: all 12 rounds count
    family = family_for('xgboost', training_settings({'random_state': '7'}))
    tags = reproduction(family, {'max_leaves': 31}, booster)
    assert tags == {
        'reproduce.hyperparameters': json.dumps(
            {'grow_policy': 'lossguide', 'max_leaves': 31, 'nthread': 1, 'objective': 'reg:squarederror', 'seed': 7}
        ),
        'reproduce.num_boost_round': '12',
        'reproduce.early_stopping_rounds': '0',
    }
    facts = data_facts(data, booster)
    assert facts['boosting_rounds'] == 12 and facts['training_rows'] == 300 and facts['validation_rows'] == 100
    assert facts['start_month'] == '2024-01'  # data preparation's own record, kept


def dollars(small):
    """The small training set as data preparation hands over one prepared with target=tip_amount."""
    build = list(small['build'])
    build[-1] = {**build[-1], 'target': 'tip_amount'}
    return {**small, 'build': build}


def test_a_training_set_of_another_target_is_refused_before_any_run_unless_promote_is_never(tracking_store, small):
    with pytest.raises(ConfigError, match=r'target tip_amount \(dollars\) is not what the champion serves'):
        tune_model('linear_model.LinearRegression', dollars(small), {'hyperparameters': '{"fit_intercept": true}'})
    assert runs(tracking_store) == []
    variables = {'hyperparameters': '{"fit_intercept": true}', 'promote': 'never'}
    tuning = tune_model('linear_model.LinearRegression', dollars(small), variables)
    result = train_and_register(tuning, dollars(small), variables)
    version = MlflowClient().get_model_version(MODEL, result['version'])
    assert not result['promoted'] and result['role'] == version.tags['role']
    assert version.tags['role'].startswith('not comparable: target tip_amount (dollars)')
    assert version.tags['contract.target'] == 'tip_amount' and version.tags['promote'] == 'never'
    assert MlflowClient().get_registered_model(MODEL).aliases == {}


def test_promote_never_registers_an_experiment_compared_with_the_champion(tracking_store, small):
    fixed = {'hyperparameters': '{"fit_intercept": true}'}
    champion = train_and_register(tune_model('linear_model.LinearRegression', small, fixed), small, fixed)
    experiment_variables = {'hyperparameters': '{"alpha": 0.001}', 'promote': 'never'}
    experiment = train_and_register(
        tune_model('linear_model.Lasso', small, experiment_variables), small, experiment_variables
    )
    tags = MlflowClient().get_model_version(MODEL, experiment['version']).tags
    assert not experiment['promoted'] and experiment['role'] == tags['role']
    assert tags['role'].startswith('experiment (promote=never), auto would say: ')
    assert experiment['champion_validation_rmse'] == pytest.approx(champion['validation_rmse'])
    assert str(MlflowClient().get_model_version_by_alias(MODEL, 'champion').version) == str(champion['version'])


def test_the_final_xgboost_model_is_the_best_trials_booster_kept_not_fitted_again(tracking_store, small, monkeypatch):
    kwargs = {'max_evaluations': '3', 'num_boost_round': '20', 'max_depth': '10', **MAGE}
    tuning = tune_model('xgboost', small, kwargs)
    assert tuning['best_model'] == 'best_trial/booster.ubj'
    monkeypatch.setattr('mlops.utils.training.steps.evaluate', lambda *args: pytest.fail('fitted again'))
    summary = train_and_register(tuning, small, kwargs)
    final = MlflowClient().get_run(summary['run_id'])
    assert final.data.tags['final_fit'].startswith("kept the best trial's model")
    # MLflow's record of the best trial: the kept booster's validation RMSE, to the bit
    best = min(runs(tracking_store, "tags.stage = 'tuning'"), key=lambda r: r.data.metrics['validation_rmse'])
    assert final.data.metrics['validation_rmse'] == best.data.metrics['validation_rmse'] == summary['validation_rmse']


def test_a_kept_booster_that_does_not_give_its_trials_rmse_is_fitted_again(tracking_store, small, capsys):
    kwargs = {'max_evaluations': '2', 'num_boost_round': '20', 'max_depth': '10', **MAGE}
    tuning = tune_model('xgboost', small, kwargs)
    tampered = {**tuning, 'best_trial_rmse': tuning['best_trial_rmse'] + 1.0}
    summary = train_and_register(tampered, small, kwargs)
    final = MlflowClient().get_run(summary['run_id'])
    assert final.data.tags['final_fit'] == 'fitted with the chosen hyperparameters'
    assert summary['validation_rmse'] == tuning['best_trial_rmse']  # the same model, fitted again
    assert "the best trial's model gives validation RMSE" in capsys.readouterr().out


def test_the_final_sklearn_model_is_the_best_trials_estimator_kept(tracking_store, small, monkeypatch):
    kwargs = {'max_evaluations': '3', **MAGE}
    tuning = tune_model('linear_model.Lasso', small, kwargs)
    monkeypatch.setattr('mlops.utils.training.steps.evaluate', lambda *args: pytest.fail('fitted again'))
    summary = train_and_register(tuning, small, kwargs)
    final = MlflowClient().get_run(summary['run_id'])
    assert final.data.tags['final_fit'] == "kept the best trial's model (best_trial/estimator.pkl of the tuning run)"
    assert summary['validation_rmse'] == tuning['best_trial_rmse']


def test_which_data_made_the_champion_is_answered_by_mlflows_datasets(tracking_store, small):
    """Through MLflow's API alone: the champion's run's inputs name the rows it was trained and
    validated on; their digests are recomputed here from the training set's rows."""
    import hashlib

    import pandas as pd

    tuning = tune_model('linear_model.LinearRegression', small, {'hyperparameters': '{"fit_intercept": true}'})
    train_and_register(tuning, small, {})
    client = MlflowClient()
    champion = client.get_model_version_by_alias(MODEL, 'champion')
    inputs = {i.tags[0].value: i.dataset for i in client.get_run(champion.run_id).inputs.dataset_inputs}
    data = unpack_training_set(small)
    for context, frame in (('training', data.df_train), ('validation', data.df_val)):
        rows = frame[[*INPUT_COLUMNS, 'duration']]
        digest = hashlib.sha256('\x1f'.join(rows.columns).encode())
        digest.update(pd.util.hash_pandas_object(rows, index=True).to_numpy().tobytes())
        dataset = inputs[context]
        assert dataset.digest == digest.hexdigest()[:32], context
        assert json.loads(dataset.profile)['num_rows'] == len(frame), context
        assert dataset.name.endswith(f' {context}') and dataset.source_type in ('local', 'http'), dataset
