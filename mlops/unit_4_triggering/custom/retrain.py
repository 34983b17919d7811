from typing import Any, Dict

from mlops.utils.triggering.retraining import retrain as retrain_on_new_data

if 'custom' not in globals():
    from mage_ai.data_preparation.decorators import custom


@custom
def retrain(*args, **kwargs) -> Dict[str, Any]:
    """No new month: completes, saying so. A new month: the training set over the window that
    ends with it, then sklearn_training and xgboost_training (runs of this server); a child that
    does not complete fails this run. The registry rule decides whether the champion moves."""
    return retrain_on_new_data(kwargs)
