from typing import Any, Dict

from mlops.utils.deploying.steps import infrastructure_setup as plan_infrastructure

if 'custom' not in globals():
    from mage_ai.data_preparation.decorators import custom


@custom
def infrastructure_setup(*args, **kwargs) -> Dict[str, Any]:
    """terraform init (S3 backend) and a plan of the network, database, EFS, load balancer, ECR,
    roles and logs; applied only with action=apply."""
    return plan_infrastructure(kwargs)
