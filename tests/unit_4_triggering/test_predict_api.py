"""The predict pipeline through a running Mage server with authentication on: its API trigger,
the answers compared with the champion's own, named refusals, and a moved alias."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from mlops.utils.inference.clients import predict_through_mage
from mlops.utils.model_code.features import INPUT_COLUMNS
from mlops.utils.triggering.api_command import EXAMPLE_TRIPS
from mlops.utils.triggering.mage_api import MageApiError
from testkit.chain import REPO_ROOT
from testkit.commands import run_command
from testkit.registered import embedded_store

pytestmark = pytest.mark.slow
RTOL = 1e-9  # Mage's output view keeps 10 significant digits


def champion_predictions(server, records):
    """What the registered champion itself answers, loaded in this process."""
    import mlflow

    with embedded_store(server.root / 'data'):
        name = server.env['MLOPS_REGISTERED_MODEL']
        version = MlflowClient().get_model_version_by_alias(name, 'champion').version
        return str(version), mlflow.pyfunc.load_model(f'models:/{name}@champion').predict(records)


def set_champion(server, version: str) -> None:
    with embedded_store(server.root / 'data'):
        MlflowClient().set_registered_model_alias(server.env['MLOPS_REGISTERED_MODEL'], 'champion', version)


def test_a_batch_through_the_api_equals_the_champions_answers(triggering_server):
    server = triggering_server
    records = server.data.validation_records().drop(columns=['duration']).sample(200, random_state=1)
    server.client.api_trigger('predict', 'predict_api', wait=60)
    rows = predict_through_mage(server.client, {'inputs': records.to_dict(orient='records')}, timeout=300)
    version, expected = champion_predictions(server, records)
    assert [row['model_version'] for row in rows] == [version] * len(records)
    assert version == server.versions['linear']
    assert [[row[c] for c in INPUT_COLUMNS] for row in rows] == records[INPUT_COLUMNS].values.tolist()
    assert np.allclose([row['predicted_minutes'] for row in rows], expected, rtol=RTOL, atol=0)


def test_one_trip_from_text_variables_as_a_form_sends_them(triggering_server):
    server = triggering_server
    trip = server.data.validation_records().drop(columns=['duration']).iloc[[7]]
    variables = {k: str(v) for k, v in trip.to_dict(orient='records')[0].items()}
    server.client.api_trigger('predict', 'predict_api', wait=60)
    rows = predict_through_mage(server.client, variables, timeout=300)
    _, expected = champion_predictions(server, trip)
    assert len(rows) == 1 and np.allclose(rows[0]['predicted_minutes'], expected, rtol=RTOL, atol=0)


@pytest.mark.parametrize(
    'variables, message',
    [
        (
            {
                'inputs': [
                    {'PULocationID': 74, 'DOLocationID': 75, 'trip_distance': 1.3},
                    {'PULocationID': 74, 'trip_distance': 2},
                ]
            },
            'inputs[1] lacks DOLocationID',
        ),
        (
            {'inputs': [{'PULocationID': 74, 'DOLocationID': 75, 'trip_distance': 'far'}]},
            "inputs[0].trip_distance must be a number of miles, got 'far'",
        ),
        ({'PULocationID': 74}, 'missing: DOLocationID, trip_distance'),
        (
            {'inputs': [{'PULocationID': 10**20, 'DOLocationID': 75, 'trip_distance': 1.3}]},
            'inputs[0].PULocationID must be a location id (an integer in [1, 2147483647]), got 100000000000000000000',
        ),
        # only predict's own variables through the API; a posted trigger_name cannot pose as another trigger
        (
            {'inputs': [{'PULocationID': 74, 'DOLocationID': 75, 'trip_distance': 1.3}], 'trigger_name': 'x'},
            'predict_api takes no variable(s) trigger_name through the API',
        ),
    ],
)
def test_bad_inputs_fail_the_run_with_the_reason(triggering_server, variables, message):
    server = triggering_server
    trigger = server.client.api_trigger('predict', 'predict_api', wait=60)
    with pytest.raises(MageApiError) as failed:
        server.client.run_and_read(trigger, variables, 'inference', timeout=300)
    assert 'failed' in str(failed.value) and message in str(failed.value)


def test_the_next_prediction_follows_a_moved_alias(triggering_server):
    server = triggering_server
    records = server.data.validation_records().drop(columns=['duration']).head(20)
    server.client.api_trigger('predict', 'predict_api', wait=60)
    set_champion(server, server.versions['constant'])
    try:
        rows = predict_through_mage(server.client, {'inputs': records.to_dict(orient='records')}, timeout=300)
        version, expected = champion_predictions(server, records)
    finally:
        set_champion(server, server.versions['linear'])
    assert {row['model_version'] for row in rows} == {version} == {server.versions['constant']}
    minutes = [row['predicted_minutes'] for row in rows]
    assert np.allclose(minutes, expected, rtol=RTOL, atol=0)
    assert len(set(minutes)) == 1  # the constant model answers one value for all


def predict_api_sh(server, *args, **extra: str):
    env = {
        **os.environ,
        'MAGE_URL': server.url,
        'DEFAULT_OWNER_EMAIL': server.client.email,
        'DEFAULT_OWNER_PASSWORD': server.client.password,
        'MLOPS_SESSION_FILE': str(server.root / 'mage-sessions.json'),
        **extra,
    }
    return run_command(['bash', 'scripts/predict_api.sh', *args], cwd=REPO_ROOT, env=env, timeout=600)


def test_predict_api_sh_prints_a_curl_that_works_and_runs_a_request(triggering_server):
    server = triggering_server
    server.client.api_trigger('predict', 'predict_api', wait=60)
    printed = predict_api_sh(server, '--show-token')  # the token is left out unless asked
    assert printed.returncode == 0, printed.stderr
    curl = printed.stdout.strip()
    assert curl.startswith('curl ') and server.client.api_trigger('predict').token in curl
    posted = run_command(['bash', '-c', curl], timeout=60)
    run_id = json.loads(posted.stdout)['pipeline_run']['id']
    assert server.client.wait(run_id, timeout=300)['status'] == 'completed'
    rows = server.client.block_output(run_id, 'inference')
    trips = pd.DataFrame(EXAMPLE_TRIPS['inputs'])[INPUT_COLUMNS]
    _, expected = champion_predictions(server, trips)
    assert np.allclose([r['predicted_minutes'] for r in rows], expected, rtol=RTOL, atol=0)

    trip = {'PULocationID': 41, 'DOLocationID': 42, 'trip_distance': 2.5}
    ran = predict_api_sh(server, '--run', json.dumps({'inputs': [trip]}))
    assert ran.returncode == 0, ran.stderr
    _, expected = champion_predictions(server, pd.DataFrame([trip]))
    assert np.allclose([r['predicted_minutes'] for r in json.loads(ran.stdout)], expected, rtol=RTOL, atol=0)
    refused = predict_api_sh(server, '--run', '{"inputs": [{"PULocationID": 41}]}')
    assert refused.returncode == 1 and 'inputs[0] lacks DOLocationID, trip_distance' in refused.stderr


def test_predict_api_sh_retrain_prints_the_retrain_now_curl_and_runs_it(triggering_server):
    """``--retrain``: the same for automatic_retraining's retrain_now; with the champion's months
    all there is, the run completes and says so."""
    server = triggering_server
    trigger = server.client.api_trigger('automatic_retraining', 'retrain_now', wait=60)
    printed = predict_api_sh(server, '--retrain', '--show-token')
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith('curl ') and trigger.token in printed.stdout and "'retrain'" in printed.stderr
    ran = predict_api_sh(server, '--retrain', '--run', '{}', '--timeout', '300')
    assert ran.returncode == 0, ran.stderr
    [summary] = json.loads(ran.stdout)
    facts = server.data.preparation
    assert summary['retrained'] is False
    assert summary['message'].startswith(f'no new month after {facts["end_month"]} at {facts["data_source"]}')


def test_predict_api_sh_signs_in_once_and_again_when_mage_refuses_the_kept_session(triggering_server, tmp_path):
    """A sign-in is a second of bcrypt on the server: the script keeps the session it got (a file
    only its owner reads) and signs in again only when Mage refuses it."""
    server = triggering_server
    sessions, log = tmp_path / 'sessions.json', server.root / 'mage-server.log'
    trip = json.dumps({'inputs': [{'PULocationID': 41, 'DOLocationID': 42, 'trip_distance': 2.5}]})

    def sign_ins() -> int:
        return log.read_text().count('POST /api/sessions')

    before = sign_ins()
    for _ in range(3):
        ran = predict_api_sh(server, '--run', trip, MLOPS_SESSION_FILE=str(sessions))
        assert ran.returncode == 0, ran.stderr
    assert sign_ins() == before + 1
    assert sessions.stat().st_mode & 0o777 == 0o600
    [(key, token)] = json.loads(sessions.read_text()).items()
    assert key == f'{server.client.email} @ {server.url}'
    sessions.write_text(json.dumps({key: 'a-token-mage-never-issued'}))
    sessions.chmod(0o600)
    ran = predict_api_sh(server, '--run', trip, MLOPS_SESSION_FILE=str(sessions))
    assert ran.returncode == 0, ran.stderr
    assert sign_ins() == before + 2
    assert json.loads(sessions.read_text())[key] not in (token, 'a-token-mage-never-issued')


@pytest.mark.parametrize(
    'variables, message',
    [
        ({'data_source': '/srv/elsewhere'}, "data_source cannot be set through the API (got '/srv/elsewhere')"),
        ({'child_timeout_seconds': 'nan'}, "child_timeout_seconds must be a finite number in [60, 86400], got 'nan'"),
        ({'xgboost_variables': {'num_boost_round': 10**6}}, 'xgboost_variables.num_boost_round must be a whole number'),
        ({'retrain': 'yes'}, 'retrain_now takes no variable(s) retrain through the API'),
    ],
)
def test_retrain_now_takes_only_what_the_operator_allows(triggering_server, variables, message):
    """Refused by the first block (the sensor), before the source is asked or anything trained."""
    server = triggering_server
    trigger = server.client.api_trigger('automatic_retraining', 'retrain_now', wait=60)
    with pytest.raises(MageApiError) as failed:
        server.client.run_and_read(trigger, variables, 'retrain', timeout=300)
    assert 'failed' in str(failed.value) and message in str(failed.value) and 'detect_new_data' in str(failed.value)
