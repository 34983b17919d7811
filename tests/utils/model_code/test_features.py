import pandas as pd
import pytest

from mlops.utils.errors import DataError
from mlops.utils.model_code.features import combine_features, select_features, trip_features


def test_frame_gets_pu_do_without_touching_the_input():
    raw = pd.DataFrame({'PULocationID': ['1', '2'], 'DOLocationID': [3, 4]})
    out = combine_features(raw)
    assert out['PU_DO'].tolist() == ['1_3', '2_4']
    assert 'PU_DO' not in raw.columns


def test_records_for_inference():
    records = [{'PULocationID': 7, 'DOLocationID': 9, 'trip_distance': 1.5}]
    assert combine_features(records) == [{'PULocationID': 7, 'DOLocationID': 9, 'trip_distance': 1.5, 'PU_DO': '7_9'}]


def test_other_input_passes_through():
    assert combine_features([]) == []


FRAME = pd.DataFrame({'PU_DO': ['1_2'], 'trip_distance': [1.0], 'duration': [5.0], 'other': [0]})


def test_default_and_extra_columns_in_order():
    assert list(select_features(FRAME).columns) == ['PU_DO', 'trip_distance']
    assert list(select_features(FRAME, ['duration', None, 'PU_DO']).columns) == ['PU_DO', 'trip_distance', 'duration']


def test_missing_column_is_named():
    with pytest.raises(DataError, match='columns not in the data: target_x'):
        select_features(FRAME, ['target_x'])


def test_trip_features_from_records_and_frames_agree():
    records = [
        {'PULocationID': 74, 'DOLocationID': 75, 'trip_distance': 1},
        {'PULocationID': 1, 'DOLocationID': 2, 'trip_distance': '2.5'},
    ]
    from_records = trip_features(records)
    assert from_records.to_dict(orient='list') == {'PU_DO': ['74_75', '1_2'], 'trip_distance': [1.0, 2.5]}
    assert trip_features(pd.DataFrame(records)).equals(from_records)


def test_trip_features_name_what_is_wrong():
    with pytest.raises(DataError, match='trip records lack trip_distance'):
        trip_features([{'PULocationID': 1, 'DOLocationID': 2}])
    with pytest.raises(DataError, match='trip_distance must be numbers'):
        trip_features([{'PULocationID': 1, 'DOLocationID': 2, 'trip_distance': 'far'}])


@pytest.mark.parametrize(
    'given, expected',
    [([3, 0], [3.0, 0.0]), ([3.5, 0.0], [3.5, 0.0]), ([True, False], [1.0, 0.0]), (['3', '0.5'], [3.0, 0.5])],
)
def test_numbers_of_any_type_become_float_distances(given, expected):
    frame = pd.DataFrame({'PULocationID': [1, 2], 'DOLocationID': [2, 1], 'trip_distance': given})
    distances = trip_features(frame)['trip_distance']
    assert distances.dtype == float and distances.tolist() == expected
