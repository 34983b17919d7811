"""Trip durations and the seed's outlier rule, vectorized."""

from __future__ import annotations

import pandas as pd

from mlops.utils.data_preparation.sources import COLOUR_PREFIX
from mlops.utils.errors import DataError
from mlops.utils.model_code.strings import as_strings

CATEGORICAL_ID_COLUMNS = ['PULocationID', 'DOLocationID']
MIN_DURATION_MINUTES = 1
MAX_DURATION_MINUTES = 60


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


def clean(df: pd.DataFrame, include_extreme_durations: bool = False) -> pd.DataFrame:
    """Add ``duration`` in minutes, keep 1..60 minute trips, make location ids categorical.

    Returns a new frame; the input is not modified.
    """
    pickup, dropoff = datetime_columns(df)
    missing = [c for c in CATEGORICAL_ID_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f'trips lack columns: {", ".join(missing)}')
    df = df.copy(deep=False)  # columns are replaced, never written in place
    df[pickup] = pd.to_datetime(df[pickup])
    df[dropoff] = pd.to_datetime(df[dropoff])
    df['duration'] = (df[dropoff] - df[pickup]).dt.total_seconds() / 60
    if not include_extreme_durations:
        keep = df['duration'].between(MIN_DURATION_MINUTES, MAX_DURATION_MINUTES)
        df = df[keep]
    for column in CATEGORICAL_ID_COLUMNS:
        df[column] = as_strings(df[column])
    return df
