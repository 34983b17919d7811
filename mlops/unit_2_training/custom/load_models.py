"""Fans the sklearn pipeline out over the ``models`` variable (one dynamic child per model).

It also checks every training variable and the MLflow tracking store, so bad input stops
the run before any model trains.
"""

from typing import Dict, List, Tuple

from mlops.utils.training.steps import plan_models

if 'custom' not in globals():
    from mage_ai.data_preparation.decorators import custom


@custom
def models(*args, **kwargs) -> Tuple[List[str], List[Dict[str, str]]]:
    names = plan_models(kwargs)
    return names, [{'block_uuid': name.split('.')[-1]} for name in names]
