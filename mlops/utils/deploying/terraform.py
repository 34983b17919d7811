"""Terraform command lines for terraform/aws, built here and nowhere else.

Every command is non-interactive (``-input=false``). ``plan`` writes a plan file; only an
explicit ``apply`` applies it, and only an explicit ``destroy`` destroys (``-auto-approve``
appears in those commands alone). The backend is the partial ``backend "s3" {}`` of
versions.tf, completed with ``-backend-config`` exactly as the CD workflow does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from mlops.utils.deploying.settings import DeploySettings
from mlops.utils.errors import ConfigError

TERRAFORM = 'terraform'
LOCK_TIMEOUT = '-lock-timeout=300s'
# `plan -detailed-exitcode`: 0 = no changes, 2 = changes (1 = error).
PLAN_OK_CODES = (0, 2)
# The resources the deploy step adds: the ECS task definitions (the images) and services.
DEPLOY_ONLY_TYPES = ('aws_ecs_task_definition', 'aws_ecs_service')
# Outputs the steps read after an apply (outputs.tf declares them).
OUTPUTS_READ = ('mage_url', 'mlflow_url', 'ecr_mage_repository_url', 'ecr_mlflow_repository_url', 'ecs_cluster_name')
# What teardown sets before destroying: protected resources can only be deleted once unprotected;
# and the guard against plain HTTP open to the internet, which is about what is created, never
# stops a destroy.
UNPROTECT_VARIABLES = {'deletion_protection': 'false', 'ecr_force_delete': 'true', 'allow_public_http': 'true'}
UNPROTECT_TARGETS = ('aws_db_instance.this', 'aws_lb.this', 'aws_ecr_repository.this')

_RESOURCE = re.compile(r'^resource\s+"([A-Za-z0-9_]+)"\s+"([A-Za-z0-9_-]+)"', re.MULTILINE)


def declared_resources(module_dir: Path) -> List[str]:
    """``type.name`` of every resource block of the module, in file order."""
    return [
        f'{kind}.{name}'
        for path in sorted(module_dir.glob('*.tf'))
        for kind, name in _RESOURCE.findall(path.read_text())
    ]


def foundation_targets(module_dir: Path) -> List[str]:
    """Everything but the ECS task definitions and services: what must exist before an image
    can be pushed (ECR) and run (network, database, EFS, load balancer, roles)."""
    return [address for address in declared_resources(module_dir) if address.split('.')[0] not in DEPLOY_ONLY_TYPES]


def terraform_env(settings: DeploySettings, env: Mapping[str, str]) -> Dict[str, str]:
    """The environment for terraform: non-interactive, its data (providers, backend) in the
    project's data folder instead of terraform/aws/.terraform."""
    return {**env, 'TF_IN_AUTOMATION': '1', 'TF_INPUT': '0', 'TF_DATA_DIR': str(settings.work_dir / 'terraform-data')}


def _base(settings: DeploySettings, subcommand: str) -> List[str]:
    return [TERRAFORM, f'-chdir={settings.terraform_dir}', subcommand, '-input=false', '-no-color']


def backend_config(settings: DeploySettings) -> List[str]:
    return [
        f'-backend-config=bucket={settings.state_bucket}',
        f'-backend-config=key={settings.state_key}',
        f'-backend-config=region={settings.aws_region}',
    ]


def init_command(settings: DeploySettings) -> List[str]:
    """``init`` on the S3 backend; ``-reconfigure`` takes the given backend as is and never
    copies state between backends."""
    return [*_base(settings, 'init'), '-reconfigure', *backend_config(settings)]


def terraform_variables(settings: DeploySettings, with_images: bool) -> Dict[str, str]:
    """The -var values a step passes (variables.tf declares each): the certificate and client
    networks on every run, so what was set once is kept (unset: the module's defaults)."""
    variables = {
        'project_name': settings.project_name,
        'aws_region': str(settings.aws_region),
        **settings.access,
    }
    if with_images:
        variables.update(mage_image=str(settings.mage_image), mlflow_image=str(settings.mlflow_image))
    return variables


