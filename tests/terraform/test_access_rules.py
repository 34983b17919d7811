"""Secure by default (issue #30), with the real ``terraform`` binary, offline: terraform/aws's
variables.tf planned on its own (no provider, no AWS) with the values each deploy path gives.
Plain HTTP open to the whole internet is refused unless allow_public_http; a certificate, narrowed
networks or the flag are accepted; and the CD workflow's TF_VAR_* and the pipeline's -var values
reach these variables. (The whole module needs the AWS and random providers, which are not here.)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, Mapping, Optional

import pytest
import yaml

from mlops.utils.deploying import access
from mlops.utils.deploying import terraform as tf
from mlops.utils.deploying.settings import deploy_settings
from testkit.chain import REPO_ROOT
from testkit.commands import run_command
from tests.terraform.module import MODULE, blocks, plain

# A plan of variables alone takes about 0.1 s. No terraform (scripts/test.sh does not install
# one): skipped, saying so.
pytestmark = pytest.mark.skipif(shutil.which('terraform') is None, reason='no terraform binary on PATH')

CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/0b1f4e2a-1111-2222-3333-444455556666'
REFUSED = 'Refusing plain HTTP open to the whole internet'
CD = REPO_ROOT / '.github' / 'workflows' / 'cd.yml'


@pytest.fixture(scope='module')
def variables_only(tmp_path_factory) -> Path:
    """A folder with terraform/aws/variables.tf alone, initialised (nothing to download)."""
    folder = tmp_path_factory.mktemp('variables-only')
    shutil.copy(MODULE / 'variables.tf', folder / 'variables.tf')
    (folder / 'empty.tfrc').write_text('')
    result = terraform(folder, ['init', '-input=false', '-no-color', '-backend=false'])
    assert result.returncode == 0, result.stderr
    return folder


def terraform(folder: Path, args, env: Optional[Mapping[str, str]] = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith('TF_')}
    clean.update(
        TF_CLI_CONFIG_FILE=str(folder / 'empty.tfrc'),
        TF_DATA_DIR=str(folder / '.terraform'),
        TF_IN_AUTOMATION='1',
        CHECKPOINT_DISABLE='1',  # no version check over the network
    )
    return run_command(['terraform', f'-chdir={folder}', *args], timeout=120, env={**clean, **(env or {})})


def plan(folder: Path, variables: Mapping[str, str] = {}, env: Optional[Mapping[str, str]] = None):
    """terraform plan with aws_region and the given -var values; (exit code, stdout + stderr)."""
    result = terraform(
        folder,
        ['plan', '-input=false', '-no-color', *tf.var_args({'aws_region': 'eu-west-1', **variables})],
        env,
    )
    return result.returncode, ' '.join((result.stdout + result.stderr).split())


@pytest.mark.parametrize(
    'variables, accepted',
    [
        ({}, False),  # the default: no certificate, Mage open to 0.0.0.0/0
        ({'certificate_arn': CERTIFICATE}, True),
        ({'allow_public_http': 'true'}, True),
        ({'allowed_cidr_blocks': '["203.0.113.0/24"]'}, True),
        ({'allowed_cidr_blocks': '["203.0.113.0/24", "2001:db8::/32"]'}, True),
        ({'allowed_cidr_blocks': '["203.0.113.0/24"]', 'mlflow_allowed_cidr_blocks': '["::/0"]'}, False),
        ({'allowed_cidr_blocks': '["10.0.0.0/8", "0.0.0.0/0"]'}, False),
        ({'allowed_cidr_blocks': '[]', 'mlflow_allowed_cidr_blocks': '["0.0.0.0/0"]'}, False),
        ({'mlflow_allowed_cidr_blocks': '["0.0.0.0/0"]', 'certificate_arn': CERTIFICATE}, True),
        ({'certificate_arn': '', 'allowed_cidr_blocks': '["203.0.113.0/24"]'}, True),  # empty = none
        ({'certificate_arn': ''}, False),
        ({'allow_public_http': 'false'}, False),
    ],
)
def test_plain_http_open_to_the_internet_only_on_purpose(variables_only, variables, accepted):
    code, output = plan(variables_only, variables)
    if accepted:
        assert code == 0, output
    else:
        assert code == 1 and REFUSED in output, output
        for way_out in ('Set certificate_arn', 'narrow allowed_cidr_blocks', 'allow_public_http = true'):
            assert way_out in output


@pytest.mark.parametrize(
    'variables, message',
    [
        ({'certificate_arn': 'arn:aws:iam::123456789012:server-certificate/x'}, 'certificate_arn must be an ACM'),
        ({'allowed_cidr_blocks': '["203.0.113.7/24"]'}, 'allowed_cidr_blocks: each entry must be a network'),
        ({'mlflow_allowed_cidr_blocks': '["nowhere"]'}, 'mlflow_allowed_cidr_blocks: each entry must be'),
        # MLflow's credentials come from Secrets Manager only, never from plain settings
        ({'mage_environment': '{MLFLOW_TRACKING_PASSWORD = "x"}'}, 'mage_environment must not set PGPASSWORD'),
        ({'mlflow_username': 'ad:min'}, 'mlflow_username: 1-64 letters'),
    ],
)
def test_a_malformed_value_fails_naming_it(variables_only, variables, message):
    code, output = plan(variables_only, {'allow_public_http': 'true', **variables})
    assert code == 1 and message in output, output


def github_expression(expression: str, repository_variables: Mapping[str, str]) -> str:
    """The two forms cd.yml uses: ``vars.NAME`` and ``vars.NAME || 'fallback'`` (an unset
    repository variable is an empty string, and || takes the fallback for it)."""
    match = re.fullmatch(r"\s*vars\.(\w+)\s*(?:\|\|\s*'([^']*)'\s*)?", expression)
    assert match, f'not a form this test evaluates: {expression!r}'
    value = repository_variables.get(match[1], '')
    return value or (match[2] or '')


def cd_terraform_env(repository_variables: Mapping[str, str]) -> Dict[str, str]:
    """The TF_VAR_* of cd.yml's deploy job, as GitHub would set them."""
    env = yaml.safe_load(CD.read_text())['jobs']['deploy']['env']
    values = {}
    for name, value in env.items():
        if name.startswith('TF_VAR_'):
            expression = re.fullmatch(r'\$\{\{(.*)\}\}', str(value))
            assert expression, (name, value)
            values[name] = github_expression(expression[1], repository_variables)
    return values


