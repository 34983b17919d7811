from typing import Any, Dict

from mlops.utils.training.steps import train_and_register

if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter


@data_exporter
def train(tuning: Dict[str, Any], training_set: Dict[str, Any], *args, **kwargs) -> Dict[str, Any]:
    """The final model, logged as a pyfunc and registered; champion only if it is better."""
    return train_and_register(tuning, training_set, kwargs)