def var_args(variables: Mapping[str, str]) -> List[str]:
    return [part for name, value in variables.items() for part in ('-var', f'{name}={value}')]


def plan_command(
    settings: DeploySettings, plan_file: Path, variables: Mapping[str, str], targets: Sequence[str] = ()
) -> List[str]:
    """A plan saved to ``plan_file``; exits 0 without changes, 2 with changes."""
    return [
        *_base(settings, 'plan'),
        '-detailed-exitcode',
        LOCK_TIMEOUT,
        f'-out={plan_file}',
        *var_args(variables),
        *(f'-target={target}' for target in targets),
    ]


def _explicitly(settings: DeploySettings, action: str) -> None:
    if settings.action != action:
        raise ConfigError(f'terraform {action} needs action={action} (this run: action={settings.action})')


def apply_plan_command(settings: DeploySettings, plan_file: Path) -> List[str]:
    """Apply exactly the saved plan (a saved plan applies without a prompt). Only for action=apply."""
    _explicitly(settings, 'apply')
    return [*_base(settings, 'apply'), LOCK_TIMEOUT, str(plan_file)]


def unprotect_command(settings: DeploySettings, variables: Mapping[str, str]) -> List[str]:
    """Before a destroy: deletion protection off and ECR repositories deletable. Only for action=destroy."""
    _explicitly(settings, 'destroy')
    return [
        *_base(settings, 'apply'),
        '-auto-approve',
        LOCK_TIMEOUT,
        *var_args({**variables, **UNPROTECT_VARIABLES}),
        *(f'-target={target}' for target in UNPROTECT_TARGETS),
    ]


def destroy_command(settings: DeploySettings, variables: Mapping[str, str]) -> List[str]:
    """Destroy everything the state holds. Only for action=destroy."""
    _explicitly(settings, 'destroy')
    return [*_base(settings, 'destroy'), '-auto-approve', LOCK_TIMEOUT, *var_args({**variables, **UNPROTECT_VARIABLES})]


def show_plan_command(settings: DeploySettings, plan_file: Path) -> List[str]:
    return [TERRAFORM, f'-chdir={settings.terraform_dir}', 'show', '-json', '-no-color', str(plan_file)]


def output_command(settings: DeploySettings) -> List[str]:
    return [TERRAFORM, f'-chdir={settings.terraform_dir}', 'output', '-json', '-no-color']


def plan_summary(show_json: str) -> Dict[str, Any]:
    """Counts of what a saved plan does (``terraform show -json``), and the addresses it changes."""
    changes: Dict[str, List[str]] = {'create': [], 'update': [], 'replace': [], 'delete': []}
    for change in json.loads(show_json).get('resource_changes') or []:
        actions = tuple(change.get('change', {}).get('actions') or ())
        kind = {('create',): 'create', ('update',): 'update', ('delete',): 'delete'}.get(
            actions, 'replace' if set(actions) == {'create', 'delete'} else None
        )
        if kind:
            changes[kind].append(change['address'])
    return {**{kind: len(addresses) for kind, addresses in changes.items()}, 'addresses': changes}


def read_outputs(output_json: str, names: Sequence[str] = OUTPUTS_READ) -> Dict[str, Optional[Any]]:
    """The named outputs' values from ``terraform output -json`` (None before the first apply)."""
    outputs = json.loads(output_json or '{}')
    return {name: (outputs.get(name) or {}).get('value') for name in names}


def plan_files(settings: DeploySettings) -> Tuple[Path, Path]:
    """Where the infrastructure and deploy steps keep their plans: one file each, overwritten
    by every run, so repeated runs leave nothing behind twice."""
    folder = settings.work_dir / 'plans'
    return folder / 'infrastructure.tfplan', folder / 'deploy.tfplan'
