"""Trip durations and the seed's outlier rule, vectorized, with every dropped row counted.

A row is dropped for the first of ``DROP_REASONS`` that applies to it (so the counts add up to
the rows dropped): its pickup or dropoff time is missing or unparsable, a location id is null,
its trip_distance is missing or not finite, a prediction would refuse it (an id or a distance
outside the model's input rule, ``model_code/input_rule.py``: monitoring and re-scoring predict
the months preparation keeps), or (the seed's rule) its duration is outside 1..60 minutes. On
the taxi months the rows that survive are the seed's: the first four reasons only remove rows
the seed kept and then turned into ``'nan'`` routes or NaN features (none of the green months
2023-01..2024-02 holds a refused id or distance).

Null ids are dropped *before* the ids are used: one null makes pandas store the whole column
as floats, and ``str(74.0)`` routes (``'74.0_75.0'``) match nothing a served trip gives.
"""

from __future__ import annotations

from typing import Dict, List, NamedTuple, Tuple

import numpy as np
import pandas as pd

from mlops.utils.data_preparation.sources import COLOUR_PREFIX
from mlops.utils.data_preparation.times import parse_times
from mlops.utils.errors import DataError
from mlops.utils.model_code.features import DURATION
from mlops.utils.model_code.input_rule import refused_rows
from mlops.utils.model_code.strings import as_strings

CATEGORICAL_ID_COLUMNS = ['PULocationID', 'DOLocationID']
MIN_DURATION_MINUTES = 1
MAX_DURATION_MINUTES = 60
# The month file each row came from (``ingest`` adds it); a frame without it is one group.
MONTH_COLUMN = 'source_month'
WHOLE_FRAME = 'all'

TIME_MISSING = 'time_missing_or_unparsable'
LOCATION_ID_NULL = 'location_id_null'
DISTANCE_MISSING = 'trip_distance_missing'
VALUE_OUT_OF_RANGE = 'outside_input_rule'
DURATION_OUT_OF_RANGE = 'duration_out_of_range'
DROP_REASONS = (TIME_MISSING, LOCATION_ID_NULL, DISTANCE_MISSING, VALUE_OUT_OF_RANGE, DURATION_OUT_OF_RANGE)
# Each reason as a person reads it, short enough for a chart's axis and a table's header.
DROP_REASON_LABELS = {
    TIME_MISSING: 'no valid time',
    LOCATION_ID_NULL: 'null location id',
    DISTANCE_MISSING: 'no trip distance',
    VALUE_OUT_OF_RANGE: 'id/miles refused',
    DURATION_OUT_OF_RANGE: f'not {MIN_DURATION_MINUTES}-{MAX_DURATION_MINUTES} minutes',
}

# Per month (``MONTH_COLUMN``'s value): rows read, rows dropped per reason, rows kept.
CleaningReport = Dict[str, Dict[str, int]]


class Cleaned(NamedTuple):
    """The usable trips (times parsed, ``duration`` added, ids as integers when they are
    numbers) and what was dropped, per month and reason."""

    trips: pd.DataFrame
    report: CleaningReport


def datetime_columns(df: pd.DataFrame) -> tuple[str, str]:
    """(pickup, dropoff) columns: ``lpep_*`` for green trips, ``tpep_*`` for yellow ones."""
    for prefix in COLOUR_PREFIX.values():
        pickup, dropoff = f'{prefix}_pickup_datetime', f'{prefix}_dropoff_datetime'
        if pickup in df.columns and dropoff in df.columns:
            return pickup, dropoff
    raise DataError(
        'trips need '
        + ' or '.join(f'{p}_*' for p in COLOUR_PREFIX.values())
        + ' pickup and dropoff datetime columns; got '
        + ', '.join(map(str, df.columns))
    )


def month_codes(df: pd.DataFrame) -> Tuple[np.ndarray, List[str]]:
    """Each row's month as a code into the month labels (``MONTH_COLUMN``'s values, in their
    order: ingest's is the months'); a frame without the column is one group, ``WHOLE_FRAME``.
    Codes, not labels per row: at millions of rows, strings per row cost seconds."""
    if MONTH_COLUMN not in df.columns:
        return np.zeros(len(df), dtype=np.int64), [WHOLE_FRAME]
    months = df[MONTH_COLUMN].astype('category')  # no copy when it is one already (ingest's)
    codes = months.cat.codes.to_numpy().astype(np.int64)
    labels = [str(label) for label in months.cat.categories]
    if (codes < 0).any():  # rows without a month
        codes[codes < 0] = len(labels)
        labels.append('unknown')
    return codes, labels


def drop_reasons(df: pd.DataFrame, duration: pd.Series, include_extreme_durations: bool) -> np.ndarray:
    """Per row: 0 to keep it, else 1 + the index in ``DROP_REASONS`` of the first reason to drop it."""
    reason = np.zeros(len(df), dtype=np.int8)

    def mark(drop: np.ndarray, name: str) -> None:
        reason[(reason == 0) & drop] = DROP_REASONS.index(name) + 1

    mark(duration.isna().to_numpy(), TIME_MISSING)  # NaT pickup or dropoff
    mark(df[CATEGORICAL_ID_COLUMNS].isna().any(axis=1).to_numpy(), LOCATION_ID_NULL)
    if 'trip_distance' in df.columns and pd.api.types.is_numeric_dtype(df['trip_distance'].dtype):
        mark(~np.isfinite(df['trip_distance'].to_numpy(dtype=float, na_value=np.nan)), DISTANCE_MISSING)
        if all(pd.api.types.is_numeric_dtype(df[c].dtype) for c in CATEGORICAL_ID_COLUMNS):
            mark(refused_rows(df), VALUE_OUT_OF_RANGE)  # what a prediction would refuse
    if not include_extreme_durations:
        mark(~duration.between(MIN_DURATION_MINUTES, MAX_DURATION_MINUTES).to_numpy(), DURATION_OUT_OF_RANGE)
    return reason


