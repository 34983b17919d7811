from typing import Any, Dict

from mlops.utils.inference.champion import predict_trips
from mlops.utils.inference.inputs import trip_records

if 'custom' not in globals():
    from mage_ai.data_preparation.decorators import custom
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test


@custom
def inference(*args, **kwargs) -> Dict[str, Any]:
    """Minutes per trip from the champion, with the version that made them.

    Variables: ``inputs`` (a list of trips, or its JSON) or the single trip's
    ``PULocationID``, ``DOLocationID``, ``trip_distance``."""
    return predict_trips(trip_records(kwargs))


@test
def one_prediction_per_trip(output: Dict[str, Any], *args, **kwargs) -> None:
    assert output['version'], 'no model version reported'
    assert all(minutes == minutes for minutes in output['predictions']), 'a prediction is NaN'
