"""Load a range of monthly trip files into one DataFrame with one schema."""

from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from mlops.utils.data_preparation.cleaning import MONTH_COLUMN
from mlops.utils.data_preparation.config import DEFAULT_CONFIGURATION
from mlops.utils.data_preparation.download import build_session, check_parquet, read_download, read_parquet
from mlops.utils.data_preparation.months import Month, month_label, month_range
from mlops.utils.data_preparation.sources import COLOUR_PREFIX, MonthLocation, check_colour, month_location
from mlops.utils.data_preparation.times import naive_local_table
from mlops.utils.errors import DataError, SourceError

PROMOTION = 'permissive'  # int32/int64/double, null, string/large_string widen to one type


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
    """One month as an Arrow table, checked for readability, rows and required columns, its
    time-zone-aware timestamps as naive New York times (``times``)."""
    if location.url:
        table = read_download(location.url, location.label, session=session, timeout=timeout)
    else:
        path = location.path
        if not path.is_file():
            raise SourceError(f'{location.label}: no file at {path}')
        check_parquet(path, f'{location.label} ({path})')
        table = read_parquet(path, f'{location.label} ({path})')
    missing = [c for c in required_columns(colour) if c not in table.column_names]
    if missing:
        raise DataError(f'{location.label} ({location}) lacks required columns: {", ".join(missing)}')
    if table.num_rows == 0:
        raise DataError(f'{location.label} ({location}) has no rows')
    return naive_local_table(table)


def _unify(schemas: Sequence[pa.Schema]) -> pa.Schema:
    return pa.unify_schemas(list(schemas), promote_options=PROMOTION)


def type_clash(tables: Sequence[pa.Table], labels: Sequence[str]) -> Optional[str]:
    """Which month first stores which column in a type the months before it cannot be widened
    to, as a sentence; None if the schemas unify."""
    unified = tables[0].schema
    for index in range(1, len(tables)):
        schema, label = tables[index].schema, labels[index]
        try:
            unified = _unify([unified, schema])
            continue
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            pass
        before = f'month {labels[0]}' if index == 1 else f'months {labels[0]}..{labels[index - 1]}'
        for field in schema:
            if field.name not in unified.names:
                continue
            earlier = unified.field(field.name)
            try:
                _unify([pa.schema([earlier]), pa.schema([field])])
            except (pa.ArrowTypeError, pa.ArrowInvalid):
                return (
                    f'month {label} stores column {field.name} as {field.type}, '
                    f'{before} as {earlier.type}, and the two cannot be combined'
                )
    return None


def concat_months(tables: Sequence[pa.Table], labels: Optional[Sequence[str]] = None) -> pd.DataFrame:
    """Concatenate months whose column types drifted (int32/int64/double, null, large_string),
    with each row's month (``labels``, ``YYYY-MM``) in ``MONTH_COLUMN``.

    Arrow's permissive promotion widens each column to a type that holds every month's
    values, and fills a column a month lacks with nulls. Types it cannot combine (numbers and
    text, times and text...) are a DataError naming the month and the column.
    """
    labels = list(labels or [str(i + 1) for i in range(len(tables))])
    try:
        table = pa.concat_tables(tables, promote_options=PROMOTION)
    except (pa.ArrowTypeError, pa.ArrowInvalid) as error:
        clash = type_clash(tables, labels)
        raise DataError(
            f'months {labels[0]}..{labels[-1]} cannot be read as one table: '
            + (clash or f'column types differ ({error})')
        ) from error
    df = table.to_pandas()
    months = np.repeat(np.arange(len(tables)), [t.num_rows for t in tables])
    df[MONTH_COLUMN] = pd.Categorical.from_codes(months, categories=labels)
    return df


def ingest_files(
    start_month: str = DEFAULT_CONFIGURATION['start_month'],
    end_month: str = DEFAULT_CONFIGURATION['end_month'],
    colour: str = DEFAULT_CONFIGURATION['taxi_colour'],
    source: Optional[str] = None,
    timeout: float = 60.0,
    retries: int = 3,
    backoff_factor: float = 0.5,
) -> pd.DataFrame:
    """Months ``start_month``..``end_month`` of ``colour`` trips, concatenated with a fresh
    index; ``MONTH_COLUMN`` says which month's file each row came from."""
    months: List[Month] = month_range(start_month, end_month)
    session = build_session(retries=retries, backoff_factor=backoff_factor)
    tables = [
        read_month(month_location(source, colour, month), colour, session=session, timeout=timeout) for month in months
    ]
    return concat_months(tables, [month_label(month) for month in months])
