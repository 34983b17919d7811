"""The plan: which version scores which months of which colour, asked of the real registry and
source; the months chosen by the new-month rule of retraining when none are given."""

from pathlib import Path

import pytest

from mlops.utils.batch_scoring.plan import Plan, make_plan
from mlops.utils.batch_scoring.variables import batch_variables
from mlops.utils.errors import ConfigError, SourceError
from tests.utils.batch_scoring.conftest import MODEL


def plan_for(registry, tmp_path, **kwargs) -> Plan:
    from mlflow.tracking import MlflowClient

    variables = {'data_source': str(registry.source), 'output': str(tmp_path / 'out'), **kwargs}
    return make_plan(batch_variables(variables), MlflowClient(), MODEL, mage_run='12')


def test_by_default_the_champion_scores_the_newest_month_at_the_source(registry, tmp_path):
    plan = plan_for(registry, tmp_path)
    assert (plan.model, plan.model_version, plan.champion) == (MODEL, registry.champion, True)
    assert plan.months == ['2023-04'] and plan.skipped_months == []  # trained to 2023-02; the source has 03, 04
    assert plan.taxi_colour == 'green'  # the model's own
    assert plan.files() == {
        '2023-04': str(tmp_path / 'out' / 'green' / '2023-04' / f'{MODEL}-v{registry.champion}.parquet')
    }
    assert plan.token.startswith('run-12-') and plan.mage_run == '12'
    assert Plan.from_dict(plan.to_dict()) == plan
    assert f'{MODEL} v{registry.champion} (the champion) scores green trips of 2023-04' in plan.describe()


def test_months_as_data_preparation_takes_them(registry, tmp_path):
    assert plan_for(registry, tmp_path, start_month='2023-01', end_month='2023-03').months == [
        '2023-01',
        '2023-02',
        '2023-03',
    ]
    assert plan_for(registry, tmp_path, start_month='2023-03').months == ['2023-03', '2023-04']  # to the newest
    assert plan_for(registry, tmp_path, end_month='2023-02').months == ['2023-02']
    with pytest.raises(ConfigError, match=r'start_month 2023-06 is after the newest month at the source \(2023-04\)'):
        plan_for(registry, tmp_path, start_month='2023-06')


def test_a_named_version_scores_and_is_not_called_the_champion(registry, tmp_path):
    plan = plan_for(registry, tmp_path, model_version=registry.older, end_month='2023-03')
    assert (plan.model_version, plan.champion, plan.months) == (registry.older, False, ['2023-03'])
    assert plan.files()['2023-03'].endswith(f'{MODEL}-v{registry.older}.parquet')
    assert plan_for(registry, tmp_path, model_version=registry.champion).champion is True


def test_the_daily_trigger_skips_months_the_version_has_scored(registry, tmp_path):
    plan = plan_for(registry, tmp_path, score_new_months=True)
    assert plan.months == ['2023-03', '2023-04'] and plan.skipped_months == []
    done = plan.files()['2023-03']
    Path(done).parent.mkdir(parents=True)
    Path(done).write_bytes(b'scored')
    again = plan_for(registry, tmp_path, score_new_months=True)
    assert again.months == ['2023-04'] and again.skipped_months == ['2023-03']
    assert 'already scored by' in again.describe()
    other = plan_for(registry, tmp_path, score_new_months=True, model_version=registry.older)
    assert other.months == ['2023-03', '2023-04']  # another version's file is not this one's


def test_what_cannot_be_planned_is_named(registry, tmp_path):
    with pytest.raises(ConfigError, match=f"model_version 99: {MODEL} has no version '99'"):
        plan_for(registry, tmp_path, model_version='99')
    with pytest.raises(
        ConfigError, match=f'{MODEL} v{registry.champion} was trained on green trips: it does not score'
    ):
        plan_for(registry, tmp_path, taxi_colour='yellow')
    with pytest.raises(SourceError, match='data source folder .*no-such-folder does not exist'):
        plan_for(registry, tmp_path, data_source=str(tmp_path / 'no-such-folder'))


def test_no_champion_yet_is_named(tracking_store, tmp_path):
    from mlflow.tracking import MlflowClient

    with pytest.raises(ConfigError, match="model 'test-model' has no 'champion' version yet"):
        make_plan(batch_variables({'output': str(tmp_path)}), MlflowClient(), 'test-model')
