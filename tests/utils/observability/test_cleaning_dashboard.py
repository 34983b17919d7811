"""Unit 1's dashboard tables from a cleaning report (the figures through a real server are
checked in tests/test_platform_server.py, after the main job)."""

import pandas as pd
import pytest

from mlops.utils.data_preparation.cleaning import DROP_REASON_LABELS, DROP_REASONS, MONTH_COLUMN, usable_trips
from mlops.utils.errors import DataError
from mlops.utils.observability.cleaning_dashboard import (
    TABLE_COLUMNS,
    checked_report,
    dropped_rows_by_reason,
    dropped_rows_table,
)


def trips() -> pd.DataFrame:
    """Two months: 2024-01 keeps one trip of four (null id, 90 minutes, no dropoff), 2024-02 two of two."""
    start = pd.Timestamp('2024-01-10 08:00')
    minutes = [10, 5, 90, None, 12, 20]
    return pd.DataFrame(
        {
            'lpep_pickup_datetime': [start] * 6,
            'lpep_dropoff_datetime': [start + pd.Timedelta(minutes=m) if m else pd.NaT for m in minutes],
            'PULocationID': [74, None, 74, 74, 75, 76],
            'DOLocationID': [75, 75, 75, 75, 74, 74],
            'trip_distance': [1.0] * 6,
            MONTH_COLUMN: pd.Categorical(['2024-01'] * 4 + ['2024-02'] * 2),
        }
    )


def test_the_table_has_a_row_per_month_with_each_reason_and_what_was_kept():
    columns, rows = dropped_rows_table(usable_trips(trips()).report)
    assert columns == TABLE_COLUMNS
    reasons = dict(zip(DROP_REASONS, range(2, 2 + len(DROP_REASONS))))
    first = rows[0]
    assert first[0] == '2024-01' and first[1] == 4 and first[-2] == 1 and first[-1] == 25.0
    assert first[reasons['location_id_null']] == 1 and first[reasons['duration_out_of_range']] == 1
    assert first[reasons['time_missing_or_unparsable']] == 1
    assert rows[1] == ['2024-02', 2, *[0] * len(DROP_REASONS), 2, 100.0]


def test_the_bars_name_every_reason_and_add_up_the_months():
    labels, totals = dropped_rows_by_reason(usable_trips(trips()).report)
    assert labels == [DROP_REASON_LABELS[r] for r in DROP_REASONS]
    assert sum(totals) == 3 and len(totals) == len(DROP_REASONS)


def test_no_run_yet_gives_empty_charts_with_their_headers():
    assert dropped_rows_table(None) == (TABLE_COLUMNS, [])
    assert dropped_rows_by_reason(None)[1] == [0] * len(DROP_REASONS)


@pytest.mark.parametrize('stored', [[1, 2], {'2024-01': {'rows': 'many'}}, {'2024-01': [1]}, 'report'])
def test_a_stored_value_that_is_no_report_is_an_error_naming_where(stored):
    with pytest.raises(DataError, match='data_preparation run 7: prepare output_3 is not a cleaning report'):
        checked_report(stored, 'data_preparation run 7: prepare output_3')
