"""Load a range of monthly trip files into one DataFrame with one schema."""

from __future__ import annotations

from typing import List, Optional, Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mlops.utils.data_preparation.config import DEFAULT_CONFIGURATION
from mlops.utils.data_preparation.download import build_session, check_parquet, fetch
from mlops.utils.data_preparation.months import Month, month_range
from mlops.utils.data_preparation.sources import COLOUR_PREFIX, MonthLocation, check_colour, month_location
from mlops.utils.errors import DataError, SourceError


def required_columns(colour: str) -> List[str]:
    prefix = COLOUR_PREFIX[check_colour(colour)]
    return [
        f'{prefix}_pickup_datetime',
        f'{prefix}_dropoff_datetime',
        'PULocationID',
        'DOLocationID',
        'trip_distance',
    ]


def read_month(location: MonthLocation, colour: str, session=None, timeout: float = 60.0) -> pa.Table:
    """One month as an Arrow table, checked for readability, rows and required columns."""
    if location.url:
        path = fetch(location.url, location.label, session=session, timeout=timeout)
    else:
        path = location.path
        if not path.is_file():
            raise SourceError(f'{location.label}: no file at {path}')
        check_parquet(path, f'{location.label} ({path})')
    table = pq.read_table(path)
    missing = [c for c in required_columns(colour) if c not in table.column_names]
    if missing:
        raise DataError(f'{location.label} ({location}) lacks required columns: {", ".join(missing)}')
    if table.num_rows == 0:
        raise DataError(f'{location.label} ({location}) has no rows')
    return table


def concat_months(tables: Sequence[pa.Table]) -> pd.DataFrame:
    """Concatenate months whose column types drifted (int32/int64/double, null, large_string).

    Arrow's permissive promotion widens each column to a type that holds every month's
    values, and fills a column a month lacks with nulls.
    """
    table = pa.concat_tables(tables, promote_options='permissive')
    return table.to_pandas()


def ingest_files(
    start_month: str = DEFAULT_CONFIGURATION['start_month'],
    end_month: str = DEFAULT_CONFIGURATION['end_month'],
    colour: str = DEFAULT_CONFIGURATION['taxi_colour'],
    source: Optional[str] = None,
    timeout: float = 60.0,
    retries: int = 3,
    backoff_factor: float = 0.5,
) -> pd.DataFrame:
    """Months ``start_month``..``end_month`` of ``colour`` trips, concatenated with a fresh index."""
    months: List[Month] = month_range(start_month, end_month)
    session = build_session(retries=retries, backoff_factor=backoff_factor)
    tables = [
        read_month(month_location(source, colour, month), colour, session=session, timeout=timeout) for month in months
    ]
    return concat_months(tables)
