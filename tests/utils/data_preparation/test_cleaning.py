import pandas as pd
import pytest

from bench import seed_route
from mlops.utils.data_preparation.cleaning import check_usable_months, clean, usable_trips
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


def test_each_dropped_row_is_counted_once_under_its_first_reason():
    raw = trips(
        lpep_pickup_datetime=['2024-01-01 10:00:00', 'not a time', '2024-01-01 10:00:00', None],
        PULocationID=[None, 2, 3, None],  # the first row's duration is also out of range
        trip_distance=[0.1, 0.5, float('inf'), 12.0],
    )
    cleaned, report = usable_trips(raw)
    assert cleaned.empty
    assert report == {
        'all': {
            'rows': 4,
            'time_missing_or_unparsable': 2,
            'location_id_null': 1,
            'trip_distance_missing': 1,
            'outside_input_rule': 0,
            'duration_out_of_range': 0,
            'kept': 0,
        }
    }


def test_rows_a_prediction_would_refuse_are_dropped_and_counted():
    """Ids below 1 or past int32 and negative or impossible distances: a prediction refuses
    them (the model's input rule), so monitoring could not score a month that kept one."""
    raw = trips(
        PULocationID=[0, 2**31, 3, 4],
        DOLocationID=[5, 6, 7, 8],
        trip_distance=[1.0, 1.0, -0.5, 2e6],
        lpep_dropoff_datetime=pd.to_datetime(['2024-01-01 10:10:00'] * 4),
    )
    cleaned, report = usable_trips(raw)
    assert cleaned.empty and report['all']['outside_input_rule'] == 4 and report['all']['rows'] == 4


def test_counts_per_month_in_month_order():
    raw = trips(source_month=pd.Categorical(['2024-02', '2024-01', '2024-02', '2024-01']))
    assert {month: counts['kept'] for month, counts in usable_trips(raw).report.items()} == {
        '2024-01': 1,  # 1 minute
        '2024-02': 1,  # 60 minutes
    }


@pytest.mark.parametrize('dtype', ['float64', 'Int64'])
def test_ids_read_as_floats_or_nullable_become_integers_after_nulls_go(dtype):
    raw = trips(PULocationID=pd.array([1, None, 74, 4], dtype=dtype), DOLocationID=pd.array([5, 6, 75, 8], dtype=dtype))
    cleaned, report = usable_trips(raw)
    assert report['all']['location_id_null'] == 1
    assert cleaned['PULocationID'].dtype == 'int64' and cleaned['PULocationID'].tolist() == [74]
    assert clean(raw)['PULocationID'].tolist() == ['74'] and clean(raw)['DOLocationID'].tolist() == ['75']


def test_a_fractional_location_id_is_named():
    raw = trips(PULocationID=[1.0, 2.5, 3.0, 4.0], source_month=['2024-01'] * 4)
    with pytest.raises(DataError, match='PULocationID holds 2.5 in month 2024-01: location ids are whole numbers'):
        clean(raw)


def test_time_zone_aware_times_become_new_york_wall_clock_times():
    raw = trips()
    zoned = raw.assign(
        **{c: raw[c].dt.tz_localize('America/New_York').dt.tz_convert('UTC') for c in raw.columns if 'datetime' in c}
    )
    pd.testing.assert_frame_equal(clean(zoned), clean(raw))


def test_strings_mixing_time_zones_are_named():
    raw = trips(lpep_pickup_datetime=['2024-01-01T10:00:00+01:00', '2024-01-01T10:00:00+02:00'] * 2)
    with pytest.raises(DataError, match='lpep_pickup_datetime of the trips mixes time zones'):
        clean(raw)


def test_a_frame_without_usable_rows_is_named_by_month():
    raw = trips(lpep_dropoff_datetime=trips()['lpep_pickup_datetime'], source_month=['2024-03'] * 4)
    report = usable_trips(raw).report
    with pytest.raises(
        DataError, match='month 2024-03 has no usable rows: all 4 were dropped \\(duration_out_of_range: 4\\)'
    ):
        check_usable_months(report)
    check_usable_months(usable_trips(trips()).report)  # some rows left: no error
