"""deploying_to_production through Mage (headless, as the runner runs a pipeline), with a real
SMTP server on 127.0.0.1 and no AWS: the test mail arrives, and the first AWS block stops the
run naming everything missing. With a stand-in terraform binary and made-up credentials, the
commands each action runs: plan applies nothing, apply and destroy only when asked."""

from __future__ import annotations

from typing import Dict

import pytest

from mlops.utils.deploying.mail import SUBJECT
from mlops.utils.deploying.prerequisites import CREDENTIALS_HINT
from testkit.chain import chain_env, run_headless
from testkit.servers import MailServer
from tests.utils.deploying import fake_terraform
from tests.utils.deploying.fake_terraform import AWS_VARIABLES, calls, path_without_terraform, subcommand

pytestmark = pytest.mark.slow
PROJECT, PIPELINE = 'unit_5_deploying', 'deploying_to_production'
IMAGES = {
    'mage_image': 'registry.example.com/mlops-mage:abc123',
    'mlflow_image': 'registry.example.com/mlops-mlflow:abc123',
}
CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/0b1f4e2a-1111-2222-3333-444455556666'
WORKFLOW = """\
on:
  push:
    branches: [main]
jobs:
  deploy:
    environment: production
    runs-on: ubuntu-latest
    steps:
      - run: terraform apply -var aws_region=${{ vars.AWS_REGION }} -var mage_image=${{ secrets.ECR_REGISTRY }}/m
        env:
          TF_STATE_BUCKET: ${{ vars.TF_STATE_BUCKET }}
          AWS_ROLE: ${{ secrets.AWS_DEPLOY_ROLE_ARN }}
"""


def no_aws_env(root, extra: Dict[str, str]) -> Dict[str, str]:
    env = chain_env(
        root, {'PATH': path_without_terraform(), 'AWS_SHARED_CREDENTIALS_FILE': str(root / 'none'), **extra}
    )
    for name in set(AWS_VARIABLES) - set(extra):
        env.pop(name, None)
    return env


def run_deploying(root, variables: dict, name: str, env: Dict[str, str]) -> dict:
    return run_headless(root, PROJECT, PIPELINE, variables, name, env, timeout=300)


@pytest.fixture
def workflow(tmp_path):
    path = tmp_path / 'cd.yml'
    path.write_text(WORKFLOW)
    return str(path)


def test_without_aws_the_mail_goes_out_and_the_first_aws_block_names_what_is_missing(tmp_path, workflow):
    with MailServer() as mail:
        result = run_deploying(
            tmp_path, {'cd_workflow': workflow}, 'no-aws', no_aws_env(tmp_path, mail.env('ops@example.com'))
        )
        messages = mail.wait_for(1)
    assert result['status'] == 'failed'
    assert [failure['block'] for failure in result['failures']] == ['permissions']  # ci_cd completed beside it
    message = result['failures'][0]['log']
    for missing in (CREDENTIALS_HINT, 'the terraform binary on PATH', 'TF_STATE_BUCKET', 'AWS_REGION'):
        assert missing in message
    assert 'Nothing was sent to AWS' in message
    assert len(messages) == 1 and messages[0]['To'] == 'ops@example.com' and messages[0]['Subject'] == SUBJECT
    body = messages[0].get_payload(decode=True).decode()
    assert f'SMTP server: 127.0.0.1:{mail.port}' in body and 'From: mage@example.com' in body
    assert (
        'secrets to set in the repository (Settings -> Secrets and variables -> Actions): AWS_DEPLOY_ROLE_ARN, ECR_REGISTRY'
        in result['log']
    )
    assert 'AWS_REGION, TF_STATE_BUCKET' in result['log']


def test_an_unknown_action_fails_the_first_block_and_sends_nothing(tmp_path, workflow):
    with MailServer() as mail:
        result = run_deploying(
            tmp_path, {'action': 'nuke', 'cd_workflow': workflow}, 'nuke', no_aws_env(tmp_path, mail.env())
        )
        assert mail.messages == []
    assert result['status'] == 'failed' and result['failures'][0]['block'] == 'setup_email'
    assert "action 'nuke' is not one of plan, apply, destroy" in result['failures'][0]['log']


def test_plan_is_the_default_and_apply_and_destroy_run_only_when_asked(tmp_path, workflow):
    log = tmp_path / 'terraform-calls.jsonl'
    aws = {
        **fake_terraform.install(tmp_path / 'bin', log),
        'AWS_ACCESS_KEY_ID': 'AKIAEXAMPLEEXAMPLE00',
        'AWS_SECRET_ACCESS_KEY': 'not-a-real-secret',
        'AWS_REGION': 'eu-west-1',
        'TF_STATE_BUCKET': 'mlops-state-example',
    }

    def run_pipeline(variables: dict, name: str) -> list:
        before = len(calls(log))
        with MailServer() as mail:
            env = no_aws_env(tmp_path, {**mail.env(), **aws})
            env['PATH'] = aws['PATH']
            result = run_deploying(tmp_path, {'cd_workflow': workflow, **IMAGES, **variables}, name, env)
        assert result['status'] == 'completed', result['failures']
        return calls(log)[before:]

    # the certificate and networks given as pipeline variables reach both plans (issue #30)
    access = {'certificate_arn': CERTIFICATE, 'allowed_cidr_blocks': '203.0.113.0/24'}
    planned = run_pipeline(access, 'plan')
    assert [subcommand(argv) for argv in planned] == ['init', 'plan', 'show'] * 2
    assert not any('-auto-approve' in argv for argv in planned)
    for argv in (planned[1], planned[4]):
        values = [argv[i + 1] for i, part in enumerate(argv) if part == '-var']
        assert f'certificate_arn={CERTIFICATE}' in values and 'allowed_cidr_blocks=["203.0.113.0/24"]' in values
    applied = run_pipeline({'action': 'apply'}, 'apply')
    assert [subcommand(argv) for argv in applied] == ['init', 'plan', 'show', 'apply', 'output'] * 2
    destroyed = run_pipeline({'action': 'destroy'}, 'destroy')
    assert [subcommand(argv) for argv in destroyed] == ['init', 'apply', 'destroy']
    assert all('-auto-approve' in argv for argv in destroyed[1:])
