from typing import Any, Dict

from mlops.utils.observability.monitor import run_monitoring

if 'custom' not in globals():
    from mage_ai.data_preparation.decorators import custom


@custom
def score_champion(*args, **kwargs) -> Dict[str, Any]:
    """The champion on the newest month it was not trained on (or ``month``): RMSE, MSE and
    drift, logged to MLflow once per month and version. A crossed threshold fails the run
    (the failure alert names it); the champion is never changed."""
    return run_monitoring(kwargs)
