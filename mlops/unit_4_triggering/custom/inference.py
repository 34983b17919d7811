import pandas as pd

from mlops.utils.inference.champion import PREDICTION_COLUMN, predict_trips
from mlops.utils.inference.inputs import trip_records
from mlops.utils.pipelines import PREDICT_API
from mlops.utils.triggering.api_variables import check_api_run

if 'custom' not in globals():
    from mage_ai.data_preparation.decorators import custom
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test


@custom
def inference(*args, **kwargs) -> pd.DataFrame:
    """The trips with the minutes the champion predicts and the model version that did.

    Variables: ``inputs`` (a list of trips, or its JSON) or the single trip's
    ``PULocationID``, ``DOLocationID``, ``trip_distance``; through the API trigger, nothing else."""
    check_api_run(PREDICT_API, kwargs)
    return predict_trips(trip_records(kwargs))


@test
def one_prediction_per_trip(output: pd.DataFrame, *args, **kwargs) -> None:
    assert output['model_version'].notna().all(), 'no model version reported'
    assert output[PREDICTION_COLUMN].notna().all(), 'a prediction is NaN'
