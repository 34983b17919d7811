"""The one rule for the trips a prediction is asked for, on every path.

The registered model applies it to whatever it is given (``TripDurationModel.predict``: the
model server's requests, in-process calls), and the ``predict`` pipeline to the records of a
run's variables (mlops/utils/inference/inputs.py), so both refuse the same trips, in the same
words:

- ``PULocationID``, ``DOLocationID``: integers in [1, ``MAX_LOCATION_ID``]. NYC's taxi zones
  are 1..265 (264, 265: unknown), but an id the model never saw is accepted: the model predicts
  that trip from the distance alone (its route feature is all zeros). The source stores ids as
  int32, so no record holds a larger one, and ``10**20`` would overflow the model's int64.
- ``trip_distance``: a finite number of miles in [0, ``MAX_TRIP_MILES``]; null, NaN and
  infinity are refused.
- at most ``request_limits.max_records()`` trips a request (``check_record_count``).

A refusal is an ``InputError``: the project's bad-input error (a ``DataError``) and an
``MlflowException`` with ``INVALID_PARAMETER_VALUE``, which MLflow's scoring server answers with
HTTP 400 and the message; the message names the record (``records[3]``, or the caller's label)
and the field. Too many trips is ``TooManyRecords``, answered with HTTP 413.

Columns of numbers (what the model server's signature gives the model) are checked with a few
numpy comparisons; other columns (text from forms, Python integers past int64, None) value by
value, then the same comparisons.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Optional, Union

import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_LIMIT_EXCEEDED

from mlops.utils.errors import DataError
from mlops.utils.model_code.features import INPUT_COLUMNS, INPUT_TYPES, Records
from mlops.utils.model_code.request_limits import MAX_RECORDS_ENV_VAR, max_records

LOCATION_COLUMNS = ('PULocationID', 'DOLocationID')
DISTANCE_COLUMN = 'trip_distance'
MAX_LOCATION_ID = 2**31 - 1
# The longest trips the source records are odometer errors of up to ~280,000 miles (green
# 2023-09), which training keeps and monitoring scores: the bound is above them all. Past it a
# distance is no trip, and the answer no duration: a linear model gave 1e308 miles -3.7e303
# minutes, with a 200.
MAX_TRIP_MILES = 1_000_000
# Location ids as text (interaction forms send text): ASCII digits only ('²'.isdigit() is true);
# 30 at most, so int() never converts thousands of digits.
_DIGITS = re.compile(r'\+?[0-9]{1,30}')

Where = Callable[[int], str]  # the name of the record at a position, for messages


def records_label(position: int) -> str:
    return f'records[{position}]'


class InputError(DataError, MlflowException):
    """Trips that break the rule; the message names the record and field. HTTP 400 when a
    model server raises it."""

    def __init__(self, message: str, error_code: int = INVALID_PARAMETER_VALUE):
        MlflowException.__init__(self, message, error_code=error_code)


class TooManyRecords(InputError):
    """More trips in one request than ``max_records()``: HTTP 413 (Content Too Large) when a
    model server raises it (its scoring server asks the exception for the status)."""

    def __init__(self, message: str):
        super().__init__(message, error_code=RESOURCE_LIMIT_EXCEEDED)

    def get_http_status_code(self) -> int:
        return 413


def check_record_count(count: int, what: str = 'the request', limit: Optional[int] = None) -> None:
    """TooManyRecords when ``count`` trips are more than ``limit`` (default ``max_records()``)."""
    limit = max_records() if limit is None else limit
    if count > limit:
        raise TooManyRecords(f'{what} has {count} records; at most {limit} per request ({MAX_RECORDS_ENV_VAR})')


def shown(value: Any) -> str:
    """A value as a message quotes it: its ``repr``, cut at 80 characters."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return 'null or NaN'
    try:
        return f'{value!r:.80}'
    except ValueError:  # an int of over 4300 digits has no repr
        return 'an integer of thousands of digits'


def _location_number(value: Any) -> float:
    """A value of a column that is not numbers as the number it stands for; NaN for none."""
    if isinstance(value, (bool, np.bool_)):
        return math.nan
    if isinstance(value, str):
        text = value.strip()
        if not _DIGITS.fullmatch(text):
            return math.nan
        value = int(text)
    if isinstance(value, (int, float, np.integer, np.floating)):
        try:
            return float(value)
        except OverflowError:  # an int past float's range: no location id either
            return math.inf
    return math.nan


