import json
from pathlib import Path

import pytest

from mlops.utils.deploying import terraform as tf
from mlops.utils.deploying.settings import deploy_settings
from mlops.utils.errors import ConfigError


@pytest.fixture
def settings(monkeypatch):
    monkeypatch.setenv('AWS_REGION', 'eu-west-1')
    monkeypatch.setenv('TF_STATE_BUCKET', 'state-bucket')
    return lambda **variables: deploy_settings(variables)


def pairs(command, flag='-var'):
    return [command[i + 1] for i, part in enumerate(command) if part == flag]


def test_init_completes_the_partial_s3_backend_as_the_cd_workflow_does(settings):
    command = tf.init_command(settings())
    assert command[:3] == ['terraform', f'-chdir={settings().terraform_dir}', 'init']
    assert '-input=false' in command and '-reconfigure' in command
    assert command[-3:] == [
        '-backend-config=bucket=state-bucket',
        '-backend-config=key=mlops/terraform.tfstate',
        '-backend-config=region=eu-west-1',
    ]


def test_a_plan_is_saved_never_applied_and_says_whether_it_changes_anything(settings, tmp_path):
    plan = tmp_path / 'x.tfplan'
    command = tf.plan_command(settings(), plan, {'aws_region': 'eu-west-1'}, targets=['aws_lb.this'])
    assert command[2] == 'plan' and f'-out={plan}' in command and '-detailed-exitcode' in command
    assert '-input=false' in command and '-auto-approve' not in command
    assert pairs(command) == ['aws_region=eu-west-1'] and '-target=aws_lb.this' in command
    assert tf.PLAN_OK_CODES == (0, 2)


def test_the_var_list(settings):
    assert tf.terraform_variables(settings(), with_images=False) == {'project_name': 'mlops', 'aws_region': 'eu-west-1'}
    images = tf.terraform_variables(settings(project_name='demo', mage_image='r/m:1', mlflow_image='r/f:1'), True)
    assert tf.var_args(images) == [
        '-var',
        'project_name=demo',
        '-var',
        'aws_region=eu-west-1',
        '-var',
        'mage_image=r/m:1',
        '-var',
        'mlflow_image=r/f:1',
    ]


def test_the_certificate_and_networks_are_passed_when_given(settings, monkeypatch):
    monkeypatch.setenv('CERTIFICATE_ARN', 'arn:aws:acm:eu-west-1:123456789012:certificate/abc')
    given = settings(allowed_cidr_blocks='203.0.113.0/24', allow_public_http='false')
    assert tf.terraform_variables(given, with_images=False) == {
        'project_name': 'mlops',
        'aws_region': 'eu-west-1',
        'certificate_arn': 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
        'allowed_cidr_blocks': '["203.0.113.0/24"]',
        'allow_public_http': 'false',
    }
    images = tf.terraform_variables(settings(mage_image='r/m:1', mlflow_image='r/f:1'), with_images=True)
    assert images['certificate_arn'].endswith('/abc') and images['mage_image'] == 'r/m:1'


def test_apply_only_with_action_apply_and_only_the_saved_plan(settings, tmp_path):
    plan = tmp_path / 'x.tfplan'
    for action in ('plan', 'destroy'):
        with pytest.raises(ConfigError, match=f'action=apply .this run: action={action}'):
            tf.apply_plan_command(settings(action=action), plan)
    command = tf.apply_plan_command(settings(action='apply'), plan)
    assert command[2] == 'apply' and command[-1] == str(plan) and '-var' not in command


def test_destroy_only_with_action_destroy(settings):
    variables = {'aws_region': 'eu-west-1'}
    for action in ('plan', 'apply'):
        for build in (tf.destroy_command, tf.unprotect_command):
            with pytest.raises(ConfigError, match='needs action=destroy'):
                build(settings(action=action), variables)
    destroy = tf.destroy_command(settings(action='destroy'), variables)
    assert destroy[2] == 'destroy' and '-auto-approve' in destroy
    assert set(pairs(destroy)) == {
        'aws_region=eu-west-1',
        'deletion_protection=false',
        'ecr_force_delete=true',
        'allow_public_http=true',  # the guard is about what is created
    }
    unprotect = tf.unprotect_command(settings(action='destroy'), variables)
    assert unprotect[2] == 'apply' and [f'-target={t}' for t in tf.UNPROTECT_TARGETS] == unprotect[-3:]


