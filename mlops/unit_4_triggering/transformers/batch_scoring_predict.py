from typing import Any, Dict

from mlops.utils.batch_scoring.steps import score_batch

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer


@transformer
def batch_scoring_predict(plan: Dict[str, Any], *args, **kwargs) -> Dict[str, Any]:
    """Each planned month read and cleaned as data preparation does, scored by the planned
    version and staged; rows cleaning drops (the model's input rule included) are counted per
    reason. Nothing is visible in the output folder until the next block."""
    return score_batch(plan)
