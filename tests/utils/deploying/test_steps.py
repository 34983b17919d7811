"""The steps' command sequences, through the real runner and a stand-in terraform binary
(fake_terraform.py: there is no terraform and no AWS here)."""

import json
import subprocess

import pytest

from mlops.utils.deploying import steps
from mlops.utils.deploying.prerequisites import PrerequisitesMissing
from mlops.utils.deploying.runner import CommandFailed
from mlops.utils.errors import ConfigError
from tests.utils.deploying import fake_terraform
from tests.utils.deploying.fake_terraform import calls, subcommand

IMAGES = {
    'mage_image': 'registry.example.com/mlops-mage:abc123',
    'mlflow_image': 'registry.example.com/mlops-mlflow:abc123',
}


def commands(log):
    return [subcommand(argv) for argv in calls(log)]


def var_values(argv):
    return {argv[i + 1].split('=', 1)[0]: argv[i + 1].split('=', 1)[1] for i, part in enumerate(argv) if part == '-var'}


@pytest.mark.parametrize(
    'step, variables',
    [
        (steps.permissions, {}),
        (steps.infrastructure_setup, {}),
        (steps.infrastructure_setup, {'action': 'apply'}),
        (steps.deploy, {**IMAGES, 'action': 'apply'}),
        (steps.teardown, {'action': 'destroy'}),
    ],
)
def test_without_prerequisites_nothing_runs_before_the_check(monkeypatch, tmp_path, step, variables):
    def no_subprocess(*args, **kwargs):
        raise AssertionError('a subprocess started before the prerequisites check')

    monkeypatch.setattr(subprocess, 'Popen', no_subprocess)
    with pytest.raises(PrerequisitesMissing) as error:
        step(variables)
    assert 'AWS credentials' in str(error.value) and 'TF_STATE_BUCKET' in str(error.value)
    assert not (tmp_path / 'data').exists()  # not even a folder written


def test_plan_by_default_plans_the_foundation_then_the_services_and_applies_nothing(aws_ready):
    infrastructure = steps.infrastructure_setup({})
    deployed = steps.deploy(IMAGES)
    destroyed = steps.teardown({})
    assert commands(aws_ready) == ['init', 'plan', 'show', 'init', 'plan', 'show']
    init, foundation, _, _, services, _ = calls(aws_ready)
    assert '-backend-config=bucket=mlops-state-example' in init and '-backend-config=region=eu-west-1' in init
    targets = [part for part in foundation if part.startswith('-target=')]
    assert '-target=aws_db_instance.this' in targets and '-target=aws_ecr_repository.this' in targets
    assert not any('aws_ecs_service' in t or 'aws_ecs_task_definition' in t for t in targets)
    assert var_values(foundation) == {'project_name': 'mlops', 'aws_region': 'eu-west-1'}
    assert (
        not any(p.startswith('-target=') for p in services)
        and var_values(services)['mage_image'] == IMAGES['mage_image']
    )
    assert not any('-auto-approve' in argv for argv in calls(aws_ready))
    assert infrastructure['applied'] is False and infrastructure['create'] == 1 and infrastructure['outputs'] == {}
    assert deployed['applied'] is False and 'skipped' in destroyed


def test_the_certificate_and_networks_go_to_every_terraform_run(aws_ready, monkeypatch):
    """Set once (here: the environment, as a pipeline variable alike), passed on every run."""
    certificate = 'arn:aws:acm:eu-west-1:123456789012:certificate/0b1f4e2a-1111-2222-3333-444455556666'
    monkeypatch.setenv('CERTIFICATE_ARN', certificate)
    variables = {'allowed_cidr_blocks': '203.0.113.0/24,198.51.100.0/24', 'mlflow_allowed_cidr_blocks': '[]'}
    steps.infrastructure_setup({**variables, 'action': 'apply'})
    steps.deploy({**IMAGES, **variables, 'action': 'apply'})
    steps.teardown({**variables, 'action': 'destroy'})
    expected = {
        'certificate_arn': certificate,
        'allowed_cidr_blocks': '["203.0.113.0/24", "198.51.100.0/24"]',
        'mlflow_allowed_cidr_blocks': '[]',
    }
    with_vars = [argv for argv in calls(aws_ready) if '-var' in argv]
    assert [subcommand(argv) for argv in with_vars] == ['plan', 'plan', 'apply', 'destroy']
    for argv in with_vars:
        assert {name: var_values(argv).get(name) for name in expected} == expected, argv
    assert 'allow_public_http' not in var_values(with_vars[0])  # not set: the module's default
    assert var_values(with_vars[-1])['allow_public_http'] == 'true'  # a destroy is never refused