def test_auto_approve_appears_only_in_the_destroying_commands(settings, tmp_path):
    plan = tmp_path / 'x.tfplan'
    every = {
        'init': tf.init_command(settings()),
        'plan': tf.plan_command(settings(), plan, {}),
        'apply': tf.apply_plan_command(settings(action='apply'), plan),
        'show': tf.show_plan_command(settings(), plan),
        'output': tf.output_command(settings()),
        'unprotect': tf.unprotect_command(settings(action='destroy'), {}),
        'destroy': tf.destroy_command(settings(action='destroy'), {}),
    }
    assert {name for name, command in every.items() if '-auto-approve' in command} == {'unprotect', 'destroy'}


def test_foundation_targets_leave_out_exactly_the_ecs_services_and_task_definitions(tmp_path):
    (tmp_path / 'a.tf').write_text('resource "aws_vpc" "this" {\n}\nresource "aws_ecs_service" "this" {\n}\n')
    (tmp_path / 'b.tf').write_text(
        '# resource "aws_fake" "commented" {}\nresource "aws_ecs_task_definition" "t" {}\n'
        'data "aws_x" "y" {}\nresource "random_id" "r" {}\n'
    )
    assert tf.declared_resources(tmp_path) == [
        'aws_vpc.this',
        'aws_ecs_service.this',
        'aws_ecs_task_definition.t',
        'random_id.r',
    ]
    assert tf.foundation_targets(tmp_path) == ['aws_vpc.this', 'random_id.r']


def test_terraform_runs_unattended_with_its_data_in_the_data_folder(settings):
    env = tf.terraform_env(settings(), {'PATH': '/bin'})
    assert env['TF_IN_AUTOMATION'] == '1' and env['TF_INPUT'] == '0' and env['PATH'] == '/bin'
    assert Path(env['TF_DATA_DIR']).parent == settings().work_dir
    infrastructure, deploy = tf.plan_files(settings())
    assert infrastructure.parent == deploy.parent == settings().work_dir / 'plans' and infrastructure != deploy


def test_plan_summary_counts_each_kind_of_change():
    show = {
        'resource_changes': [
            {'address': 'a.new', 'change': {'actions': ['create']}},
            {'address': 'a.same', 'change': {'actions': ['no-op']}},
            {'address': 'a.read', 'change': {'actions': ['read']}},
            {'address': 'a.changed', 'change': {'actions': ['update']}},
            {'address': 'a.replaced', 'change': {'actions': ['delete', 'create']}},
            {'address': 'a.replaced_first', 'change': {'actions': ['create', 'delete']}},
            {'address': 'a.gone', 'change': {'actions': ['delete']}},
        ]
    }
    summary = tf.plan_summary(json.dumps(show))
    assert {k: summary[k] for k in ('create', 'update', 'replace', 'delete')} == {
        'create': 1,
        'update': 1,
        'replace': 2,
        'delete': 1,
    }
    assert summary['addresses']['replace'] == ['a.replaced', 'a.replaced_first']
    assert tf.plan_summary('{}')['create'] == 0


def test_outputs_are_read_by_name_and_none_before_the_first_apply():
    text = json.dumps({'mage_url': {'value': 'https://m', 'type': 'string'}, 'other': {'value': 1}})
    assert tf.read_outputs(text) == {
        'mage_url': 'https://m',
        'mlflow_url': None,
        'ecr_mage_repository_url': None,
        'ecr_mlflow_repository_url': None,
        'ecs_cluster_name': None,
    }
    assert set(tf.read_outputs('{}').values()) == {None}
