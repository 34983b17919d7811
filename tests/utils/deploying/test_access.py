"""The certificate and client networks as both deploy paths read them: the pipeline variable,
else the environment's (the GitHub repository variable of the same name), as -var values; and
the CD workflow reads the same repository variables into the same Terraform variables."""

import re

import pytest
import yaml

from mlops.utils.deploying.access import NAMES, access_variables, env_name
from mlops.utils.errors import ConfigError
from mlops.utils.paths import REPO_ROOT

CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/0b1f4e2a-1111-2222-3333-444455556666'


def test_nothing_set_passes_nothing():
    assert access_variables({}, {}) == {}
    blank = {name: '' for name in NAMES}
    assert access_variables(blank, {env_name(name): '  ' for name in NAMES}) == {}


def test_the_environment_fills_what_the_pipeline_leaves_blank():
    env = {
        'CERTIFICATE_ARN': CERTIFICATE,
        'ALLOWED_CIDR_BLOCKS': '["203.0.113.0/24"]',
        'MLFLOW_ALLOWED_CIDR_BLOCKS': '198.51.100.0/24',
        'ALLOW_PUBLIC_HTTP': 'False',
    }
    assert access_variables({'allowed_cidr_blocks': '', 'certificate_arn': None}, env) == {
        'certificate_arn': CERTIFICATE,
        'allowed_cidr_blocks': '["203.0.113.0/24"]',
        'mlflow_allowed_cidr_blocks': '["198.51.100.0/24"]',
        'allow_public_http': 'false',
    }
    given = {'allowed_cidr_blocks': ['10.1.0.0/16'], 'allow_public_http': True}
    assert access_variables(given, env)['allowed_cidr_blocks'] == '["10.1.0.0/16"]'
    assert access_variables(given, env)['allow_public_http'] == 'true'


@pytest.mark.parametrize(
    'value, passed',
    [
        ('203.0.113.0/24', '["203.0.113.0/24"]'),
        ('203.0.113.0/24, 198.51.100.0/24', '["203.0.113.0/24", "198.51.100.0/24"]'),
        ('203.0.113.0/24 2001:db8::/32', '["203.0.113.0/24", "2001:db8::/32"]'),
        (' ["203.0.113.0/24", "198.51.100.0/24"] ', '["203.0.113.0/24", "198.51.100.0/24"]'),
        ('[]', '[]'),  # nobody: an explicit empty list
        (['0.0.0.0/0'], '["0.0.0.0/0"]'),
    ],
)
def test_networks_are_passed_as_a_terraform_list(value, passed):
    assert access_variables({'mlflow_allowed_cidr_blocks': value}, {}) == {'mlflow_allowed_cidr_blocks': passed}


@pytest.mark.parametrize(
    'variables, env, message',
    [
        ({'allowed_cidr_blocks': '["203.0.113.0/24"'}, {}, 'pipeline variable allowed_cidr_blocks is not a valid JSON'),
        ({}, {'ALLOWED_CIDR_BLOCKS': '{"a": 1}'}, 'ALLOWED_CIDR_BLOCKS must be a list of CIDRs'),
        ({'mlflow_allowed_cidr_blocks': [1]}, {}, 'pipeline variable mlflow_allowed_cidr_blocks must be a list'),
        ({'allow_public_http': 'maybe'}, {}, "pipeline variable allow_public_http must be true or false, not 'maybe'"),
        ({}, {'ALLOW_PUBLIC_HTTP': 'yes please'}, 'ALLOW_PUBLIC_HTTP must be true or false'),
    ],
)
def test_a_malformed_setting_is_named(variables, env, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        access_variables(variables, env)


def test_the_cd_workflow_reads_the_same_repository_variables_into_the_same_terraform_variables():
    deploy = yaml.safe_load((REPO_ROOT / '.github' / 'workflows' / 'cd.yml').read_text())['jobs']['deploy']
    passed = {
        name[len('TF_VAR_') :]: re.fullmatch(r"\$\{\{ vars\.(\w+)(?: \|\| '[^']*')? \}\}", value)[1]
        for name, value in deploy['env'].items()
        if name.startswith('TF_VAR_')
    }
    assert passed == {
        'certificate_arn': 'CERTIFICATE_ARN',
        'allowed_cidr_blocks': 'ALLOWED_CIDR_BLOCKS',
        'mlflow_allowed_cidr_blocks': 'MLFLOW_ALLOWED_CIDR_BLOCKS',
        'allow_public_http': 'ALLOW_PUBLIC_HTTP',
    }
    assert passed == {name: env_name(name) for name in NAMES}


def test_the_pipeline_declares_each_setting_blank():
    pipeline = REPO_ROOT / 'mlops' / 'unit_5_deploying' / 'pipelines' / 'deploying_to_production' / 'metadata.yaml'
    variables = yaml.safe_load(pipeline.read_text())['variables']
    assert {name: variables[name] for name in NAMES} == dict.fromkeys(NAMES, '')
