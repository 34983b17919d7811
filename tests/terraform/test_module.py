"""terraform/aws checked with what runs here (no terraform binary, no AWS): every file parsed
by python-hcl2, the module's variables and outputs against the deploy steps that use them and
the CD workflow's contract, and no secret in a default."""

import json
import re

from mlops.utils.deploying import access
from mlops.utils.deploying import terraform as tf
from mlops.utils.deploying.settings import DEFAULT_PROJECT_NAME, DEFAULT_STATE_KEY, deploy_settings
from tests.terraform.module import MODULE, blocks, module, parse_files, plain, resources

# The CD workflow's contract (issue #10): it passes these variables and reads these outputs;
# the certificate and client networks too, as TF_VAR_* (issue #30).
CD_VARIABLES = {'project_name', 'aws_region', 'mage_image', 'mlflow_image', *access.NAMES}
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


def document(name: str) -> dict:
    return module()['parsed'][str(MODULE / name)]


def resource(name: str, kind: str, label: str) -> dict:
    return next(
        plain(named[label])
        for r in document(name).get('resource', [])
        for k, named in r.items()
        if k == kind and label in named
    )


def local_values(name: str) -> dict:
    return {key: value for entry in document(name).get('locals', []) for key, value in entry.items()}


def test_the_access_defaults_are_refused_until_something_is_set():
    """The defaults (no certificate, Mage open to 0.0.0.0/0) are what the guard refuses
    (tests/terraform/test_access_rules.py plans them)."""
    variables = blocks('variable')
    assert plain(variables['certificate_arn'].get('default')) is None
    assert variables['allowed_cidr_blocks']['default'] == ['0.0.0.0/0']
    assert variables['mlflow_allowed_cidr_blocks']['default'] == []
    assert plain(variables['allow_public_http']['default']) is False
    guard = plain(variables['allow_public_http']['validation'])
    assert 'var.certificate_arn' in guard['condition'] and 'Refusing plain HTTP' in guard['error_message']


def test_with_a_certificate_https_on_443_and_80_only_redirects():
    assert re.fullmatch(r'ELBSecurityPolicy-TLS13-1-2-[\w-]+', local_values('alb.tf')['tls_policy'])
    https = resource('alb.tf', 'aws_lb_listener', 'https')
    assert (https['port'], https['protocol'], https['ssl_policy']) == (443, 'HTTPS', '${local.tls_policy}')
    assert https['count'] == '${local.https ? 1 : 0}' and https['certificate_arn'] == '${local.certificate_arn}'
    redirect = resource('alb.tf', 'aws_lb_listener', 'http_redirect')
    assert redirect['count'] == https['count'] and redirect['port'] == 80
    action = plain(redirect['default_action'])
    assert action['type'] == 'redirect' and plain(action['redirect'])['protocol'] == 'HTTPS'
    assert plain(action['redirect'])['port'] == '443'
    assert resource('alb.tf', 'aws_lb_listener', 'http_forward')['count'] == '${local.https ? 0 : 1}'
    mlflow = resource('alb.tf', 'aws_lb_listener', 'mlflow')
    assert mlflow['protocol'] == '${local.https ? "HTTPS" : "HTTP"}'
    assert mlflow['ssl_policy'] == '${local.https ? local.tls_policy : null}'


def test_the_load_balancer_admits_only_the_allowed_networks():
    groups = local_values('security_groups.tf')
    assert all(plain(link)['to'] != 'alb' for link in groups['links'].values())  # nothing else reaches it
    ingress = groups['client_ingress']
    assert 'var.allowed_cidr_blocks' in ingress and 'var.mlflow_allowed_cidr_blocks' in ingress
    clients = resource('security_groups.tf', 'aws_vpc_security_group_ingress_rule', 'alb_clients')
    assert clients['for_each'] == '${local.client_ingress}'
    assert clients['security_group_id'] == '${aws_security_group.this["alb"].id}'


def test_mlflow_runs_its_basic_auth_app_with_credentials_from_secrets_manager():
    dockerfile = (MODULE.parents[1] / 'mlflow.Dockerfile').read_text()
    image_command = json.loads(re.search(r'^CMD (\[.*?\])\s*$', dockerfile.replace('\\\n', ''), re.M | re.S)[1])
    auth_dir = re.search(r'^ENV MLOPS_MLFLOW_AUTH_DIR=(\S+)', dockerfile, re.M)[1]
    ecs = local_values('ecs.tf')
    command = ecs['commands']['mlflow']
    assert command[0] == image_command[0] and command[0].endswith('/mlflow_auth_server.sh')
    volumes = {name: plain(volume) for name, volume in ecs['volumes']['mlflow'].items()}
    assert volumes['auth']['path'] == auth_dir and not auth_dir.startswith(volumes['data']['path'])
    assert ecs['environment']['mlflow']['MLOPS_MLFLOW_AUTH_DIR'] == '${local.volumes.mlflow.auth.path}'
    iam = local_values('iam.tf')
    assert iam['mlflow_credentials'] == {
        'MLFLOW_TRACKING_USERNAME': '${local.mlflow_secret_arn}:username::',
        'MLFLOW_TRACKING_PASSWORD': '${local.mlflow_secret_arn}:password::',
    }
    for service in ('mage', 'mlflow'):
        assert 'local.mlflow_credentials' in iam['container_secrets'][service]
        assert 'local.mlflow_secret_arn' in json.dumps(iam['secret_arns'][service])  # and may read it
    assert iam['mlflow_secret_arn'] == '${aws_secretsmanager_secret_version.mlflow_credentials.arn}'
    version = resource('secrets.tf', 'aws_secretsmanager_secret_version', 'mlflow_credentials')
    assert 'random_password.mlflow_admin.result' in version['secret_string']
    secret = resource('secrets.tf', 'aws_secretsmanager_secret', 'mlflow_credentials')
    assert secret['kms_key_id'] == '${aws_kms_key.this.arn}'
