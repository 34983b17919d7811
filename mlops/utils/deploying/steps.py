"""The deploying_to_production blocks' bodies (the blocks only pass their variables on).

Order: setup_email -> permissions -> infrastructure_setup -> deploy -> teardown, and ci_cd
after setup_email. Every step checks ``action`` first. The AWS steps check the prerequisites
(credentials, terraform, TF_STATE_BUCKET, AWS_REGION) before any AWS call or subprocess.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping

from mlops.utils.deploying import terraform as tf
from mlops.utils.deploying.mail import send_test_mail
from mlops.utils.deploying.policy import managed_policies, policy_problems, render_policy
from mlops.utils.deploying.prerequisites import require_prerequisites
from mlops.utils.deploying.session import TerraformSession
from mlops.utils.deploying.settings import DeploySettings, deploy_settings
from mlops.utils.deploying.workflows import DEFAULT_WORKFLOW, workflow_requirements
from mlops.utils.errors import ConfigError
from mlops.utils.paths import resolve_local


def _skipped(step: str, why: str) -> Dict[str, Any]:
    print(f'{step}: nothing done ({why})', flush=True)
    return {'skipped': why}


def setup_email(variables: Mapping[str, Any]) -> Dict[str, Any]:
    """A test mail with the alerts' settings (an unknown action fails first: nothing is sent)."""
    deploy_settings(variables)
    return send_test_mail()


def permissions(variables: Mapping[str, Any]) -> Dict[str, Any]:
    """The deployer's IAM policy for this project, region and state, checked and written as
    managed-policy documents (the same files every run) with the commands that create them."""
    settings = deploy_settings(variables)
    credentials = require_prerequisites('permissions', settings)
    policy = render_policy(settings)
    problems = policy_problems(policy)
    if problems:
        raise ConfigError('terraform/aws/deployer-policy.json: ' + '; '.join(problems))
    documents = managed_policies(policy)
    folder = settings.work_dir / 'deployer-policy'
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob('*.json'):
        stale.unlink()
    files = []
    for number, document in enumerate(documents, start=1):
        path = folder / f'{settings.project_name}-deployer-{number}.json'
        path.write_text(json.dumps(document, indent=2) + '\n')
        files.append(str(path))
        print(f'aws iam create-policy --policy-name {path.stem} --policy-document file://{path}', flush=True)
    print(
        'Attach them to the user or role that deploys (its credentials: '
        f'{credentials}); nothing else is needed to plan, apply and destroy terraform/aws.',
        flush=True,
    )
    return {'credentials': credentials, 'statements': len(policy['Statement']), 'policy_files': files}


def infrastructure_setup(variables: Mapping[str, Any]) -> Dict[str, Any]:
    """``init``, then a plan of everything but the ECS services (what must exist before an image
    can be pushed and run); applied only with action=apply and only when it changes something."""
    settings = deploy_settings(variables)
    if settings.action == 'destroy':
        return _skipped('infrastructure_setup', 'action=destroy: teardown destroys')
    require_prerequisites('infrastructure_setup', settings)
    session = TerraformSession(settings)
    session.init()
    plan_file = tf.plan_files(settings)[0]
    summary = session.plan(
        plan_file, tf.terraform_variables(settings, with_images=False), tf.foundation_targets(settings.terraform_dir)
    )
    return _apply_if_asked('infrastructure_setup', settings, session, plan_file, summary)


def _apply_if_asked(
    step: str, settings: DeploySettings, session: TerraformSession, plan_file, summary
) -> Dict[str, Any]:
    counts = {key: summary[key] for key in ('create', 'update', 'replace', 'delete')}
    print(f'{step}: the plan would {counts}', flush=True)
    applied = settings.action == 'apply' and summary['changes']
    if applied:
        session.apply(plan_file)
    elif settings.action == 'plan':
        print(f'{step}: action=plan, nothing applied (run with action=apply to apply {plan_file.name})', flush=True)
    outputs = session.outputs() if settings.action == 'apply' else {}
    return {
        'action': settings.action,
        'plan_file': str(plan_file),
        'applied': applied,
        **counts,
        'addresses': summary['addresses'],
        'outputs': outputs,
    }


def deploy(variables: Mapping[str, Any]) -> Dict[str, Any]:
    """Roll both ECS services to the images given (mage_image/mlflow_image or MAGE_IMAGE/
    MLFLOW_IMAGE) through Terraform's image variables; apply waits for the rollout."""
    settings = deploy_settings(variables)
    if settings.action == 'destroy':
        return _skipped('deploy', 'action=destroy: teardown destroys')
    images = {
        'mage_image (or MAGE_IMAGE)': settings.mage_image,
        'mlflow_image (or MLFLOW_IMAGE)': settings.mlflow_image,
    }
    missing = [name for name, image in images.items() if not image]
    if len(missing) == len(images):
        return _skipped(
            'deploy',
            'no image given: push the images to the ECR repositories, then set '
            'mage_image and mlflow_image (or MAGE_IMAGE and MLFLOW_IMAGE)',
        )
    if missing:
        raise ConfigError(f'deploy: {missing[0]} is not set; both images are deployed together')
    require_prerequisites('deploy', settings)
    session = TerraformSession(settings)
    session.init()
    plan_file = tf.plan_files(settings)[1]
    summary = session.plan(plan_file, tf.terraform_variables(settings, with_images=True))
    return _apply_if_asked('deploy', settings, session, plan_file, summary)


def ci_cd(variables: Mapping[str, Any]) -> Dict[str, Any]:
    """The repository secrets and variables the CD workflow uses (nothing sent to AWS)."""
    deploy_settings(variables)
    requirements = workflow_requirements(resolve_local(variables.get('cd_workflow') or DEFAULT_WORKFLOW))
    for kind in ('secrets', 'variables'):
        print(
            f'{kind} to set in the repository (Settings -> Secrets and variables -> Actions): '
            f'{", ".join(requirements[kind]) or "none"}',
            flush=True,
        )
    if requirements['environments']:
        print(f'environments (with their protection rules): {", ".join(requirements["environments"])}', flush=True)
    return requirements


def teardown(variables: Mapping[str, Any]) -> Dict[str, Any]:
    """``terraform destroy`` of everything, for action=destroy only: first deletion protection
    off (the database and the load balancer) and the ECR repositories deletable, then destroy.
    The database leaves a final snapshot; EFS's backups stay in AWS Backup."""
    settings = deploy_settings(variables)
    if settings.action != 'destroy':
        return _skipped('teardown', f'action={settings.action}; teardown destroys only with action=destroy')
    require_prerequisites('teardown', settings)
    session = TerraformSession(settings)
    session.init()
    variables_ = tf.terraform_variables(settings, with_images=False)
    session.run(tf.unprotect_command(settings, variables_))
    session.run(tf.destroy_command(settings, variables_))
    for plan_file in tf.plan_files(settings):
        plan_file.unlink(missing_ok=True)  # plans of what no longer exists
    return {'action': 'destroy', 'destroyed': True}
