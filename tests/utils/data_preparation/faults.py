"""Real months with faults put in: data sources in the upstream layout whose files are the shared
data's, some of them changed (ids nulled, times lost, types changed, zones added)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mlops.utils.data_preparation.times import NEW_YORK

PICKUP, DROPOFF = 'lpep_pickup_datetime', 'lpep_dropoff_datetime'


def month_file(base: Path, month: str) -> Path:
    return base / 'taxi' / 'green' / month[:4] / f'{month[5:]}.parquet'


def original(shared_data: Path, month: str) -> pd.DataFrame:
    return pd.read_parquet(month_file(shared_data, month))


def write_month(base: Path, month: str, data) -> Path:
    """``data`` (a frame or an Arrow table) as ``month`` of the source ``base``; a frame without
    pandas' own metadata, as other writers leave it (an integer column with nulls reads back as
    floats, not as pandas' Int64)."""
    path = month_file(base, month)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = data
    if not isinstance(data, pa.Table):
        table = pa.Table.from_pandas(data, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(table, path)
    return path


def link_months(base: Path, shared_data: Path, months: Iterable[str]) -> None:
    for month in months:
        path = month_file(base, month)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(month_file(shared_data, month))


def in_range_positions(frame: pd.DataFrame) -> np.ndarray:
    """Positions of the trips the seed keeps (1..60 minutes): a fault put there is the only
    reason to drop the row."""
    minutes = (frame[DROPOFF] - frame[PICKUP]).dt.total_seconds() / 60
    return np.flatnonzero(minutes.between(1, 60).to_numpy())


# Which faults go where, as every-nth picks among the trips the seed keeps (disjoint).
FAULTS: Dict[str, Sequence[int]] = {
    'PULocationID': (11, 23, 37, 41),
    'DOLocationID': (53, 67),
    PICKUP: (71, 83),
    DROPOFF: (97,),
    'trip_distance': (101, 113),
}


def with_faults(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the ``FAULTS`` nulled; the ids stay integers with nulls (as Arrow stores
    them: pandas reads such a column back as floats)."""
    frame = frame.copy()
    keep = in_range_positions(frame)
    for column, picks in FAULTS.items():
        if pd.api.types.is_integer_dtype(frame[column].dtype):
            frame[column] = frame[column].astype('Int64')
        frame.loc[frame.index[keep[list(picks)]], column] = None
    return frame


def faulty_positions(frame: pd.DataFrame) -> np.ndarray:
    keep = in_range_positions(frame)
    return keep[[pick for picks in FAULTS.values() for pick in picks]]


def as_zoned(frame: pd.DataFrame, zone: str) -> pd.DataFrame:
    """``frame`` with its trip times as the same instants, stored zone-aware in ``zone``."""
    frame = frame.copy()
    for column in (PICKUP, DROPOFF):
        frame[column] = frame[column].dt.tz_localize(NEW_YORK).dt.tz_convert(zone)
    return frame


def damage_data_page(path: Path) -> None:
    """Overwrite bytes inside the first data page; the footer (and so the row count) stays."""
    offset = pq.ParquetFile(path).metadata.row_group(0).column(0).data_page_offset
    data = bytearray(path.read_bytes())
    data[offset + 8 : offset + 72] = b'\xff' * 64
    path.write_bytes(bytes(data))
