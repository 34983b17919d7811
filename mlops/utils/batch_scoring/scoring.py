"""One month of trips scored by a model: data preparation's ingest and cleaning (the same rows
monitoring and training use), the model's own predictions, one row per trip kept.

No MLflow and no files here: ``model`` is anything with the pyfunc's ``predict`` (raw inputs in,
minutes out).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mlops.utils.data_preparation.cleaning import (
    DROP_REASONS,
    CleaningReport,
    check_usable_months,
    datetime_columns,
    usable_trips,
)
from mlops.utils.data_preparation.ingest import ingest_files
from mlops.utils.errors import DataError
from mlops.utils.inference.champion import PREDICTION_COLUMN
from mlops.utils.model_code.features import DURATION, INPUT_COLUMNS, INPUT_TYPES

# Trips per predict call: a whole green month is one call; only far larger months are split,
# so memory stays bounded. (The model's record limit applies on the model server only.)
CHUNK_ROWS = 1_000_000
MIN_PART_ROWS = 10_000  # fewer trips are predicted in one call: a thread costs more than it saves

# The columns of a scored month, in order.
TRIP_KEY = 'trip_key'  # '<colour>:<YYYY-MM>:<row>': the trip's row in its month's source file
SOURCE_ROW = 'source_row'  # that row's position in the file (0-based)
PICKUP = 'pickup_datetime'  # naive New York time, as data preparation reads it
ACTUAL = 'actual_minutes'  # the trip's duration (dropoff - pickup); NaN where not known
MODEL, MODEL_VERSION = 'model', 'model_version'
OUTPUT_COLUMNS = [TRIP_KEY, SOURCE_ROW, PICKUP, *INPUT_COLUMNS, PREDICTION_COLUMN, ACTUAL, MODEL, MODEL_VERSION]

# Where a month's time goes (``ScoredMonth.seconds``): the file read; cleaning and the inputs
# typed; the model's predictions; the output rows assembled (trip keys) and, by the caller,
# written (``steps.stage_month``).
READ, FEATURES, PREDICT, WRITE = 'read', 'features', 'predict', 'write'
STAGES = (READ, FEATURES, PREDICT, WRITE)


@dataclass
class ScoredMonth:
    month: str
    rows: pd.DataFrame  # OUTPUT_COLUMNS, one row per trip scored, in file order
    rows_in: int  # rows of the month's file
    refused: Dict[str, int]  # rows not scored, per cleaning reason (``DROP_REASONS``) that applies
    seconds: Dict[str, float] = field(default_factory=dict)  # per stage (``STAGES``) that ran

    @property
    def rows_scored(self) -> int:
        return len(self.rows)

    @property
    def rows_refused(self) -> int:
        return int(sum(self.refused.values()))


def refused_counts(report: CleaningReport) -> Dict[str, int]:
    """Rows cleaning dropped, per reason (those with any), over the report's months."""
    totals = {name: int(sum(counts[name] for counts in report.values())) for name in DROP_REASONS}
    return {name: count for name, count in totals.items() if count}


def usable_cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else (os.cpu_count() or 1)


def predict_in_chunks(
    model: Any, inputs: pd.DataFrame, chunk_rows: int = CHUNK_ROWS, threads: Optional[int] = None
) -> np.ndarray:
    """``model.predict`` over ``inputs`` as one float array, in order: parts of at most
    ``chunk_rows`` trips (and at least ``MIN_PART_ROWS``) predicted by ``threads`` threads at
    once (default: every usable core). The served model's XGBoost booster predicts on one
    thread and releases the GIL, so parts run side by side; a trip's minutes do not depend on
    the part it is in."""
    if chunk_rows < 1:
        raise ValueError(f'chunk_rows must be at least 1, got {chunk_rows}')
    threads = max(1, threads or usable_cores())
    part_rows = min(chunk_rows, max(MIN_PART_ROWS, -(-len(inputs) // threads)))
    parts = [inputs.iloc[start : start + part_rows] for start in range(0, len(inputs), part_rows)]

    def predict(part: pd.DataFrame) -> np.ndarray:
        return np.asarray(model.predict(part), dtype=float).reshape(-1)

    if len(parts) < 2 or threads == 1:
        predicted = [predict(part) for part in parts]
    else:
        with ThreadPoolExecutor(max_workers=min(threads, len(parts)), thread_name_prefix='predict') as pool:
            predicted = list(pool.map(predict, parts))
    return np.concatenate(predicted) if predicted else np.empty(0, dtype=float)


def trip_keys(colour: str, month: str, rows: np.ndarray) -> np.ndarray:
    """``'<colour>:<month>:<row>'`` per source row: the same trip gets the same key every run.
    Formatted and joined by Arrow, a third of the time ``prefix + Series.astype(str)`` took
    (every key is distinct, so there is no distinct-value shortcut as for routes)."""
    digits = pa.array(rows, type=pa.int64()).cast(pa.string())
    return pc.binary_join_element_wise(f'{colour}:{month}:', digits, '').to_numpy(zero_copy_only=False)


def score_trips(
    model: Any,
    raw: pd.DataFrame,
    colour: str,
    month: str,
    model_name: str,
    version: str,
    chunk_rows: int = CHUNK_ROWS,
) -> ScoredMonth:
    """``raw`` (one month as ingest reads it: its index is the row's position in the file)
    cleaned as data preparation cleans, then predicted. DataError when no row is usable (a
    damaged file, as data preparation says) or the index is not the rows' positions."""
    if not (raw.index.is_unique and raw.index.is_monotonic_increasing):
        raise DataError(f'{colour} {month}: the trips must keep their row positions as index (ingest gives them)')
    started = time.perf_counter()
    cleaned, report = usable_trips(raw)
    check_usable_months(report)
    pickup, _ = datetime_columns(cleaned)
    inputs = cleaned[INPUT_COLUMNS].astype(INPUT_TYPES)
    typed = time.perf_counter()
    minutes = predict_in_chunks(model, inputs, chunk_rows)
    predicted = time.perf_counter()
    rows = cleaned.index.to_numpy(dtype='int64')
    frame = pd.DataFrame(
        {
            TRIP_KEY: trip_keys(colour, month, rows),
            SOURCE_ROW: rows,
            PICKUP: cleaned[pickup].to_numpy(),
            **{column: inputs[column].to_numpy() for column in INPUT_COLUMNS},
            PREDICTION_COLUMN: minutes,
            ACTUAL: cleaned[DURATION].to_numpy(dtype=float),
            MODEL: model_name,
            MODEL_VERSION: str(version),
        },
        columns=OUTPUT_COLUMNS,
    )
    seconds = {FEATURES: typed - started, PREDICT: predicted - typed, WRITE: time.perf_counter() - predicted}
    return ScoredMonth(month, frame, rows_in=len(raw), refused=refused_counts(report), seconds=seconds)


def score_month(
    model: Any,
    colour: str,
    month: str,
    model_name: str,
    version: str,
    source: Optional[str] = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ScoredMonth:
    """``month`` of ``colour`` trips read from ``source`` (data preparation's ingest, default
    source and errors) and scored by ``model``."""
    started = time.perf_counter()
    raw = ingest_files(month, month, colour=colour, source=source)
    read = time.perf_counter() - started
    scored = score_trips(model, raw, colour, month, model_name, version, chunk_rows)
    scored.seconds = {READ: read, **scored.seconds}
    return scored
