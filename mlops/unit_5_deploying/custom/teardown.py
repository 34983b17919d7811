from typing import Any, Dict

from mlops.utils.deploying.steps import teardown as destroy_everything

if 'custom' not in globals():
    from mage_ai.data_preparation.decorators import custom


@custom
def teardown(*args, **kwargs) -> Dict[str, Any]:
    """terraform destroy of everything the module created, only with action=destroy; any other
    action does nothing here."""
    return destroy_everything(kwargs)
