"""The retraining story through a running Mage server (auth on, 127.0.0.1): a source with
2023-01..03 and a champion trained on it; nothing new -> completes and says why; 2023-04 added
-> the retraining run registers new versions and the alias follows the registry rule; again ->
nothing; an unreadable new month -> the child that reads it fails, and the run fails naming it
and its error; a missing source -> the run fails naming it; the champion untouched by both."""

from __future__ import annotations

import pytest
from mlflow.tracking import MlflowClient

from mlops.utils.triggering.mage_api import MageApiError, MageClient
from testkit.chain import QUICK_XGBOOST, run_chain
from testkit.registered import embedded_store
from testkit.servers import mage_server, owner_client, signed_in_env
from tests.sources import link_month, months_folder

pytestmark = pytest.mark.slow
MODEL = 'nyc-taxi-duration'
SMALL_TRAINING = {
    'sklearn_variables': {'models': 'linear_model.LinearRegression', 'max_evaluations': 1},
    'xgboost_variables': {'max_evaluations': 1, **QUICK_XGBOOST},
}


def versions(client):
    return {v.version: v for v in client.search_model_versions(f"name = '{MODEL}'")}


@pytest.fixture(scope='module')
def retraining(tmp_path_factory, shared_data):
    root = tmp_path_factory.mktemp('retraining')
    source = months_folder(root / 'source', shared_data, ['2023-01', '2023-02', '2023-03'])
    result = run_chain(
        root,
        '--source',
        str(source),
        '--pipelines',
        'prepare_training_set,sklearn_training',  # a champion to compare with: the linear model
        '--set',
        'start_month=2023-01',
        '--set',
        'end_month=2023-03',
        '--set',
        'split_on_feature_value=2023-03-01',
        '--set',
        'models=linear_model.LinearRegression',
        '--set',
        'max_evaluations=1',
        timeout=1800,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # the operator lets retrain_now choose the source: the last test points it at a missing one
    env = {**signed_in_env(root), 'SCHEDULER_TRIGGER_INTERVAL': '1', 'MLOPS_API_ALLOW_DATA_SOURCE': 'on'}
    with embedded_store(root / 'data'), mage_server(root, env=env) as server:  # the tests read the job's registry
        yield root, source, owner_client(server, env)


def retrain_now(client: MageClient, variables: dict) -> dict:
    trigger = client.api_trigger('automatic_retraining', 'retrain_now', wait=60)
    rows = client.run_and_read(trigger, variables, 'retrain', timeout=1800)
    assert len(rows) == 1
    return rows[0]


def test_the_triggers_are_synced_with_their_settings(retraining):
    _, _, client = retraining
    client.api_trigger('automatic_retraining', 'retrain_now', wait=60)
    schedules = {
        s['name']: s
        for s in client.get('/api/pipeline_schedules')['pipeline_schedules']
        if s['pipeline_uuid'] == 'automatic_retraining'
    }
    daily = schedules['daily_retraining']
    # inactive: this test's server pauses time triggers (MLOPS_TIME_TRIGGERS=off); that they are
    # live on a default start is tests/test_platform_server.py's
    assert daily['schedule_type'] == 'time' and daily['schedule_interval'] == '@daily' and daily['status'] == 'inactive'
    assert daily['sla'] and daily['settings']['skip_if_previous_running'] is True


def test_nothing_new_completes_and_says_why(retraining):
    root, source, client = retraining
    before = versions(MlflowClient())
    summary = retrain_now(client, SMALL_TRAINING)
    assert summary['retrained'] is False and summary['children'] == []
    assert summary['message'].startswith(f'no new month after 2023-03 at {source}')
    assert versions(MlflowClient()).keys() == before.keys()


def test_a_new_month_retrains_and_the_alias_follows_the_rule(retraining, shared_data):
    root, source, client = retraining
    registry_client = MlflowClient()
    before = versions(registry_client)
    champion_before = registry_client.get_model_version_by_alias(MODEL, 'champion').version
    link_month(source, shared_data, '2023-04')

    summary = retrain_now(client, SMALL_TRAINING)
    assert summary['retrained'] is True and summary['new_months'] == ['2023-04']
    assert [c['status'] for c in summary['children']] == ['completed'] * 3
    new = {k: v for k, v in versions(registry_client).items() if k not in before}
    reported = [m['version'] for c in summary['children'] for m in c.get('models', [])]
    assert sorted(map(str, reported)) == sorted(map(str, new))  # one version per model trained, all reported
    champion = champion_before
    for version in sorted(new, key=int):  # registered in this order; each compared with the champion of its time
        tags, run = new[version].tags, registry_client.get_run(new[version].run_id)
        assert run.data.tags['data.end_month'] == '2023-04' and run.data.tags['data.start_month'] == '2023-02'
        better = float(tags['validation_rmse']) < float(tags['champion_validation_rmse'])
        assert tags['role'] == ('promoted to champion' if better else 'rejected challenger')
        champion = version if better else champion
    assert registry_client.get_model_version_by_alias(MODEL, 'champion').version == champion
    assert summary['champion_after'] == str(champion)

    again = retrain_now(client, SMALL_TRAINING)
    assert again['retrained'] is False and again['message'].startswith('no new month after 2023-04')
    assert versions(registry_client).keys() == set(before) | set(new)


def test_a_child_that_fails_fails_the_run_naming_it_and_its_error(retraining):
    root, source, client = retraining
    registry_client = MlflowClient()
    champion = registry_client.get_model_version_by_alias(MODEL, 'champion').version
    count = len(versions(registry_client))
    corrupt = source / 'taxi' / 'green' / '2023' / '05.parquet'  # a new month the training set cannot read
    corrupt.write_bytes(b'not a parquet file')
    try:
        with pytest.raises(MageApiError) as failed:
            retrain_now(client, SMALL_TRAINING)
    finally:
        corrupt.unlink()
    message = str(failed.value)
    assert 'unit_2_training/prepare_training_set failed (' in message and '05.parquet' in message, message
    assert f'version {champion} stays champion' in message, message
    assert registry_client.get_model_version_by_alias(MODEL, 'champion').version == champion
    assert len(versions(registry_client)) == count


def test_a_missing_source_fails_the_run_naming_it(retraining, tmp_path):
    root, _, client = retraining
    registry_client = MlflowClient()
    champion = registry_client.get_model_version_by_alias(MODEL, 'champion').version
    count = len(versions(registry_client))
    missing = tmp_path / 'no-such-source'
    with pytest.raises(MageApiError) as failed:
        retrain_now(client, {'data_source': str(missing)})
    assert 'failed' in str(failed.value) and str(missing) in str(failed.value)
    assert registry_client.get_model_version_by_alias(MODEL, 'champion').version == champion
    assert len(versions(registry_client)) == count
