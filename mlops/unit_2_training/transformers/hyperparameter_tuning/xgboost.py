from typing import Any, Dict

from mlops.utils.training.steps import XGBOOST, tune_model

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer


@transformer
def hyperparameter_tuning(training_set: Dict[str, Any], *args, **kwargs) -> Dict[str, Any]:
    return tune_model(XGBOOST, training_set, kwargs)
