"""What a deploy run acts on: the pipeline variables and the environment, read once and checked.

``action`` is ``plan`` unless a run sets it: ``apply`` and ``destroy`` change AWS and are never
defaults (the public template destroyed by default).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

from mlops.utils.deploying.access import access_variables
from mlops.utils.errors import ConfigError
from mlops.utils.paths import REPO_ROOT, data_dir

ACTIONS = ('plan', 'apply', 'destroy')
DEFAULT_ACTION = 'plan'
DEFAULT_PROJECT_NAME = 'mlops'
DEFAULT_STATE_KEY = 'mlops/terraform.tfstate'
TERRAFORM_DIR = REPO_ROOT / 'terraform' / 'aws'


def parse_action(value: Any) -> str:
    """``plan`` when unset; otherwise exactly one of ACTIONS (case and blanks forgiven)."""
    text = str(value if value is not None else '').strip().lower()
    if not text:
        return DEFAULT_ACTION
    if text not in ACTIONS:
        raise ConfigError(f'action {value!r} is not one of {", ".join(ACTIONS)} (default: {DEFAULT_ACTION})')
    return text


def _first(*values: Any) -> Optional[str]:
    """The first value that is set and not blank, stripped; else None."""
    for value in values:
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


@dataclass(frozen=True)
class DeploySettings:
    action: str
    project_name: str
    aws_region: Optional[str]
    state_bucket: Optional[str]
    state_key: str
    mage_image: Optional[str]
    mlflow_image: Optional[str]
    # certificate_arn, allowed_cidr_blocks, ... as -var values: only those given (access.py)
    access: Dict[str, str]
    terraform_dir: Path
    work_dir: Path

    @property
    def changes_aws(self) -> bool:
        return self.action in ('apply', 'destroy')


def deploy_settings(variables: Mapping[str, Any], env: Optional[Mapping[str, str]] = None) -> DeploySettings:
    """Pipeline variables ``action``, ``project_name``, ``mage_image``, ``mlflow_image``; the
    environment for where the state lives (AWS_REGION, else AWS_DEFAULT_REGION; TF_STATE_BUCKET;
    TF_STATE_KEY) and for images a run does not name (MAGE_IMAGE, MLFLOW_IMAGE), as the CD
    workflow sets them; the certificate and client networks likewise (access.py). Terraform's
    working data (providers, plan files) goes under the project's data folder, never into the
    repository."""
    env = os.environ if env is None else env
    return DeploySettings(
        action=parse_action(variables.get('action')),
        project_name=_first(variables.get('project_name')) or DEFAULT_PROJECT_NAME,
        aws_region=_first(env.get('AWS_REGION'), env.get('AWS_DEFAULT_REGION')),
        state_bucket=_first(env.get('TF_STATE_BUCKET')),
        state_key=_first(env.get('TF_STATE_KEY')) or DEFAULT_STATE_KEY,
        mage_image=_first(variables.get('mage_image'), env.get('MAGE_IMAGE')),
        mlflow_image=_first(variables.get('mlflow_image'), env.get('MLFLOW_IMAGE')),
        access=access_variables(variables, env),
        terraform_dir=TERRAFORM_DIR,
        work_dir=data_dir() / 'deploying',
    )
