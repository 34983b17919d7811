"""Data behind the data-preparation charts (each chart block is a thin call into here)."""

from __future__ import annotations

from typing import List, Tuple

import pandas as pd

from mlops.utils.data_preparation.cleaning import datetime_columns
from mlops.utils.data_preparation.on_dask import MONTH_LIST_COLUMNS

Table = Tuple[List[str], List[str], List[list]]  # (column headers, row index, rows)


def pickups_per_week(df: pd.DataFrame) -> Tuple[List[str], List[int]]:
    """Trips per pickup week, labelled by its Monday (``1/08``), in date order: a bar per
    week. A bar per day (60 for the default two months) drew labels on top of each other in
    the editor's chart panel and on the dashboard; a week keeps the trend readable. The first
    and last bars may be partial weeks. Plain values rather than Mage's time-series chart over
    a ``@data_source`` frame, because 0.9.80 runs a decorated chart in the editor's kernel only
    to fail on ``decorators.chart``."""
    pickup, _ = datetime_columns(df)
    days = pd.to_datetime(df[pickup]).dt.normalize()
    mondays = days - pd.to_timedelta(days.dt.dayofweek, unit='D')
    counts = mondays.value_counts().sort_index()
    return [f'{day.month}/{day.day:02d}' for day in counts.index], counts.astype(int).tolist()


def short_trip_distances(df: pd.DataFrame, max_distance: float = 20.0) -> pd.Series:
    """trip_distance of trips up to ``max_distance`` miles (longer ones flatten the histogram)."""
    distances = df['trip_distance']
    return distances[distances <= max_distance]


def missing_values(df: pd.DataFrame) -> Tuple[List[str], List[float]]:
    """Columns with missing values and the percentage missing, most first."""
    share = df.isna().mean().mul(100).round(2)
    share = share[share > 0].sort_values(ascending=False)
    return share.index.astype(str).tolist(), share.tolist()


def unique_values(df: pd.DataFrame) -> Tuple[List[str], List[int]]:
    """Distinct non-null values per column, most first."""
    counts = df.nunique().sort_values(ascending=False)
    return counts.index.astype(str).tolist(), counts.astype(int).tolist()


def most_frequent_values(df: pd.DataFrame) -> Table:
    """For each column: its mode, how often it occurs, and that as a share of non-null values."""
    index, rows = [], []
    for column in df.columns:
        counts = df[column].value_counts()
        if counts.empty:
            continue
        share = 100 * counts.iloc[0] / counts.sum()
        index.append(str(column))
        rows.append([str(counts.index[0]), int(counts.iloc[0]), f'{share:.2f}%'])
    return ['mode value', 'frequency', '% of values'], index, rows


def summary_overview(df: pd.DataFrame) -> Table:
    stats = {
        'rows': len(df),
        'columns': df.shape[1],
        'missing cells': int(df.isna().to_numpy().sum()),
        'duplicate rows': int(df.duplicated().sum()),
        'memory (MB)': round(df.memory_usage(deep=True).sum() / 2**20, 1),
    }
    return ['value'], list(stats), [[value] for value in stats.values()]


def first_frame(output) -> pd.DataFrame:
    """A chart's input: a block's DataFrame, or the first one of a block that returns several.
    With ``compute=dask`` the ingest block lists months and the rows stay on the workers: the
    charts get no trips (and say so: no data), not that list."""
    if isinstance(output, (list, tuple)):
        output = output[0]
    if isinstance(output, pd.DataFrame) and tuple(output.columns) == MONTH_LIST_COLUMNS:
        return pd.DataFrame(
            {
                'lpep_pickup_datetime': pd.Series([], dtype='datetime64[ns]'),
                'lpep_dropoff_datetime': pd.Series([], dtype='datetime64[ns]'),
                'PULocationID': pd.Series([], dtype='int64'),
                'DOLocationID': pd.Series([], dtype='int64'),
                'trip_distance': pd.Series([], dtype='float64'),
            }
        )
    return output
