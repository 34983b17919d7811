from typing import Any, Dict

from mlops.utils.batch_scoring.steps import plan_batch

if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader


@data_loader
def batch_scoring_plan(*args, **kwargs) -> Dict[str, Any]:
    """Which registered version scores (the champion unless ``model_version`` names one), which
    months (``start_month``..``end_month``; empty: the newest at the source; with
    ``score_new_months``, every month after its training months it has not scored yet), of
    which colour, into which files. Checks every variable before any work."""
    return plan_batch(kwargs)