def test_the_cd_workflow_passes_every_setting_to_a_declared_variable():
    names = {name[len('TF_VAR_') :] for name in cd_terraform_env({})}
    assert names == set(access.NAMES) and names <= set(blocks('variable'))
    # the fallback for an unset ALLOW_PUBLIC_HTTP is the module's default
    assert (
        cd_terraform_env({})['TF_VAR_allow_public_http']
        == str(plain(blocks('variable')['allow_public_http']['default'])).lower()
    )


@pytest.mark.parametrize(
    'repository_variables, accepted',
    [
        ({}, False),  # nothing set: the defaults, refused
        ({'CERTIFICATE_ARN': CERTIFICATE}, True),
        ({'ALLOWED_CIDR_BLOCKS': '["203.0.113.0/24"]'}, True),
        ({'ALLOWED_CIDR_BLOCKS': '["203.0.113.0/24"]', 'MLFLOW_ALLOWED_CIDR_BLOCKS': '["0.0.0.0/0"]'}, False),
        ({'ALLOW_PUBLIC_HTTP': 'true'}, True),
        ({'ALLOW_PUBLIC_HTTP': 'false', 'MLFLOW_ALLOWED_CIDR_BLOCKS': '["198.51.100.0/24"]'}, False),
    ],
)
def test_the_cd_workflow_settings_reach_terraform(variables_only, repository_variables, accepted):
    code, output = plan(variables_only, {}, cd_terraform_env(repository_variables))
    assert (code == 0) is accepted, output
    if not accepted:
        assert REFUSED in output


@pytest.mark.parametrize(
    'pipeline_variables, env, accepted',
    [
        ({}, {}, False),
        ({'certificate_arn': CERTIFICATE}, {}, True),
        ({}, {'CERTIFICATE_ARN': CERTIFICATE}, True),
        ({'allowed_cidr_blocks': '203.0.113.0/24, 198.51.100.0/24'}, {}, True),
        ({'allowed_cidr_blocks': ''}, {'ALLOWED_CIDR_BLOCKS': '["0.0.0.0/0"]'}, False),
        ({'allow_public_http': True}, {}, True),
    ],
)
def test_the_pipeline_settings_reach_terraform(variables_only, monkeypatch, pipeline_variables, env, accepted):
    for name in access.NAMES:
        monkeypatch.delenv(access.env_name(name), raising=False)
    for name, value in {'AWS_REGION': 'eu-west-1', **env}.items():
        monkeypatch.setenv(name, value)
    passed = tf.terraform_variables(deploy_settings(pipeline_variables), with_images=False)
    code, output = plan(variables_only, passed)
    assert (code == 0) is accepted, output


def test_teardown_is_never_stopped_by_the_guard(variables_only, monkeypatch):
    for name in access.NAMES:
        monkeypatch.delenv(access.env_name(name), raising=False)
    monkeypatch.setenv('AWS_REGION', 'eu-west-1')
    passed = tf.terraform_variables(deploy_settings({'action': 'destroy'}), with_images=False)
    code, output = plan(variables_only, {**passed, **tf.UNPROTECT_VARIABLES})
    assert code == 0, output
