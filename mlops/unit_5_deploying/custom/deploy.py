from typing import Any, Dict

from mlops.utils.deploying.steps import deploy as roll_services

if 'custom' not in globals():
    from mage_ai.data_preparation.decorators import custom


@custom
def deploy(*args, **kwargs) -> Dict[str, Any]:
    """The ECS services on the images given (mage_image/mlflow_image or MAGE_IMAGE/MLFLOW_IMAGE):
    planned, and rolled out only with action=apply. No image given: nothing to deploy."""
    return roll_services(kwargs)