def count_drops(codes: np.ndarray, labels: List[str], reason: np.ndarray) -> CleaningReport:
    """The report: per month that has rows, in order, ``rows``, each reason's count, ``kept``."""
    width = len(DROP_REASONS) + 1
    counts = np.bincount(codes * width + reason, minlength=len(labels) * width).reshape(len(labels), width)
    return {
        label: {
            'rows': int(row.sum()),
            **{name: int(row[i + 1]) for i, name in enumerate(DROP_REASONS)},
            'kept': int(row[0]),
        }
        for label, row in zip(labels, counts)
        if row.sum()
    }


def where(label: str) -> str:
    """A month label as a message names it."""
    return 'the data' if label == WHOLE_FRAME else f'month {label}'


def integer_ids(series: pd.Series, codes: np.ndarray, labels: List[str]) -> pd.Series:
    """Location ids without nulls as integers when they are numbers (a month stored as floats,
    or read beside one that was); DataError naming the column and month (``codes`` into
    ``labels``, per row) for a fraction."""
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        return series
    if pd.api.types.is_integer_dtype(series.dtype) and not pd.api.types.is_extension_array_dtype(series.dtype):
        return series
    values = series.to_numpy(dtype=float)
    fractional = values != np.floor(values)
    if fractional.any():
        first = int(np.argmax(fractional))
        raise DataError(
            f'{series.name} holds {values[first]!r} in {where(labels[codes[first]])}: location ids are whole numbers'
        )
    return pd.Series(values.astype(np.int64), index=series.index, name=series.name)


def usable_trips(df: pd.DataFrame, include_extreme_durations: bool = False) -> Cleaned:
    """Parse the times, add ``duration`` in minutes, drop the rows ``DROP_REASONS`` name and
    count them per month. Returns a new frame; the input is not modified."""
    pickup, dropoff = datetime_columns(df)
    missing = [c for c in CATEGORICAL_ID_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f'trips lack columns: {", ".join(missing)}')
    df = df.copy(deep=False)  # columns are replaced, never written in place
    codes, labels = month_codes(df)
    df[pickup] = parse_times(df[pickup], pickup)
    df[dropoff] = parse_times(df[dropoff], dropoff)
    df[DURATION] = (df[dropoff] - df[pickup]).dt.total_seconds() / 60
    reason = drop_reasons(df, df[DURATION], include_extreme_durations)
    report = count_drops(codes, labels, reason)
    keep = reason == 0
    df, codes = df[keep].copy(deep=False), codes[keep]
    for column in CATEGORICAL_ID_COLUMNS:
        df[column] = integer_ids(df[column], codes, labels)
    return Cleaned(df, report)


def clean(df: pd.DataFrame, include_extreme_durations: bool = False) -> pd.DataFrame:
    """``usable_trips`` with the location ids as strings (the seed's categorical ids)."""
    df = usable_trips(df, include_extreme_durations).trips
    for column in CATEGORICAL_ID_COLUMNS:
        df[column] = as_strings(df[column])
    return df


def unusable_months(report: CleaningReport) -> List[str]:
    return [month for month, counts in report.items() if counts['kept'] == 0]


def check_usable_months(report: CleaningReport) -> None:
    """DataError naming every month none of whose rows survived cleaning, with why.

    An error, not a warning, even when other months remain: the preparation's facts (its
    months, ``start_month``..``end_month``) become the trained model's data contract, which
    retraining and monitoring read back, so a model trained without the month would claim data
    it never saw. And a month with no usable row is a damaged file (times in the wrong unit or
    zone, ids lost), not a quiet month: it should be fixed or left out of the range on purpose.
    """
    empty = unusable_months(report)
    if not empty:
        return
    details = []
    for month in empty:
        counts = report[month]
        reasons = ', '.join(f'{name}: {counts[name]}' for name in DROP_REASONS if counts[name])
        details.append(f'{where(month)} has no usable rows: all {counts["rows"]} were dropped ({reasons})')
    raise DataError('; '.join(details) + '. Fix or replace the file, or leave the month out of start_month..end_month')


def dropped_totals(report: CleaningReport) -> Dict[str, int]:
    """Rows dropped per reason over all months."""
    return {name: int(sum(counts[name] for counts in report.values())) for name in DROP_REASONS}


def dropped_by_month(report: CleaningReport) -> Dict[str, Dict[str, int]]:
    """Per month, the reasons that dropped rows and how many (none: an empty dict)."""
    return {month: {name: counts[name] for name in DROP_REASONS if counts[name]} for month, counts in report.items()}


def report_table(report: CleaningReport) -> Tuple[List[str], List[str], List[List[int]]]:
    """The report as a table chart's (columns, months, rows): rows read, each reason, kept."""
    columns = ['rows', *DROP_REASONS, 'kept']
    return columns, list(report), [[counts[column] for column in columns] for counts in report.values()]
