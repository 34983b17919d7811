"""``scripts/predict_api.sh`` against a real Mage server (a copy of the repo, authentication on,
the UI on unit_4_triggering: the sub-project whose ``triggers.yaml`` Mage would rewrite): the
printed curl carries no token unless asked, and ``--rotate-token`` gives a trigger a new one,
after which its old URL is refused, the new one answers, and nothing is written to the repo."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Dict

import pytest
import yaml

from mlops.utils.triggering.mage_api import ApiTrigger, MageApiError, MageClient
from testkit.chain import REPO_ROOT
from testkit.commands import run_command
from testkit.servers import mage_server, owner_client, signed_in_env
from tests.unit_1_data_preparation.test_charts_ui import repo_copy

pytestmark = pytest.mark.slow
TRIGGERS = Path('mlops/unit_4_triggering/pipelines')
EMPTY_RUN = {'pipeline_run': {'variables': {'inputs': []}}}


class Server:
    def __init__(self, client: MageClient, repo: Path, root: Path):
        self.client, self.repo, self.root = client, repo, root

    def script(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        """``scripts/predict_api.sh`` as its owner types it (the repo's script, this server)."""
        return run_command(
            ['bash', 'scripts/predict_api.sh', *args],
            cwd=REPO_ROOT,
            env={
                **os.environ,
                'MAGE_URL': self.client.base_url,
                'DEFAULT_OWNER_EMAIL': self.client.email,
                'DEFAULT_OWNER_PASSWORD': self.client.password,
                'MLOPS_SESSION_FILE': str(self.root / 'mage-sessions.json'),
                **env,
            },
            timeout=300,
        )

    def trigger(self, pipeline: str, name: str) -> ApiTrigger:
        return self.client.api_trigger(pipeline, name, wait=120)

    def triggers_files(self) -> Dict[str, str]:
        """Each unit_4 pipeline's ``triggers.yaml`` in the server's repo, by pipeline."""
        return {p.parent.name: p.read_text() for p in sorted((self.repo / TRIGGERS).glob('*/triggers.yaml'))}


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp('api-tokens')
    repo = repo_copy(root)
    env = {**signed_in_env(root), 'MLOPS_UI_PROJECT': 'unit_4_triggering'}
    with mage_server(root, env=env, repo=repo) as mage:  # the scheduler syncs the triggers; time triggers off
        yield Server(owner_client(mage, env, timeout=120), repo, root)


def posted(command: str, token: str) -> subprocess.CompletedProcess:
    """The printed curl run by bash with ``MLOPS_API_TOKEN`` set to ``token``, posting no trips."""
    command = command[: command.index(' -d ')] + f" -d '{json.dumps(EMPTY_RUN)}'"
    return run_command(['bash', '-c', command], env={**os.environ, 'MLOPS_API_TOKEN': token}, timeout=60)


def test_the_printed_curl_has_no_token_unless_asked_and_works_with_the_variable(server):
    trigger = server.trigger('predict', 'predict_api')
    printed = server.script()
    assert printed.returncode == 0, printed.stderr
    assert trigger.token not in printed.stdout + printed.stderr
    assert '${MLOPS_API_TOKEN:?' in printed.stdout and 'the token is left out: set MLOPS_API_TOKEN' in printed.stderr
    answer = json.loads(posted(printed.stdout.strip(), trigger.token).stdout)
    assert answer['pipeline_run']['pipeline_schedule_id'] == trigger.schedule_id
    shown = server.script('--show-token')
    assert shown.returncode == 0 and trigger.url(server.client.base_url) in shown.stdout


def test_a_rotated_token_refuses_the_old_url_answers_the_new_and_stays_out_of_the_repo(server):
    files = server.triggers_files()
    old = server.trigger('predict', 'predict_api')
    retrain = server.trigger('automatic_retraining', 'retrain_now')
    rotated = server.script('--rotate-token')
    assert rotated.returncode == 0, rotated.stderr
    assert 'trigger predict_api (pipeline predict) has a new token: its old URL is refused' in rotated.stderr
    new = server.trigger('predict', 'predict_api')
    assert new.schedule_id == old.schedule_id and new.token != old.token
    assert old.token not in rotated.stdout and new.token not in rotated.stdout  # not shown unless asked

    with pytest.raises(MageApiError, match=f'Invalid token for pipeline schedule ID {old.schedule_id}'):
        server.client.start_run(old, {'inputs': []})
    assert server.client.start_run(new, {'inputs': []}) > 0
    refused = posted(rotated.stdout.strip(), old.token)
    assert 'Invalid token for pipeline schedule ID' in refused.stdout
    assert 'pipeline_run' in json.loads(posted(rotated.stdout.strip(), new.token).stdout)

    assert server.trigger('automatic_retraining', 'retrain_now') == retrain  # only the one asked
    assert server.triggers_files() == files  # byte for byte: no token, no rewrite
    assert server.trigger('predict', 'predict_api') == new  # the scheduler's syncs of the files keep it


def test_rotating_another_trigger_by_name_shows_its_new_token_when_asked(server):
    old = server.trigger('automatic_retraining', 'retrain_now')
    rotated = server.script('--rotate-token', 'retrain_now', '--show-token')
    assert rotated.returncode == 0, rotated.stderr
    new = server.trigger('automatic_retraining', 'retrain_now')
    assert new.token != old.token and new.url(server.client.base_url) in rotated.stdout
    unknown = server.script('--rotate-token', 'daily_retraining')
    assert unknown.returncode == 1
    assert 'no such API trigger; the API triggers are predict_api, retrain_now' in unknown.stderr


def test_an_edit_through_the_api_writes_the_trigger_without_its_token(server):
    """Mage saves a trigger edited through its API into triggers.yaml; the token stays out, and
    the schedule keeps its token when the scheduler syncs the file back."""
    trigger = server.trigger('predict', 'predict_api')
    server.client.put(
        f'/api/pipeline_schedules/{trigger.schedule_id}', {'pipeline_schedule': {'description': 'edited'}}
    )
    [saved] = yaml.safe_load(server.triggers_files()['predict'])['triggers']
    assert saved['description'] == 'edited' and saved.get('token') is None
    assert trigger.token not in server.triggers_files()['predict']
    assert server.trigger('predict', 'predict_api') == trigger
