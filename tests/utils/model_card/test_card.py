"""Model cards made by the training step itself (``train_and_register``) on the small synthetic
training set and an embedded MLflow store, read back through MLflow's API; a card that cannot
be made or written; the dashboard's tables of the champion's card."""

import json

import mlflow
import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from mlops.utils.model_card import record
from mlops.utils.model_card.card import JSON_ARTIFACT, LIMITS, MARKDOWN_ARTIFACT, json_safe
from mlops.utils.model_code.features import INPUT_COLUMNS
from mlops.utils.training.steps import train_and_register, tune_model
from tests.training_sets import synthetic_training_set

MODEL = 'test-model'  # the tracking_store fixture's registered model name
FIXED = {'hyperparameters': '{"fit_intercept": true}'}


@pytest.fixture(scope='module')
def small():
    return synthetic_training_set()


def register(small, variables=FIXED, family='linear_model.LinearRegression'):
    return train_and_register(tune_model(family, small, variables), small, variables)


def version_tags(version):
    return MlflowClient().get_model_version(MODEL, str(version)).tags


def test_every_version_gets_a_card_with_the_decision_and_figures_of_its_rows(tracking_store, small, capsys):
    first = register(small)
    second = register(small, {'hyperparameters': '{"alpha": 0.5}'}, 'linear_model.Lasso')  # worse: rejected
    assert 'model card of test-model version 2: figures computed in' in capsys.readouterr().out
    tags = version_tags(second['version'])
    assert tags['model_card'] == JSON_ARTIFACT and 'model_card_missing' not in tags
    run_id = MlflowClient().get_model_version(MODEL, '2').run_id
    card = mlflow.artifacts.load_dict(f'runs:/{run_id}/{JSON_ARTIFACT}')
    assert card['decision'] == {
        'promote': 'auto',
        'champion_before': '1',
        'champion_rmse_on_same_rows': pytest.approx(first['validation_rmse']),
        'validation_rmse': pytest.approx(second['validation_rmse']),
        'promoted': False,
        'role': tags['role'],
    }
    assert card['model']['uri'] == 'models:/test-model/2' and card['reproduction']['command'].endswith('--reproduce 2')
    served = mlflow.pyfunc.load_model('models:/test-model/2')
    df_val = small['prepare'][2]
    errors = served.predict(df_val[INPUT_COLUMNS]) - df_val['duration'].to_numpy()
    assert card['validation']['overall']['rmse'] == pytest.approx(np.sqrt(np.mean(errors**2)))
    assert card['validation']['overall']['rmse'] == pytest.approx(second['validation_rmse'])
    # the synthetic trips are all picked up at midnight, on 6 routes
    assert [(h['slice'], h['trips']) for h in card['validation']['slices']['pickup_hour']] == [('00:00', 100)]
    assert sum(r['trips'] for r in card['validation']['slices']['busiest_routes']) == 100
    assert card['data']['routes_known'] == small['prepare'][1]['PU_DO'].nunique()
    assert card['drift']['computed'] and 0 <= card['drift']['figures']['unseen_routes'] <= 1
    assert card['explanation'] == {
        'available': False,
        'reason': 'not an XGBoost booster: no SHAP values are computed for it',
    }
    markdown = mlflow.artifacts.load_text(f'runs:/{run_id}/{MARKDOWN_ARTIFACT}')
    assert markdown.startswith('# Model card: test-model version 2')
    assert '**rejected challenger**' in markdown and '| 00:00 | 100 |' in markdown
    first_card = mlflow.artifacts.load_dict(f'runs:/{first["run_id"]}/{JSON_ARTIFACT}')
    assert first_card['decision']['champion_before'] is None and first_card['decision']['promoted']
    # its limits, with its own figures
    assert len(card['limits']) == len(LIMITS)
    assert card['limits'][0].startswith('Trained on green taxi trips of')  # no months recorded by this set
    assert 'trips of 1 to 60 minutes' in card['limits'][1]
    assert f'It knows {small["prepare"][1]["PU_DO"].nunique()} routes' in card['limits'][2]


def test_a_card_that_cannot_be_computed_is_tagged_missing_and_the_champion_still_moves(
    tracking_store, small, monkeypatch, capsys
):
    def broken(*args):
        raise ZeroDivisionError('a bug in the card')

    monkeypatch.setattr('mlops.utils.training.steps.card_figures', broken)
    result = register(small)
    assert result['promoted']
    assert str(MlflowClient().get_model_version_by_alias(MODEL, 'champion').version) == str(result['version'])
    tags = version_tags(result['version'])
    assert 'model_card' not in tags
    assert tags['model_card_missing'].startswith('the figures could not be computed: ZeroDivisionError: a bug')
    assert 'WARNING: test-model version 1 has no model card: the figures could not be computed' in (
        capsys.readouterr().out
    )
    assert record.champion_card()['missing'] == tags['model_card_missing']


def test_a_card_that_cannot_be_written_is_tagged_missing_and_changes_no_decision(
    tracking_store, small, monkeypatch, capsys
):
    champion = register(small)

    log_dict = MlflowClient.log_dict

    def refused(self, run_id, document, path):  # the card only: the model's own artifacts are written
        if path.startswith('model_card/'):
            raise OSError('artifact store full')
        return log_dict(self, run_id, document, path)

    monkeypatch.setattr(MlflowClient, 'log_dict', refused)
    worse = register(small, {'hyperparameters': '{"alpha": 0.5}'}, 'linear_model.Lasso')
    assert not worse['promoted'] and worse['role'] == 'rejected challenger'
    assert str(MlflowClient().get_model_version_by_alias(MODEL, 'champion').version) == str(champion['version'])
    assert version_tags(worse['version'])['model_card_missing'].startswith('OSError: artifact store full (')
    assert 'WARNING: test-model version 2 has no model card: OSError' in capsys.readouterr().out


def test_the_dashboard_tables_read_the_champions_card(tracking_store, small):
    assert record.champion_card() == {'missing': 'no champion yet'}
    assert record.slice_chart(record.champion_card()) == (['slice', 'trips', 'RMSE (min)', 'MAE (min)'], [])
    result = register(small)
    found = record.champion_card()
    card = mlflow.artifacts.load_dict(f'runs:/{result["run_id"]}/{JSON_ARTIFACT}')
    assert found['card'] == card and found['version'] == '1'
    columns, rows = record.slice_chart(found)
    overall, slices = card['validation']['overall'], card['validation']['slices']
    assert rows[0] == ['all trips', 100, round(overall['rmse'], 2), round(overall['mae'], 2)]
    assert len(rows) == 1 + sum(len(entries) for entries in slices.values())
    assert rows[1 + len(slices['distance_deciles'])][:2] == ['hour 00:00', 100]
    assert rows[-1][0] == slices['busiest_routes'][-1]['slice']
    _, summary = record.summary_chart(found)
    assert dict(summary)['decision'] == 'promoted to champion (champion before: none)'
    assert dict(summary)['card'] == f'{MARKDOWN_ARTIFACT} of run {result["run_id"]}'


def test_json_safe_gives_plain_json():
    value = {'a': np.float64(1.5), 'b': [np.int32(2), float('nan')], 3: (np.bool_(True), None)}
    assert json_safe(value) == {'a': 1.5, 'b': [2, None], '3': [True, None]}
    json.dumps(json_safe(value), allow_nan=False)
