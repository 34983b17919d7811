import numpy as np
import pandas as pd

from mlops.utils.analytics import profiles

FRAME = pd.DataFrame({
    'lpep_pickup_datetime': pd.to_datetime(['2024-01-01 08:00', '2024-01-01 09:00', '2024-01-02 10:00']),
    'lpep_dropoff_datetime': pd.to_datetime(['2024-01-01 08:10', '2024-01-01 09:30', '2024-01-02 10:05']),
    'trip_distance': [1.0, 25.0, 20.0],
    'ehail_fee': [np.nan, np.nan, np.nan],
    'tip': [1.0, np.nan, 1.0],
    'store': ['N', 'N', 'Y'],
})


def test_pickups_per_day_and_short_distances():
    days, trips = profiles.pickups_per_day(FRAME.iloc[::-1])
    assert days == ['2024-01-01', '2024-01-02'] and trips == [2, 1]
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
