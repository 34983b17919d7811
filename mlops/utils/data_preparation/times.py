"""Trip times as the TLC publishes them: naive New York wall-clock times.

Upstream files store pickup and dropoff times without a time zone. A file (or a frame) that
stores them time-zone-aware holds the same instants, so they are converted to New York time and
the zone dropped: every month then has one kind of timestamp (Arrow cannot concatenate naive
and aware ones), durations are wall-clock differences as for upstream files, and a split value
means the same moment whichever way the data stored it. A split value given with a zone is
converted the same way.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
import pyarrow as pa

from mlops.utils.errors import ConfigError, DataError

NEW_YORK = 'America/New_York'


def naive_local(series: pd.Series) -> pd.Series:
    """A datetime series as naive New York times (naive ones are returned as they are)."""
    if getattr(series.dt, 'tz', None) is None:
        return series
    return series.dt.tz_convert(NEW_YORK).dt.tz_localize(None)


def parse_times(series: pd.Series, column: str, where: str = 'the trips') -> pd.Series:
    """``series`` as naive New York datetimes; values that cannot be parsed become NaT (the
    cleaning counts those rows). DataError naming ``column`` if its strings mix time zones."""
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # pandas warns before returning mixed zones as objects
            series = pd.to_datetime(series, errors='coerce')
        if not pd.api.types.is_datetime64_any_dtype(series.dtype):
            raise DataError(f'{column} of {where} mixes time zones (e.g. {series.dropna().iloc[0]!r})')
    return naive_local(series)


def naive_local_table(table: pa.Table) -> pa.Table:
    """``table`` with every time-zone-aware timestamp column as naive New York time."""
    for index, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            local = naive_local(table.column(index).to_pandas())
            table = table.set_column(index, field.name, pa.array(local, type=pa.timestamp(field.type.unit)))
    return table


def split_timestamp(value: Any, series: pd.Series, feature: str) -> pd.Timestamp:
    """``split_on_feature_value`` as a timestamp comparable with ``series``: a zone given with
    the value is converted to the data's (naive data: New York time, then dropped); a value
    without one is taken in the data's zone."""
    try:
        threshold = pd.Timestamp(value)
        data_zone = getattr(series.dt, 'tz', None)
        if data_zone is None:
            return threshold if threshold.tz is None else threshold.tz_convert(NEW_YORK).tz_localize(None)
        return threshold.tz_localize(data_zone) if threshold.tz is None else threshold.tz_convert(data_zone)
    except Exception as error:  # ValueError, TypeError; pytz's InvalidTimeError (a DST gap or overlap)
        raise ConfigError(
            f'split_on_feature_value {value!r} is not a valid {series.dtype} value for {feature!r}: {error}'
        ) from error
