"""The one input rule: what it accepts, what it refuses and how it says so, and the HTTP status
MLflow's scoring server gives each refusal."""

import math

import numpy as np
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException

from mlops.utils.errors import DataError
from mlops.utils.model_code.features import INPUT_COLUMNS, INPUT_TYPES
from mlops.utils.model_code.input_rule import (
    InputError,
    TooManyRecords,
    check_record_count,
    checked_trips,
)
from mlops.utils.model_code.request_limits import MAX_RECORDS_ENV_VAR

INT32_MAX = int(np.iinfo(np.int32).max)  # the type the source stores location ids in
GOOD = {'PULocationID': 74, 'DOLocationID': 75, 'trip_distance': 1.3}


def served(*trips: dict) -> pd.DataFrame:
    """Trips as the model server's signature hands them to the model: int64, int64, float64."""
    return pd.DataFrame(list(trips), columns=INPUT_COLUMNS).astype(INPUT_TYPES)


def test_good_trips_pass_as_they_are_and_other_types_come_out_typed():
    trips = served(GOOD, {'PULocationID': 1, 'DOLocationID': INT32_MAX, 'trip_distance': 0.0})
    assert checked_trips(trips) is trips  # nothing copied on the model server's path
    given = pd.DataFrame(
        {
            'PULocationID': np.array(['74', ' 1 ', 3.0], dtype=object),
            'DOLocationID': np.array([75, 2, 4], dtype=np.int32),
            'trip_distance': np.array(['1.3', 0, 2**19], dtype=object),
        },
        index=[5, 6, 7],
    )
    typed = checked_trips(given)
    assert dict(typed.dtypes.astype(str)) == INPUT_TYPES and list(typed.index) == [5, 6, 7]
    assert typed.to_dict(orient='list') == {
        'PULocationID': [74, 1, 3],
        'DOLocationID': [75, 2, 4],
        'trip_distance': [1.3, 0.0, float(2**19)],
    }
    # a list of records, as an in-process caller may pass
    assert checked_trips([GOOD]).to_dict(orient='records') == [GOOD]


@pytest.mark.parametrize(
    'bad, message',
    [
        ({'trip_distance': -100.0}, 'records[1].trip_distance must be a finite number >= 0, got -100.0'),
        ({'trip_distance': math.nan}, 'records[1].trip_distance must be a finite number >= 0, got null or NaN'),
        ({'trip_distance': math.inf}, 'records[1].trip_distance must be a finite number >= 0, got inf'),
        ({'trip_distance': 1e308}, 'records[1].trip_distance must be at most 1000000 miles, got 1e+308'),
        ({'PULocationID': 0}, f'records[1].PULocationID must be a location id (an integer in [1, {INT32_MAX}]), got 0'),
        (
            {'PULocationID': -5},
            f'records[1].PULocationID must be a location id (an integer in [1, {INT32_MAX}]), got -5',
        ),
        (
            {'DOLocationID': INT32_MAX + 1},
            f'records[1].DOLocationID must be a location id (an integer in [1, {INT32_MAX}]), got {INT32_MAX + 1}',
        ),
    ],
)
def test_each_bad_value_is_named_with_its_record_and_field(bad, message):
    with pytest.raises(InputError) as refused:
        checked_trips(served(GOOD, {**GOOD, **bad}))
    assert str(refused.value) == message


def test_the_farthest_trip_allowed_is_a_million_miles():
    assert checked_trips(served({**GOOD, 'trip_distance': 1e6}))['trip_distance'].tolist() == [1e6]
    with pytest.raises(InputError, match='at most 1000000 miles'):
        checked_trips(served({**GOOD, 'trip_distance': np.nextafter(1e6, 2e6)}))


@pytest.mark.parametrize(
    'column, value, message',
    [
        ('PULocationID', 1.5, 'PULocationID must be a location id'),
        ('PULocationID', 1e308, 'PULocationID must be a location id'),
        (
            'PULocationID',
            math.nan,
            'PULocationID must be a location id (an integer in [1, 2147483647]), got null or NaN',
        ),
        ('DOLocationID', True, 'DOLocationID must be a location id'),
        ('DOLocationID', '²', 'DOLocationID must be a location id'),
        (
            'DOLocationID',
            10**20,
            'DOLocationID must be a location id (an integer in [1, 2147483647]), got 100000000000000000000',
        ),
        pytest.param('DOLocationID', 10**5000, 'got an integer of thousands of digits', id='5000 digits'),
        ('DOLocationID', None, 'DOLocationID must be a location id (an integer in [1, 2147483647]), got None'),
        ('trip_distance', 'far', "trip_distance must be a number of miles, got 'far'"),
        ('trip_distance', None, 'trip_distance must be a number of miles, got None'),
        ('trip_distance', False, 'trip_distance must be a number of miles, got False'),
        pytest.param('trip_distance', 10**400, 'must be a finite number >= 0, got 1000000000', id='10**400'),
        ('trip_distance', '-1', "trip_distance must be a finite number >= 0, got '-1'"),
    ],
)
def test_values_of_any_type_are_judged_by_the_same_rule(column, value, message):
    """Columns that are not numbers (records in-process, text from forms) go value by value."""
    with pytest.raises(InputError) as refused:
        checked_trips([GOOD, {**GOOD, column: value}])
    assert str(refused.value).startswith(f'records[1].{column} must be ') and message in str(refused.value)


def test_the_first_bad_record_is_named_with_how_many_are_refused():
    trips = served(
        GOOD, {**GOOD, 'trip_distance': -1.0}, {**GOOD, 'PULocationID': 0}, GOOD, {**GOOD, 'DOLocationID': 0}
    )
    with pytest.raises(InputError) as refused:
        checked_trips(trips, where=lambda i: f'trip #{i + 1}')
    assert (
        str(refused.value) == 'trip #2.trip_distance must be a finite number >= 0, got -1.0 (3 records refused in all)'
    )
    # within one record, the fields in the order of the inputs
    with pytest.raises(InputError, match=r'^records\[0\]\.DOLocationID'):
        checked_trips(served({**GOOD, 'DOLocationID': 0, 'trip_distance': -1.0}))


def test_missing_columns_are_named():
    with pytest.raises(InputError, match='trip records lack DOLocationID, trip_distance'):
        checked_trips(pd.DataFrame({'PULocationID': [1]}))


def test_refusals_are_bad_input_here_and_400_or_413_in_mlflows_scoring_server(monkeypatch):
    """MLflow's scoring server answers an MlflowException raised by the model with the status
    ``get_http_status_code()`` gives and ``serialize_as_json()`` as the body."""
    refused = InputError('records[0].PULocationID must be a location id')
    assert isinstance(refused, DataError) and isinstance(refused, MlflowException)
    assert refused.get_http_status_code() == 400
    assert '"error_code": "INVALID_PARAMETER_VALUE"' in refused.serialize_as_json()

    monkeypatch.delenv(MAX_RECORDS_ENV_VAR, raising=False)
    check_record_count(100_000)  # the documented default, inclusive
    with pytest.raises(TooManyRecords) as too_many:
        check_record_count(100_001)
    assert str(too_many.value) == 'the request has 100001 records; at most 100000 per request (MLOPS_MAX_RECORDS)'
    assert too_many.value.get_http_status_code() == 413 and isinstance(too_many.value, InputError)
    monkeypatch.setenv(MAX_RECORDS_ENV_VAR, '10')
    with pytest.raises(TooManyRecords, match='at most 10 per request'):
        check_record_count(11)
    check_record_count(11, limit=11)
