import pandas as pd
import pytest

from bench import seed_route
from mlops.utils.data_preparation.cleaning import clean
from mlops.utils.errors import DataError


def trips(**overrides):
    data = {
        'lpep_pickup_datetime': pd.to_datetime(['2024-01-01 10:00:00'] * 4),
        'lpep_dropoff_datetime': pd.to_datetime(
            ['2024-01-01 10:00:30', '2024-01-01 10:01:00', '2024-01-01 11:00:00', '2024-01-01 11:00:01']
        ),
        'PULocationID': [1, 2, 3, 4],
        'DOLocationID': [5, 6, 7, 8],
        'trip_distance': [0.1, 0.5, 10.0, 12.0],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def test_keeps_one_to_sixty_minutes_inclusive():
    df = clean(trips())
    assert df['duration'].tolist() == [1.0, 60.0]
    assert df['PULocationID'].tolist() == ['2', '3']


def test_include_extreme_durations_keeps_everything():
    assert clean(trips(), include_extreme_durations=True)['duration'].tolist() == [0.5, 1.0, 60.0, 60 + 1 / 60]


def test_input_is_not_modified():
    raw = trips()
    clean(raw)
    assert 'duration' not in raw.columns and raw['PULocationID'].dtype.kind == 'i'


def test_string_datetimes_are_parsed():
    raw = trips()
    raw['lpep_pickup_datetime'] = raw['lpep_pickup_datetime'].astype(str)
    assert clean(raw)['duration'].tolist() == [1.0, 60.0]


def test_yellow_columns():
    raw = trips().rename(columns=lambda c: c.replace('lpep_', 'tpep_'))
    assert clean(raw)['duration'].tolist() == [1.0, 60.0]


def test_missing_datetime_columns_are_named():
    with pytest.raises(DataError, match='lpep_\\* or tpep_\\*'):
        clean(trips().drop(columns=['lpep_dropoff_datetime']))


def test_same_rows_and_durations_as_the_seed_on_real_data(shared_data):
    raw = pd.read_parquet(shared_data / 'taxi/green/2024/01.parquet')
    ours, seed = clean(raw), seed_route.clean(raw)
    pd.testing.assert_frame_equal(ours, seed)