def test_apply_applies_the_saved_plans_and_reads_the_outputs(aws_ready):
    infrastructure = steps.infrastructure_setup({'action': 'apply'})
    deployed = steps.deploy({**IMAGES, 'action': 'apply'})
    assert commands(aws_ready) == ['init', 'plan', 'show', 'apply', 'output'] * 2
    plan_out = [p.split('=', 1)[1] for p in calls(aws_ready)[1] if p.startswith('-out=')][0]
    assert calls(aws_ready)[3][-1] == plan_out == infrastructure['plan_file']  # exactly the plan shown
    assert '-auto-approve' not in calls(aws_ready)[3] and '-var' not in calls(aws_ready)[3]
    assert deployed['applied'] and deployed['outputs'] == fake_terraform.OUTPUTS
    assert steps.teardown({'action': 'apply'})['skipped'].startswith('action=apply')
    assert 'destroy' not in commands(aws_ready)


def test_apply_without_changes_applies_nothing(aws_ready, monkeypatch):
    monkeypatch.setenv('FAKE_TERRAFORM_NO_CHANGES', '1')
    assert steps.infrastructure_setup({'action': 'apply'})['applied'] is False
    assert commands(aws_ready) == ['init', 'plan', 'show', 'output']


def test_destroy_unprotects_then_destroys_and_nothing_else_runs(aws_ready):
    assert 'skipped' in steps.infrastructure_setup({'action': 'destroy'})
    assert 'skipped' in steps.deploy({**IMAGES, 'action': 'destroy'})
    assert commands(aws_ready) == []
    assert steps.teardown({'action': 'destroy'}) == {'action': 'destroy', 'destroyed': True}
    assert commands(aws_ready) == ['init', 'apply', 'destroy']
    _, unprotect, destroy = calls(aws_ready)
    assert '-auto-approve' in unprotect and '-target=aws_db_instance.this' in unprotect
    assert var_values(unprotect)['deletion_protection'] == 'false' and var_values(destroy)['ecr_force_delete'] == 'true'
    assert '-auto-approve' in destroy


def test_running_twice_leaves_the_same_files(aws_ready, tmp_path):
    work = tmp_path / 'data' / 'deploying'

    def files():
        return sorted(str(p.relative_to(work)) for p in work.rglob('*') if p.is_file())

    def run_all():
        steps.permissions({})
        steps.infrastructure_setup({'action': 'apply'})
        steps.deploy({**IMAGES, 'action': 'apply'})
        return files()

    first = run_all()
    assert run_all() == first
    assert first == [
        'deployer-policy/mlops-deployer-1.json',
        'deployer-policy/mlops-deployer-2.json',
        'plans/deploy.tfplan',
        'plans/infrastructure.tfplan',
    ]
    recorded = [json.loads(line) for line in aws_ready.read_text().splitlines()]
    assert {r['tf_data_dir'] for r in recorded} == {str(work / 'terraform-data')}
    assert {r['tf_in_automation'] for r in recorded} == {'1'}


def test_permissions_writes_the_policy_in_managed_policy_sized_files(aws_ready, tmp_path):
    result = steps.permissions({'project_name': 'demo'})
    assert result['credentials'] == 'access key from AWS_ACCESS_KEY_ID' and commands(aws_ready) == []
    documents = [json.loads(open(path).read()) for path in result['policy_files']]
    assert sum(len(d['Statement']) for d in documents) == result['statements']
    assert 'arn:aws:iam::*:role/demo-*' in json.dumps(documents)


def test_deploy_needs_both_images_or_none(aws_ready):
    assert 'no image given' in steps.deploy({'action': 'apply'})['skipped']
    with pytest.raises(ConfigError, match=r'mlflow_image \(or MLFLOW_IMAGE\) is not set'):
        steps.deploy({'mage_image': IMAGES['mage_image'], 'action': 'apply'})
    assert commands(aws_ready) == []


def test_a_failing_terraform_fails_the_step_with_its_error(aws_ready, monkeypatch):
    monkeypatch.setenv('FAKE_TERRAFORM_FAIL', 'plan')
    with pytest.raises(CommandFailed, match='terraform plan exited with 1:\nError: fake failure of plan'):
        steps.infrastructure_setup({'action': 'apply'})
    assert commands(aws_ready) == ['init', 'plan']


def test_an_unknown_action_stops_every_step_first(aws_ready):
    for step in (
        steps.setup_email,
        steps.permissions,
        steps.infrastructure_setup,
        steps.deploy,
        steps.ci_cd,
        steps.teardown,
    ):
        with pytest.raises(ConfigError, match="action 'nuke' is not one of plan, apply, destroy"):
            step({'action': 'nuke', **IMAGES})
    assert commands(aws_ready) == []


def test_ci_cd_lists_what_the_workflow_needs(tmp_path):
    workflow = tmp_path / 'cd.yml'
    workflow.write_text(
        'on: push\njobs:\n  d:\n    runs-on: x\n    steps:\n      - run: echo ${{ secrets.A }} ${{ vars.B }}\n'
    )
    assert steps.ci_cd({'cd_workflow': str(workflow)})['secrets'] == ['A']
    with pytest.raises(ConfigError, match='does not exist'):
        steps.ci_cd({'cd_workflow': str(tmp_path / 'missing.yml')})
