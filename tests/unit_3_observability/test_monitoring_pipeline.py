"""The monitoring pipeline through Mage (headless, as the runner runs a pipeline), on a store
whose champion was fitted on 2023-01 and validated on 2023-02 of the shared data."""

from __future__ import annotations

from typing import Optional

import pytest

from testkit.chain import chain_env, run_headless
from testkit.registered import embedded_store, register_linear_on
from testkit.servers import MailServer, free_port

pytestmark = pytest.mark.slow
PROJECT, PIPELINE = 'unit_3_observability', 'monitoring'


@pytest.fixture(scope='module')
def store(tmp_path_factory, shared_data):
    root = tmp_path_factory.mktemp('monitoring')
    with embedded_store(root / 'data') as experiment:
        register_linear_on(experiment, str(shared_data), '2023-01', '2023-02')
    return root


def run_monitoring(root, variables: dict, name: str, env: Optional[dict] = None) -> dict:
    return run_headless(root, PROJECT, PIPELINE, variables, name, chain_env(root, env), timeout=600)


def test_a_month_is_scored_and_a_crossed_threshold_fails_the_run(store):
    within = run_monitoring(store, {'month': '2023-03', 'threshold_rmse_increase': 10, 'threshold_psi': 10}, 'within')
    assert within['status'] == 'completed', within['log'][-3000:]
    assert 'scored on 2023-03' in within['log'] and 'within every threshold' in within['log']
    with MailServer() as mail:
        crossed = run_monitoring(store, {'month': '2023-03', 'threshold_unseen_routes': 0}, 'crossed', mail.env())
        messages = mail.wait_for(1)
    assert crossed['status'] == 'failed'
    assert 'already scored on 2023-03' in crossed['log'] and 'routes the model never saw' in crossed['log']
    # The failure alert, through a real SMTP server: the pipeline, the failed block, the error.
    assert len(messages) == 1 and messages[0]['To'] == 'alerts@example.com'
    assert messages[0]['Subject'] == f'Mage pipeline {PIPELINE} failed'
    body = mail_body(messages[0])
    assert 'Failed blocks: score_champion.' in body
    assert 'score_champion: ' in body and 'routes the model never saw' in body


def test_nothing_newer_completes_says_why_and_mails_nothing(store, tmp_path):
    (tmp_path / 'taxi' / 'green').mkdir(parents=True)
    with MailServer() as mail:
        result = run_monitoring(store, {'data_source': str(tmp_path)}, 'nothing', mail.env())
        assert mail.messages == []  # success alerts are off by default
    assert result['status'] == 'completed', result['log'][-3000:]
    assert 'no month after 2023-02' in result['log']


def mail_body(message) -> str:
    return message.get_payload(decode=True).decode()  # quoted-printable: soft line breaks undone


def test_a_missing_month_or_an_unreachable_tracking_server_fails_the_run_and_mails_why(store):
    unreachable = f'http://127.0.0.1:{free_port()}'  # nothing listens there
    with MailServer() as mail:
        missing = run_monitoring(store, {'month': '2025-06'}, 'missing', mail.env())
        first = mail.wait_for(1)
        offline = run_monitoring(
            store, {'month': '2023-03'}, 'offline', {**mail.env(), 'MLFLOW_TRACKING_URI': unreachable}
        )
        messages = mail.wait_for(2)
    assert missing['status'] == 'failed' and 'no file at' in missing['log'] and '2025-06' in missing['log']
    assert len(first) == 1 and 'no file at' in mail_body(first[0]) and '2025-06' in mail_body(first[0])
    assert offline['status'] == 'failed'
    assert f'MLflow tracking at {unreachable} cannot be used' in offline['log']
    assert len(messages) == 2 and f'MLflow tracking at {unreachable} cannot be used' in mail_body(messages[1])


def test_with_the_smtp_server_down_the_failure_is_still_recorded_and_the_log_says_the_mail_failed(store):
    down = {'SMTP_HOST': '127.0.0.1', 'SMTP_PORT': str(free_port()), 'ALERT_EMAILS': 'alerts@example.com'}
    result = run_monitoring(store, {'month': '2023-03', 'threshold_unseen_routes': 0}, 'smtp-down', down)
    assert result['status'] == 'failed'
    assert 'routes the model never saw' in result['log']
    assert 'ConnectionRefusedError' in result['log']  # Mage's sender prints why no mail went out
