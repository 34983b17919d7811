"""The retraining decision and its children, with the children replaced by a recorder (the
server test runs them for real)."""

from __future__ import annotations

import json

import pytest
from mlflow.tracking import MlflowClient

from mlops.utils.errors import ConfigError
from mlops.utils.triggering.retraining import RETRAINING_STEPS, RetrainingError, retrain, retraining_plan
from tests.sources import months_folder


@pytest.fixture
def champion_on(tracking_store, tmp_path, shared_data):
    """A champion trained on 2023-01..03 of a source folder that holds those months."""
    source = months_folder(tmp_path / 'source', shared_data, ['2023-01', '2023-02', '2023-03'])
    client = MlflowClient()
    run = client.create_run(
        tracking_store,
        tags={
            'data.start_month': '2023-01',
            'data.end_month': '2023-03',
            'data.taxi_colour': 'green',
            'data.data_source': str(source),
            'data.split_on_feature': 'lpep_pickup_datetime',
        },
    )
    client.create_registered_model('test-model')
    version = client.create_model_version('test-model', f'runs:/{run.info.run_id}/model', run.info.run_id)
    client.set_registered_model_alias('test-model', 'champion', version.version)
    return source


def recorder(statuses=None):
    calls = []

    def run_child(step, variables, timeout):
        calls.append((step.label, variables, timeout))
        return {
            'status': (statuses or {}).get(step.pipeline, 'completed'),
            'pipeline_run_id': len(calls),
            'error': 'ValueError: boom',
        }

    return calls, run_child


def test_no_new_month_runs_nothing(champion_on):
    calls, run_child = recorder()
    summary = retrain({}, run_child=run_child, log=lambda message: None)
    assert calls == [] and summary['retrained'] is False
    assert summary['message'].startswith(f'no new month after 2023-03 at {champion_on}')


def test_a_new_month_runs_each_child_with_its_own_variables(champion_on):
    (champion_on / 'taxi' / 'green' / '2023' / '04.parquet').write_bytes(b'')
    calls, run_child = recorder()
    summary = retrain(
        {
            'sklearn_variables': json.dumps({'max_evaluations': 2}),  # as a form sends it
            'xgboost_variables': {'num_boost_round': 20},
            'child_timeout_seconds': '60',
        },
        run_child=run_child,
        log=lambda message: None,
    )
    assert [label for label, _, _ in calls] == [step.label for step in RETRAINING_STEPS]
    assert calls[0][1] == {
        'start_month': '2023-02',
        'end_month': '2023-04',
        'split_on_feature_value': '2023-04-01',
        'taxi_colour': 'green',
        'data_source': str(champion_on),
        'split_on_feature': 'lpep_pickup_datetime',
    }
    assert calls[1][1] == {'max_evaluations': 2} and calls[2][1] == {'num_boost_round': 20}
    assert {timeout for _, _, timeout in calls} == {60.0}
    assert summary['retrained'] is True and summary['champion_after'] == summary['champion_before']


def test_a_failed_child_fails_the_retraining_and_stops_there(champion_on):
    (champion_on / 'taxi' / 'green' / '2023' / '04.parquet').write_bytes(b'')
    calls, run_child = recorder({'sklearn_training': 'failed'})
    with pytest.raises(
        RetrainingError,
        match=r'unit_2_training/sklearn_training failed \(ValueError: boom\); '
        r'test-model version 1 stays champion',
    ):
        retrain({}, run_child=run_child, log=lambda message: None)
    assert [label for label, _, _ in calls] == [step.label for step in RETRAINING_STEPS[:2]]


def test_a_retraining_while_another_runs_trains_nothing_and_says_so(champion_on, tmp_path, monkeypatch):
    """One retraining at a time, whichever trigger started it: the lock is held by a live
    retraining (here this process), so the second runs no child and names the first."""
    from mlops.utils.triggering.retraining import retraining_lock

    monkeypatch.setenv('MAGE_DATA_DIR', str(tmp_path / 'mage'))  # the platform state: its lock
    (champion_on / 'taxi' / 'green' / '2023' / '04.parquet').write_bytes(b'')
    first = retraining_lock()
    assert first.try_acquire('retraining run 7')
    try:
        calls, run_child = recorder()
        summary = retrain({'pipeline_run_id': 8}, run_child=run_child, log=lambda message: None)
    finally:
        first.release()
    assert calls == [] and summary['retrained'] is False
    assert summary['message'].startswith('another retraining is running (retraining run 7, since ')
    assert summary['message'].endswith('test-model version 1 stays champion')
    calls, run_child = recorder()
    assert retrain({'pipeline_run_id': 9}, run_child=run_child, log=lambda message: None)['retrained'] is True
    assert len(calls) == len(RETRAINING_STEPS)


