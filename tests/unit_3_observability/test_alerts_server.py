"""Alerts from a running Mage server (``./scripts/start.sh``, auth on; the UI on unit_1, as a default start),
mailed to a real SMTP server on 127.0.0.1: a run that fails, and a run past its trigger's SLA."""

from __future__ import annotations

import pytest

from mlops.utils.triggering.mage_api import ApiTrigger, MageClient
from testkit.registered import embedded_store, register_linear_on
from testkit.servers import MailServer, mage_server, owner_client, signed_in_env

pytestmark = pytest.mark.slow
PIPELINE, BLOCK = 'monitoring', 'score_champion'


@pytest.fixture(scope='module')
def server(tmp_path_factory, shared_data):
    root = tmp_path_factory.mktemp('alerts')
    with embedded_store(root / 'data') as experiment:
        register_linear_on(experiment, str(shared_data), '2023-01', '2023-02')
    with MailServer() as mail:
        env = {**signed_in_env(root), 'SCHEDULER_TRIGGER_INTERVAL': '1', **mail.env()}
        with mage_server(root, env=env) as mage:
            yield owner_client(mage, env), mail


def api_trigger(client: MageClient, name: str, sla: int) -> ApiTrigger:
    """An API trigger on the monitoring pipeline, made through the API as the UI makes one."""
    client.post(
        f'/api/pipelines/{PIPELINE}/pipeline_schedules',
        {'pipeline_schedule': {'name': name, 'schedule_type': 'api', 'status': 'active', 'sla': sla}},
    )
    return client.api_trigger(PIPELINE, name)


def test_a_failed_run_mails_the_pipeline_the_block_and_the_error(server):
    client, mail = server
    before = len(mail.messages)
    trigger = api_trigger(client, 'fails', sla=3600)
    run = client.wait(client.start_run(trigger, {'month': '2023-03', 'threshold_unseen_routes': 0}), timeout=300)
    assert run['status'] == 'failed'
    failures = [m for m in mail.wait_for(before + 1)[before:] if 'failed' in m['Subject']]
    assert [m['Subject'] for m in failures] == [f'Mage pipeline {PIPELINE} failed']
    body = failures[0].get_payload(decode=True).decode()
    assert 'trigger fails' in body and f'Failed blocks: {BLOCK}.' in body
    assert f'{BLOCK}: ' in body and 'routes the model never saw' in body


def test_a_run_past_its_sla_mails_that_it_missed_it(server):
    """A 1-second SLA: the run (scoring a month takes longer) is still going when the
    scheduler checks; the alert arrives even though the run then completes."""
    client, mail = server
    before = len(mail.messages)
    trigger = api_trigger(client, 'slow', sla=1)
    run = client.wait(
        client.start_run(trigger, {'month': '2023-04', 'threshold_rmse_increase': 10, 'threshold_psi': 10}), timeout=300
    )
    assert run['status'] == 'completed'
    missed = [m for m in mail.wait_for(before + 1)[before:] if 'SLA' in m['Subject']]
    assert [m['Subject'] for m in missed] == [f'Mage pipeline {PIPELINE} missed its SLA']
    assert 'trigger slow' in missed[0].get_payload(decode=True).decode()
