from typing import Any, Dict

from mlops.utils.deploying.steps import permissions as deployer_policy

if 'custom' not in globals():
    from mage_ai.data_preparation.decorators import custom


@custom
def permissions(*args, **kwargs) -> Dict[str, Any]:
    """The least-privilege IAM policy of the deploying user or role (terraform/aws/deployer-policy.json
    for this project, region and state bucket), checked and written as managed-policy files.
    Needs AWS credentials, terraform, TF_STATE_BUCKET and AWS_REGION; names what is missing."""
    return deployer_policy(kwargs)