def _miles(value: Any) -> Optional[float]:
    """A value of a column that is not numbers as miles; None when it is no number at all."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
    try:
        return float(value)
    except OverflowError:  # an int past float's range: a number, not a finite one
        return math.inf
    except (TypeError, ValueError):
        return None


def _numbers(series: pd.Series, convert: Callable[[Any], Optional[float]]) -> np.ndarray:
    """The column as a numpy array of numbers: as it is when it holds numbers (no copy), else
    converted value by value (NaN for what is no number)."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in 'iuf':
        return series.to_numpy()
    converted = (convert(value) for value in series.tolist())
    return np.fromiter((math.nan if x is None else x for x in converted), dtype=float, count=len(series))


def _valid_ids(ids: np.ndarray) -> np.ndarray:
    valid = (ids >= 1) & (ids <= MAX_LOCATION_ID)  # NaN compares false: refused
    if ids.dtype.kind == 'f':
        valid &= np.trunc(ids) == ids
    return valid


def _refusal(column: str, value: Any, where: str) -> str:
    if column in LOCATION_COLUMNS:
        return f'{where}.{column} must be a location id (an integer in [1, {MAX_LOCATION_ID}]), got {shown(value)}'
    miles = _miles(value)
    if miles is None:
        return f'{where}.{column} must be a number of miles, got {shown(value)}'
    if math.isfinite(miles) and miles > MAX_TRIP_MILES:
        return f'{where}.{column} must be at most {MAX_TRIP_MILES} miles, got {shown(value)}'
    return f'{where}.{column} must be a finite number >= 0, got {shown(value)}'


def refused_rows(trips: pd.DataFrame) -> np.ndarray:
    """Per row of a frame of numbers (a month of trips), whether its ids or distance are out of
    the rule's range: what data preparation drops, so that no trip it keeps is one a prediction
    would refuse (monitoring and champion re-scoring predict whole months). Not fractions: a
    fractional id is a damaged column, which preparation names."""
    ids = [trips[c].to_numpy(dtype=float, na_value=np.nan) for c in LOCATION_COLUMNS]
    distances = trips[DISTANCE_COLUMN].to_numpy(dtype=float, na_value=np.nan)
    in_range = (distances >= 0) & (distances <= MAX_TRIP_MILES)
    for values in ids:
        in_range &= (values >= 1) & (values <= MAX_LOCATION_ID)
    return ~in_range


def checked_trips(trips: Union[pd.DataFrame, Records], where: Where = records_label) -> pd.DataFrame:
    """``trips`` with their ``INPUT_COLUMNS`` typed as ``INPUT_TYPES`` (the frame itself when
    they are already), or InputError naming the first record that breaks the rule, its field
    and value (with how many records are refused in all). ``where(i)`` names the record at
    position ``i``."""
    # Records become columns of the values as given: pandas would turn None into NaN, and fail on
    # integers past float's range.
    frame = trips if isinstance(trips, pd.DataFrame) else pd.DataFrame(list(trips), dtype=object)
    missing = [c for c in INPUT_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f'trip records lack {", ".join(missing)}')
    columns = {c: frame[c] for c in INPUT_COLUMNS}
    numbers = {c: _numbers(columns[c], _location_number) for c in LOCATION_COLUMNS}
    numbers[DISTANCE_COLUMN] = _numbers(columns[DISTANCE_COLUMN], _miles)
    distances = numbers[DISTANCE_COLUMN]
    valid = {c: _valid_ids(numbers[c]) for c in LOCATION_COLUMNS}
    valid[DISTANCE_COLUMN] = (distances >= 0) & (distances <= MAX_TRIP_MILES)  # NaN, inf: refused
    every = valid['PULocationID'] & valid['DOLocationID'] & valid[DISTANCE_COLUMN]
    if not every.all():
        position = int(np.argmin(every))
        column = next(c for c in INPUT_COLUMNS if not valid[c][position])
        refused = int(len(every) - np.count_nonzero(every))
        message = _refusal(column, columns[column].iloc[position], where(position))
        raise InputError(message + (f' ({refused} records refused in all)' if refused > 1 else ''))
    if all(columns[c].dtype == INPUT_TYPES[c] for c in INPUT_COLUMNS):
        return frame
    return pd.DataFrame({c: numbers[c].astype(INPUT_TYPES[c], copy=False) for c in INPUT_COLUMNS}, index=frame.index)
