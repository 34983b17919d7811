"""Whether this machine can run the AWS steps at all, checked before any AWS call or subprocess.

A step that touches AWS needs credentials the AWS provider will find, a ``terraform`` binary,
the state bucket and the region; what is missing is named all at once.
"""

from __future__ import annotations

import configparser
import os
import shutil
from pathlib import Path
from typing import List, Mapping, Optional

from mlops.utils.deploying.settings import DeploySettings
from mlops.utils.errors import ConfigError

CREDENTIALS_HINT = (
    'AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, '
    'or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE)'
)


class PrerequisitesMissing(ConfigError):
    """An AWS step cannot run here; the message names everything that is missing."""


def _shared_default_profile(env: Mapping[str, str]) -> Optional[Path]:
    """The shared credentials file, when it has a ``[default]`` profile with an access key."""
    path = Path(env.get('AWS_SHARED_CREDENTIALS_FILE') or Path(env.get('HOME') or '~') / '.aws' / 'credentials')
    parser = configparser.ConfigParser()
    try:
        parser.read(path.expanduser())
    except configparser.Error:
        return None
    return path if parser.has_option('default', 'aws_access_key_id') else None


def credential_source(env: Mapping[str, str]) -> Optional[str]:
    """Where the AWS provider would take credentials from (the provider's own order), or None."""
    if env.get('AWS_ACCESS_KEY_ID') and env.get('AWS_SECRET_ACCESS_KEY'):
        return 'access key from AWS_ACCESS_KEY_ID'
    if env.get('AWS_PROFILE'):
        return f'profile {env["AWS_PROFILE"]} (AWS_PROFILE)'
    if env.get('AWS_ROLE_ARN') and env.get('AWS_WEB_IDENTITY_TOKEN_FILE'):
        return f'web identity for {env["AWS_ROLE_ARN"]}'
    if env.get('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI') or env.get('AWS_CONTAINER_CREDENTIALS_FULL_URI'):
        return 'the container role (ECS task role)'
    shared = _shared_default_profile(env)
    return f'profile default in {shared}' if shared else None


def _credentials_missing(env: Mapping[str, str]) -> Optional[str]:
    if credential_source(env):
        return None
    half = [
        (a, b)
        for a, b in (
            ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'),
            ('AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID'),
            ('AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE'),
            ('AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN'),
        )
        if env.get(a) and not env.get(b)
    ]
    return f'{half[0][1]} ({half[0][0]} is set without it)' if half else CREDENTIALS_HINT


def missing_prerequisites(settings: DeploySettings, env: Optional[Mapping[str, str]] = None) -> List[str]:
    """Everything an AWS step lacks here, in a fixed order; empty when it can run."""
    env = os.environ if env is None else env
    missing = [_credentials_missing(env)]
    if not shutil.which('terraform', path=env.get('PATH')):
        missing.append('the terraform binary on PATH (>= 1.10)')
    if not settings.state_bucket:
        missing.append('TF_STATE_BUCKET (the S3 bucket of the Terraform state)')
    if not settings.aws_region:
        missing.append('AWS_REGION')
    return [item for item in missing if item]


def require_prerequisites(step: str, settings: DeploySettings, env: Optional[Mapping[str, str]] = None) -> str:
    """The credential source when ``step`` can run; otherwise PrerequisitesMissing naming it all."""
    env = os.environ if env is None else env
    missing = missing_prerequisites(settings, env)
    if missing:
        raise PrerequisitesMissing(
            f'{step} touches AWS and cannot run here; missing: {"; ".join(missing)}. Nothing was sent to AWS.'
        )
    return credential_source(env) or ''
