import numpy as np
import pandas as pd

from mlops.utils.observability import profiles

FRAME = pd.DataFrame(
    {
        'lpep_pickup_datetime': pd.to_datetime(['2024-01-01 08:00', '2024-01-01 09:00', '2024-01-02 10:00']),
        'lpep_dropoff_datetime': pd.to_datetime(['2024-01-01 08:10', '2024-01-01 09:30', '2024-01-02 10:05']),
        'trip_distance': [1.0, 25.0, 20.0],
        'ehail_fee': [np.nan, np.nan, np.nan],
        'tip': [1.0, np.nan, 1.0],
        'store': ['N', 'N', 'Y'],
    }
)


def test_pickups_per_week_and_short_distances():
    week = pd.DataFrame(
        {
            'lpep_pickup_datetime': pd.to_datetime(  # Sun 7th, Mon 8th .. Sun 14th, Mon 15th
                ['2024-01-07 23:59', '2024-01-08 00:00', '2024-01-14 12:00', '2024-01-15 01:00', '2024-01-09 10:00']
            ),
            'lpep_dropoff_datetime': pd.to_datetime(['2024-01-08 00:10'] * 5),
        }
    )
    weeks, trips = profiles.pickups_per_week(week)
    assert weeks == ['1/01', '1/08', '1/15'] and trips == [1, 3, 1]
    assert profiles.short_trip_distances(FRAME, 20).tolist() == [1.0, 20.0]


def test_missing_and_unique_values():
    assert profiles.missing_values(FRAME) == (['ehail_fee', 'tip'], [100.0, 33.33])
    columns, counts = profiles.unique_values(FRAME)
    assert dict(zip(columns, counts))['store'] == 2 and counts == sorted(counts, reverse=True)


def test_most_frequent_and_overview():
    headers, index, rows = profiles.most_frequent_values(FRAME)
    assert 'ehail_fee' not in index  # nothing to count
    assert rows[index.index('store')] == ['N', 2, '66.67%']
    headers, index, rows = profiles.summary_overview(FRAME)
    assert dict(zip(index, (r[0] for r in rows)))['missing cells'] == 4


def test_first_frame_of_a_multi_output_block():
    assert profiles.first_frame([FRAME, None]) is FRAME and profiles.first_frame(FRAME) is FRAME


def test_on_the_dask_path_every_chart_gets_no_trips_not_the_month_list():
    from mlops.utils.data_preparation.config import pipeline_variables
    from mlops.utils.data_preparation.on_dask import months_to_prepare

    months = months_to_prepare(pipeline_variables({'compute': 'dask', 'data_source': '/data'}))
    assert months['month'].tolist() == ['2024-01', '2024-02']
    assert months['location'].tolist() == [f'/data/taxi/green/2024/0{m}.parquet' for m in (1, 2)]
    empty = profiles.first_frame(months)
    assert profiles.pickups_per_week(empty) == ([], []) and profiles.short_trip_distances(empty).empty
    assert profiles.missing_values(empty) == ([], []) and profiles.summary_overview(empty)[2][0] == [0]
