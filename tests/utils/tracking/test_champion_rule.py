"""The champion rule compares like with like, against a real MLflow registry (embedded store
in a temp folder): every version records its data contract; a challenger with another contract
is tagged "not comparable" and one validated on older months is rejected, whatever their RMSE;
``promote`` turns a run into an experiment (never) or overrides the rule (force). Expected
figures and words are read back from MLflow's records of the versions involved."""

import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from mlops.utils.errors import ConfigError
from mlops.utils.tracking import registry
from mlops.utils.tracking.contract import contract_from_facts, feature_contract, target_unit
from mlops.utils.tracking.history import alias_history
from mlops.utils.tracking.registry import promote_mode
from mlops.utils.tracking.schema import CHAMPION, DATA_TAG_PREFIX
from tests.utils.tracking.constant_versions import FACTS, register

MODEL = 'test-model'  # the tracking_store fixture's registered model name


@pytest.fixture(scope='module')
def minutes(synthetic_data):
    """Constants from best to worst on the validation rows: their mean, then further off."""
    best = float(np.mean(synthetic_data.y_val))
    return {'best': best, 'good': best + 2, 'poor': best + 4}


def version_tags(version):
    return MlflowClient().get_model_version(MODEL, version).tags


def champion():
    return str(MlflowClient().get_model_version_by_alias(MODEL, CHAMPION).version)


def test_a_version_records_its_data_contract_as_its_run_recorded_the_data(tracking_store, synthetic_data, minutes):
    first = register(tracking_store, synthetic_data, minutes['good'])
    client = MlflowClient()
    version = client.get_model_version(MODEL, first.version)
    run_facts = {
        k[len(DATA_TAG_PREFIX) :]: v
        for k, v in client.get_run(version.run_id).data.tags.items()
        if k.startswith('data.')
    }
    assert {k: v for k, v in version.tags.items() if k.startswith('contract.')} == {
        'contract.target': run_facts['target'],
        'contract.target_unit': 'minutes',
        'contract.taxi_colour': run_facts['taxi_colour'],
        'contract.features': feature_contract(),
        'contract.training_months': f'{run_facts["start_month"]}..2024-01',  # rows before the split on 1 Feb
        'contract.validation_months': f'2024-02..{run_facts["end_month"]}',
    }
    assert version.tags['promote'] == 'auto' and version.tags['role'] == 'promoted to champion'


def test_a_challenger_of_another_colour_is_not_comparable_and_leaves_the_champion(
    tracking_store, synthetic_data, minutes
):
    first = register(tracking_store, synthetic_data, minutes['poor'])
    yellow = register(tracking_store, synthetic_data, minutes['best'], taxi_colour='yellow')
    assert yellow.rmse < first.rmse and not yellow.promoted and yellow.champion_rmse is None
    theirs, ours = version_tags(yellow.version), version_tags(first.version)
    assert theirs['role'] == (
        f"not comparable: taxi colour {theirs['contract.taxi_colour']} vs the champion's {ours['contract.taxi_colour']}"
    )
    assert 'champion_validation_rmse' not in theirs  # no figure of a comparison not made
    assert champion() == first.version


def test_a_challenger_of_another_target_is_not_comparable_even_without_a_champion(
    tracking_store, synthetic_data, minutes
):
    dollars = register(tracking_store, synthetic_data, minutes['best'], target='tip_amount')
    assert not dollars.promoted
    assert version_tags(dollars.version)['role'] == (
        'not comparable: target tip_amount (dollars) is not what the champion serves: duration (minutes)'
    )
    assert MlflowClient().get_registered_model(MODEL).aliases == {}
    first = register(tracking_store, synthetic_data, minutes['poor'])
    again = register(tracking_store, synthetic_data, minutes['best'], target='tip_amount')
    assert version_tags(again.version)['role'] == (
        f"not comparable: target tip_amount ({target_unit('tip_amount')}) vs the champion's "
        f'{version_tags(first.version)["contract.target"]} (minutes)'
    )
    assert champion() == first.version


def test_a_challenger_computing_other_features_is_not_comparable(tracking_store, synthetic_data, minutes, monkeypatch):
    monkeypatch.setattr(registry, 'feature_contract', lambda: 'PULocationID:int64, DOLocationID:int64 -> PU_DO')
    older_code = register(
        tracking_store, synthetic_data, minutes['poor']
    )  # as a version of the project before a new input
    monkeypatch.undo()
    challenger = register(tracking_store, synthetic_data, minutes['best'])
    tags = version_tags(challenger.version)
    assert tags['role'] == (
        f"not comparable: features {tags['contract.features']} vs the champion's "
        f'{version_tags(older_code.version)["contract.features"]}'
    )
    assert not challenger.promoted and champion() == older_code.version


