"""The predict pipeline's inputs: both shapes, text from forms, and every refusal named."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from mlops.utils.inference.inputs import InputError, trip_records
from mlops.utils.model_code.features import INPUT_COLUMNS, INPUT_TYPES
from mlops.utils.model_code.input_rule import TooManyRecords, checked_trips
from mlops.utils.model_code.request_limits import MAX_RECORDS_ENV_VAR

MAX_RECORDS = 100_000  # the documented default (docs/model-server.md)

TRIPS = [
    {'PULocationID': 74, 'DOLocationID': 75, 'trip_distance': 1.3},
    {'PULocationID': 7, 'DOLocationID': 260, 'trip_distance': 0},
]


def test_a_list_its_json_and_the_single_trip_variables():
    frame = trip_records({'inputs': TRIPS})
    assert frame.to_dict(orient='records') == [{**t, 'trip_distance': float(t['trip_distance'])} for t in TRIPS]
    assert dict(frame.dtypes.astype(str)) == INPUT_TYPES and list(frame.columns) == INPUT_COLUMNS
    assert trip_records({'inputs': json.dumps(TRIPS)}).equals(frame)
    assert trip_records({'inputs': TRIPS[0]}).equals(frame.head(1))
    # an interactions form sends text
    single = trip_records({'PULocationID': '74', 'DOLocationID': ' 75 ', 'trip_distance': '1.3', 'inputs': ''})
    assert single.equals(frame.head(1))


@pytest.mark.parametrize(
    'variables, message',
    [
        (
            {},
            'give "inputs" (a list of trips) or all of PULocationID, DOLocationID, trip_distance; missing: '
            'PULocationID, DOLocationID, trip_distance',
        ),
        ({'PULocationID': 1, 'DOLocationID': 2}, 'missing: trip_distance'),
        ({'inputs': '[{"PULocationID": 1'}, 'inputs is not valid JSON'),
        ({'inputs': '"a trip"'}, 'inputs must be a non-empty list of trip records'),
        ({'inputs': [TRIPS[0], {'PULocationID': 1, 'trip_distance': 2}]}, 'inputs[1] lacks DOLocationID'),
        ({'inputs': [TRIPS[0], 5]}, 'inputs[1] must be an object'),
        (
            {'inputs': [{**TRIPS[0], 'trip_distance': 'far'}]},
            "inputs[0].trip_distance must be a number of miles, got 'far'",
        ),
        (
            {'inputs': [{**TRIPS[0], 'trip_distance': -1}]},
            'inputs[0].trip_distance must be a finite number >= 0, got -1',
        ),
        ({'inputs': [{**TRIPS[0], 'trip_distance': math.nan}]}, 'inputs[0].trip_distance must be a finite number >= 0'),
        ({'inputs': [{**TRIPS[0], 'PULocationID': 1.5}]}, 'inputs[0].PULocationID must be a location id'),
        ({'inputs': [{**TRIPS[0], 'DOLocationID': 0}]}, 'inputs[0].DOLocationID must be a location id'),
        ({'inputs': [{**TRIPS[0], 'DOLocationID': True}]}, 'inputs[0].DOLocationID must be a location id'),
        (
            {'PULocationID': 'x', 'DOLocationID': 2, 'trip_distance': 1},
            "trip.PULocationID must be a location id (an integer in [1, 2147483647]), got 'x'",
        ),
        # past int32, the type the source stores ids in: named, not an OverflowError
        (
            {'inputs': [{**TRIPS[0], 'PULocationID': 10**20}]},
            'inputs[0].PULocationID must be a location id (an integer in [1, 2147483647]), got 100000000000000000000',
        ),
        (
            {'PULocationID': 1, 'DOLocationID': '99999999999999999999', 'trip_distance': 1},
            "trip.DOLocationID must be a location id (an integer in [1, 2147483647]), got '99999999999999999999'",
        ),
        ({'inputs': [{**TRIPS[0], 'DOLocationID': 2**31}]}, 'inputs[0].DOLocationID must be a location id'),
        ({'inputs': [{**TRIPS[0], 'DOLocationID': 1e20}]}, 'inputs[0].DOLocationID must be a location id'),
        ({'inputs': [{**TRIPS[0], 'DOLocationID': '1' * 5000}]}, 'inputs[0].DOLocationID must be a location id'),
        ({'inputs': [{**TRIPS[0], 'DOLocationID': '²'}]}, 'inputs[0].DOLocationID must be a location id'),
        (
            {'inputs': [{**TRIPS[0], 'trip_distance': 10**400}]},
            'inputs[0].trip_distance must be a finite number >= 0, got 1000000000',
        ),
        ({'inputs': [{**TRIPS[0], 'trip_distance': 'inf'}]}, 'inputs[0].trip_distance must be a finite number >= 0'),
        ({'inputs': [{**TRIPS[0], 'trip_distance': '1e400'}]}, 'inputs[0].trip_distance must be a finite number >= 0'),
        (
            {'inputs': [{**TRIPS[0], 'trip_distance': -math.inf}]},
            'inputs[0].trip_distance must be a finite number >= 0',
        ),
    ],
)
def test_bad_inputs_are_named(variables, message):
    with pytest.raises(InputError) as refused:
        trip_records(variables)
    assert message in str(refused.value)


def test_a_batch_over_the_limit_is_refused_before_any_work(monkeypatch):
    monkeypatch.delenv(MAX_RECORDS_ENV_VAR, raising=False)
    assert len(trip_records({'inputs': [TRIPS[0]] * MAX_RECORDS})) == MAX_RECORDS
    with pytest.raises(TooManyRecords, match=f'inputs has {MAX_RECORDS + 1} records; at most {MAX_RECORDS} per'):
        trip_records({'inputs': [TRIPS[0]] * (MAX_RECORDS + 1)})
    # the same variable as the model server's: one limit for every request
    monkeypatch.setenv(MAX_RECORDS_ENV_VAR, '2')
    with pytest.raises(
        TooManyRecords, match=f'inputs has 3 records; at most 2 per request \\({MAX_RECORDS_ENV_VAR}\\)'
    ):
        trip_records({'inputs': TRIPS + TRIPS[:1]})


@pytest.mark.parametrize(
    'trip, field',
    [
        ({'PULocationID': -100}, 'PULocationID'),
        ({'DOLocationID': 0}, 'DOLocationID'),
        ({'trip_distance': -100}, 'trip_distance'),
        ({'trip_distance': 1e308}, 'trip_distance'),
        ({'trip_distance': math.nan}, 'trip_distance'),
    ],
)
def test_the_mage_path_refuses_in_the_words_of_the_models_rule(trip, field):
    """The predict pipeline and the model (hence the model server) apply one rule: a value
    refused here is refused by the model with the same message, but for the record's name."""
    bad = {**TRIPS[0], **trip}
    with pytest.raises(InputError) as mage:
        trip_records({'inputs': [TRIPS[1], bad]})
    typed = pd.DataFrame([TRIPS[1], bad]).astype({'PULocationID': 'int64', 'DOLocationID': 'int64'})
    with pytest.raises(InputError) as model:
        checked_trips(typed)
    assert str(mage.value).startswith(f'inputs[1].{field} must be ')
    assert str(mage.value).removeprefix('inputs[1]') == str(model.value).removeprefix('records[1]')


def test_a_good_batch_comes_out_as_the_model_takes_it():
    frame = trip_records({'inputs': [{**TRIPS[0], 'trip_distance': '0'}, {**TRIPS[1], 'PULocationID': 74.0}]})
    assert frame['PULocationID'].tolist() == [74, 74] and frame['trip_distance'].tolist() == [0.0, 0.0]
    assert dict(frame.dtypes.astype(str)) == INPUT_TYPES and np.isfinite(frame['trip_distance']).all()


def test_ids_the_model_never_saw_are_accepted_up_to_int32():
    """Unseen ids are predicted from the distance; the bound is the source's column type."""
    frame = trip_records({'inputs': [{**TRIPS[0], 'PULocationID': 2**31 - 1, 'DOLocationID': '300'}]})
    assert frame.loc[0, 'PULocationID'] == 2**31 - 1 and frame.loc[0, 'DOLocationID'] == 300