def test_variables_are_checked_before_any_child_runs(champion_on):
    (champion_on / 'taxi' / 'green' / '2023' / '04.parquet').write_bytes(b'')
    calls, run_child = recorder()
    with pytest.raises(ConfigError, match=r'xgboost_variables: xgboost_training has no variable\(s\) models; it has '):
        retrain({'xgboost_variables': {'models': 'x'}}, run_child=run_child, log=lambda message: None)
    with pytest.raises(ConfigError, match='sklearn_variables is not valid JSON'):
        retrain({'sklearn_variables': '{max_evaluations: 2}'}, run_child=run_child, log=lambda message: None)
    assert calls == []


@pytest.mark.parametrize(
    'variables, posted, message',
    [
        # a retrain_now request: what it posted, checked against the allow-list and bounds
        (
            {'trigger_name': 'retrain_now', 'pipeline_run_id': 5, 'data_source': '/srv/other'},
            {'data_source': '/srv/other'},
            "data_source cannot be set through the API (got '/srv/other')",
        ),
        (
            {'trigger_name': 'retrain_now', 'pipeline_run_id': 5},
            {'xgboost_variables': {'num_boost_round': 10**6}},
            'xgboost_variables.num_boost_round must be a whole number in [1, 10000], got 1000000',
        ),
        # any run: the child timeout is a bounded number
        (
            {'child_timeout_seconds': 'nan'},
            {},
            "child_timeout_seconds must be a finite number in [60, 86400], got 'nan'",
        ),
        (
            {'child_timeout_seconds': 'abc'},
            {},
            "child_timeout_seconds must be a finite number in [60, 86400], got 'abc'",
        ),
    ],
)
def test_a_refused_variable_stops_the_run_before_any_work(variables, posted, message, monkeypatch):
    """Through ``retrain`` (the block's function; the sensor's ``retraining_plan`` checks the
    same first): refused before MLflow is reached (nothing listens at its URI here) and before
    any child runs."""
    from mlops.utils.triggering import api_variables
    from testkit.servers import free_port

    monkeypatch.setenv('MLFLOW_TRACKING_URI', f'http://127.0.0.1:{free_port()}')
    monkeypatch.delenv(api_variables.ALLOW_DATA_SOURCE_ENV, raising=False)
    monkeypatch.setattr(api_variables, 'posted_variables', lambda run_id: posted)
    calls, run_child = recorder()
    with pytest.raises(ConfigError) as refused:
        retrain(variables, run_child=run_child, log=lambda message: None)
    assert message in str(refused.value) and calls == []


def test_the_operator_may_let_the_api_choose_the_source(champion_on, monkeypatch):
    from mlops.utils.triggering import api_variables

    monkeypatch.setenv(api_variables.ALLOW_DATA_SOURCE_ENV, 'on')
    monkeypatch.setattr(api_variables, 'posted_variables', lambda run_id: {'data_source': str(champion_on)})
    calls, run_child = recorder()
    summary = retrain(
        {'trigger_name': 'retrain_now', 'pipeline_run_id': 5, 'data_source': str(champion_on)},
        run_child=run_child,
        log=lambda message: None,
    )
    assert summary['retrained'] is False and summary['message'].startswith('no new month after 2023-03')


@pytest.mark.parametrize(
    'variables, retrained',
    [
        ({'retrain_after_new_months': 2}, False),
        ({'retrain_after_new_months': '2', 'requested_by': 'monitoring run x: 2 of 3 breached'}, True),
        ({'retrain_after_new_months': 2, 'trigger_name': 'retrain_now', 'pipeline_run_id': 7}, True),
        ({'retrain_after_new_months': 1}, True),
    ],
)
def test_the_cadence_waits_unless_someone_asked(champion_on, variables, retrained, monkeypatch):
    (champion_on / 'taxi' / 'green' / '2023' / '04.parquet').write_bytes(b'')
    monkeypatch.setattr('mlops.utils.triggering.api_variables.posted_variables', lambda run_id: {})
    calls, run_child = recorder()
    summary = retrain(variables, run_child=run_child, log=lambda message: None)
    assert summary['retrained'] is retrained and bool(calls) is retrained
    if retrained:
        assert summary['why'] == (
            f'requested: {variables["requested_by"]}'
            if 'requested_by' in variables
            else '1 new month(s), the cadence retrains on 1 (retrain_after_new_months)'
        )
    else:
        assert 'retraining waits for 2 (retrain_after_new_months)' in summary['message']


@pytest.mark.parametrize(
    'variables, named',
    [
        ({'retrain_after_new_months': 0}, 'retrain_after_new_months must be a whole number in [1, 12]'),
        ({'retrain_after_new_months': 'nan'}, 'retrain_after_new_months must be a whole number'),
        ({'requested_by': 'x' * 2001}, 'requested_by must be text of at most 2000 characters'),
        ({'requested_by': 5}, 'requested_by must be text'),
    ],
)
def test_a_bad_cadence_or_request_is_named_before_any_work(variables, named):
    with pytest.raises(ConfigError) as error:
        retraining_plan(variables)
    assert named in str(error.value)
