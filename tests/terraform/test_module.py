"""terraform/aws checked with what runs here (no terraform binary, no AWS): every file parsed
by python-hcl2, the module's variables and outputs against the deploy steps that use them and
the CD workflow's contract, and no secret in a default."""

import re

from mlops.utils.deploying import terraform as tf
from mlops.utils.deploying.settings import DEFAULT_PROJECT_NAME, DEFAULT_STATE_KEY, deploy_settings
from tests.terraform.module import MODULE, blocks, module, parse_files, plain, resources

# The CD workflow's contract (issue #10): it passes these variables and reads these outputs.
CD_VARIABLES = {'project_name', 'aws_region', 'mage_image', 'mlflow_image'}
CD_OUTPUTS = {'mage_url', 'mlflow_url', 'ecr_mage_repository_url', 'ecr_mlflow_repository_url', 'ecs_cluster_name'}


def test_every_file_parses():
    files = sorted(MODULE.glob('*.tf'))
    assert {p.name for p in files} >= {
        'versions.tf',
        'variables.tf',
        'outputs.tf',
        'main.tf',
        'ecs.tf',
        'rds.tf',
        'efs.tf',
        'alb.tf',
        'iam.tf',
    }
    assert module()['errors'] == {} and len(module()['parsed']) == len(files)


def test_a_broken_file_is_reported(tmp_path):
    broken = tmp_path / 'broken.tf'
    broken.write_text('resource "aws_vpc" "x" {\n  cidr_block = \n')
    assert list(parse_files([broken])['errors']) == [str(broken)]


def test_providers_are_pinned_and_the_backend_is_a_partial_s3():
    terraform = [b for d in module()['parsed'].values() for b in d.get('terraform', [])]
    assert len(terraform) == 1
    settings = terraform[0]
    assert plain(settings['required_version']).startswith('>=')
    providers = plain(settings['required_providers'])
    assert {name: bool(plain(p)['version']) for name, p in providers.items()} == {'aws': True, 'random': True}
    backend = plain(settings['backend'])
    s3 = plain(backend['s3'])
    assert not {'bucket', 'key', 'region'} & set(s3)  # init's -backend-config fills them


def test_every_variable_is_described_and_no_secret_has_a_default():
    variables = blocks('variable')
    undescribed = [name for name, body in variables.items() if not plain(body.get('description'))]
    assert undescribed == []
    secretish = [
        name
        for name in variables
        if re.search('password|secret|token|key', name) and name not in ('smtp_password_secret_arn',)
    ]
    assert [name for name in secretish if plain(variables[name].get('default')) is not None] == []
    assert plain(variables['smtp_password_secret_arn']['default']) is None  # a reference, never a value


def test_the_cd_workflow_contract():
    variables, outputs = blocks('variable'), blocks('output')
    assert CD_VARIABLES <= set(variables) and CD_OUTPUTS <= set(outputs)
    assert plain(variables['project_name']['default']) == DEFAULT_PROJECT_NAME == 'mlops'
    required = {name for name, body in variables.items() if 'default' not in body}
    assert required <= {'aws_region', 'mage_image', 'mlflow_image'}  # what the CD workflow passes
    assert DEFAULT_STATE_KEY == 'mlops/terraform.tfstate'


def test_what_the_steps_pass_and_read_is_declared(monkeypatch):
    monkeypatch.setenv('AWS_REGION', 'eu-west-1')
    settings = deploy_settings({'mage_image': 'r/m:1', 'mlflow_image': 'r/f:1'})
    variables, outputs = set(blocks('variable')), set(blocks('output'))
    passed = set(tf.terraform_variables(settings, with_images=True)) | set(tf.UNPROTECT_VARIABLES)
    assert passed <= variables
    required = {name for name, body in blocks('variable').items() if 'default' not in body}
    assert required <= set(tf.terraform_variables(settings, with_images=False))  # every step passes them
    assert set(tf.OUTPUTS_READ) <= outputs


def test_the_steps_target_resources_the_module_declares():
    declared = resources()
    assert tf.declared_resources(MODULE) == declared  # the steps' own reading of the files
    assert set(tf.UNPROTECT_TARGETS) <= set(declared)
    deploy_only = [a for a in declared if a.split('.')[0] in tf.DEPLOY_ONLY_TYPES]
    assert sorted(deploy_only) == ['aws_ecs_service.this', 'aws_ecs_task_definition.this']
    assert set(tf.foundation_targets(MODULE)) == set(declared) - set(deploy_only)


def test_the_database_password_is_managed_and_the_storage_encrypted():
    body = next(
        b
        for d in module()['parsed'].values()
        for r in d.get('resource', [])
        for kind, named in r.items()
        if plain(kind) == 'aws_db_instance'
        for b in named.values()
    )
    settings = {key: plain(value) for key, value in body.items()}
    assert settings['manage_master_user_password'] is True and settings['storage_encrypted'] is True
    assert settings['publicly_accessible'] is False and 'password' not in settings
