import pytest

from mlops.utils.deploying.prerequisites import (
    CREDENTIALS_HINT,
    PrerequisitesMissing,
    credential_source,
    missing_prerequisites,
    require_prerequisites,
)
from mlops.utils.deploying.settings import deploy_settings


@pytest.mark.parametrize(
    'env, source',
    [
        ({'AWS_ACCESS_KEY_ID': 'AKIA', 'AWS_SECRET_ACCESS_KEY': 's'}, 'access key from AWS_ACCESS_KEY_ID'),
        ({'AWS_PROFILE': 'deployer'}, 'profile deployer (AWS_PROFILE)'),
        (
            {'AWS_ROLE_ARN': 'arn:aws:iam::1:role/ci', 'AWS_WEB_IDENTITY_TOKEN_FILE': '/t'},
            'web identity for arn:aws:iam::1:role/ci',
        ),
        ({'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI': '/v2/credentials'}, 'the container role (ECS task role)'),
    ],
)
def test_each_credential_source_is_recognised(env, source):
    assert credential_source(env) == source


def test_the_default_profile_of_the_shared_credentials_file_counts(tmp_path):
    credentials = tmp_path / 'credentials'
    credentials.write_text('[other]\naws_access_key_id = AKIA\n')
    env = {'AWS_SHARED_CREDENTIALS_FILE': str(credentials)}
    assert credential_source(env) is None
    credentials.write_text('[default]\naws_access_key_id = AKIA\naws_secret_access_key = s\n')
    assert credential_source(env) == f'profile default in {credentials}'


def test_half_a_credential_pair_names_the_other_half(tmp_path):
    env = {'AWS_ACCESS_KEY_ID': 'AKIA', 'PATH': '', 'AWS_SHARED_CREDENTIALS_FILE': str(tmp_path / 'none')}
    assert (
        missing_prerequisites(deploy_settings({}), env)[0]
        == 'AWS_SECRET_ACCESS_KEY (AWS_ACCESS_KEY_ID is set without it)'
    )


def test_everything_missing_is_named_at_once():
    with pytest.raises(PrerequisitesMissing) as error:
        require_prerequisites('permissions', deploy_settings({}))
    message = str(error.value)
    for item in (CREDENTIALS_HINT, 'the terraform binary on PATH', 'TF_STATE_BUCKET', 'AWS_REGION'):
        assert item in message
    assert message.startswith('permissions touches AWS and cannot run here') and 'Nothing was sent to AWS' in message


def test_only_what_is_missing_is_named(monkeypatch):
    monkeypatch.setenv('AWS_PROFILE', 'deployer')
    monkeypatch.setenv('AWS_REGION', 'eu-west-1')
    assert missing_prerequisites(deploy_settings({})) == [
        'the terraform binary on PATH (>= 1.10)',
        'TF_STATE_BUCKET (the S3 bucket of the Terraform state)',
    ]


def test_with_everything_in_place_the_credential_source_is_returned(aws_ready):
    assert missing_prerequisites(deploy_settings({})) == []
    assert require_prerequisites('deploy', deploy_settings({})) == 'access key from AWS_ACCESS_KEY_ID'
