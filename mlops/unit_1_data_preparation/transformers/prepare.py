from typing import Any, Dict, Tuple

import pandas as pd

from mlops.utils.compute.choice import DASK
from mlops.utils.data_preparation.config import pipeline_variables
from mlops.utils.data_preparation.on_dask import prepare_outputs
from mlops.utils.data_preparation.steps import prepare_and_count

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer


@transformer
def prepare(df: pd.DataFrame, **kwargs) -> Tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, Dict[str, Any]]:
    """The whole, training and validation rows, then what cleaning dropped per month and reason."""
    variables = pipeline_variables(kwargs)
    if variables['compute'] == DASK:  # one task per month on the workers; references come back
        return prepare_outputs(variables)
    return prepare_and_count(
        df,
        split_on_feature=variables['split_on_feature'],
        split_on_feature_value=variables['split_on_feature_value'],
        target=variables['target'],
    )