def test_a_challenger_validated_on_older_months_does_not_replace_the_champion(tracking_store, synthetic_data, minutes):
    march = register(
        tracking_store, synthetic_data, minutes['poor'], end_month='2024-03', split_on_feature_value='2024-03-01'
    )
    february = register(tracking_store, synthetic_data, minutes['best'])
    assert february.rmse < february.champion_rmse  # better on the same rows, and still not champion
    theirs, ours = version_tags(february.version), version_tags(march.version)
    assert theirs['role'] == (
        f"rejected challenger: validated on {theirs['contract.validation_months']}, older than the champion's "
        f'{ours["contract.validation_months"]}'
    )
    assert float(theirs['champion_validation_rmse']) == pytest.approx(march.rmse)  # same rows: same figure
    assert champion() == march.version
    april = register(
        tracking_store, synthetic_data, minutes['best'], end_month='2024-04', split_on_feature_value='2024-04-01'
    )
    assert april.promoted and champion() == april.version  # newer months and better: the rule as before


def test_promote_never_registers_and_compares_an_experiment_without_moving_the_alias(
    tracking_store, synthetic_data, minutes
):
    first = register(tracking_store, synthetic_data, minutes['poor'])
    experiment = register(tracking_store, synthetic_data, minutes['best'], promote='never')
    tags = version_tags(experiment.version)
    assert not experiment.promoted and experiment.rmse < experiment.champion_rmse
    assert float(tags['champion_validation_rmse']) == pytest.approx(first.rmse)
    assert tags['role'] == 'experiment (promote=never), auto would say: promoted to champion'
    assert tags['promote'] == 'never' and champion() == first.version
    assert [m.to_version for m in alias_history(MlflowClient(), MODEL)] == [first.version]


def test_promote_force_replaces_the_champion_whatever_its_figures_but_not_with_another_target(
    tracking_store, synthetic_data, minutes
):
    first = register(tracking_store, synthetic_data, minutes['best'])
    forced = register(tracking_store, synthetic_data, minutes['poor'], promote='force', taxi_colour='yellow')
    assert forced.promoted and champion() == forced.version
    assert version_tags(forced.version)['role'] == (
        'promoted to champion (promote=force), auto would say: not comparable: taxi colour yellow vs the '
        f"champion's {version_tags(first.version)['contract.taxi_colour']}"
    )
    last = alias_history(MlflowClient(), MODEL)[-1]
    assert (last.from_version, last.to_version, last.kind) == (first.version, forced.version, 'forced promotion')
    dollars = register(
        tracking_store, synthetic_data, minutes['best'], promote='force', target='tip_amount', taxi_colour='yellow'
    )
    assert not dollars.promoted and champion() == forced.version
    assert version_tags(dollars.version)['role'].startswith('not comparable: target tip_amount (dollars)')


def test_a_champion_registered_before_contracts_is_compared_on_what_its_run_recorded(
    tracking_store, synthetic_data, minutes
):
    old = register(tracking_store, synthetic_data, minutes['poor'])
    client = MlflowClient()
    for tag in [t for t in version_tags(old.version) if t.startswith('contract.')]:
        client.delete_model_version_tag(MODEL, old.version, tag)  # as a version registered before them
    recorded = client.get_run(client.get_model_version(MODEL, old.version).run_id).data.tags['data.taxi_colour']
    yellow = register(tracking_store, synthetic_data, minutes['best'], taxi_colour='yellow')
    assert version_tags(yellow.version)['role'] == f"not comparable: taxi colour yellow vs the champion's {recorded}"
    green = register(tracking_store, synthetic_data, minutes['best'])  # its features are not recorded: not compared
    assert green.promoted and green.champion_rmse == pytest.approx(old.rmse)


@pytest.mark.parametrize('value, expected', [('', 'auto'), (None, 'auto'), (' Never ', 'never'), ('force', 'force')])
def test_promote_values(value, expected):
    assert promote_mode(value) == expected


def test_an_unknown_promote_value_is_refused_by_name():
    with pytest.raises(ConfigError, match="promote must be auto, never or force, got 'always'"):
        promote_mode('always')


@pytest.mark.parametrize(
    'facts, training, validation',
    [
        (FACTS, '2024-01..2024-01', '2024-02..2024-02'),
        ({**FACTS, 'split_on_feature_value': '2024-02-15'}, '2024-01..2024-02', '2024-02..2024-02'),
        (
            {**FACTS, 'training_end': '2024-01-31 23:58:00', 'validation_start': '2024-02-01 00:00:12'},
            '2024-01..2024-01',
            '2024-02..2024-02',
        ),
        ({'start_month': '2024-01'}, '', ''),  # not recorded: not compared
    ],
)
def test_contract_months_from_data_preparations_facts(facts, training, validation):
    contract = contract_from_facts(facts)
    assert (contract.training_months, contract.validation_months) == (training, validation)
