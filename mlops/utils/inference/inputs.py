"""Trip records from the ``predict`` pipeline's variables, checked before the model sees them.

Two shapes: ``inputs``, a list of trip records (or its JSON text, as API calls and forms send
it), or the single-trip variables ``PULocationID``, ``DOLocationID``, ``trip_distance``.
Values may arrive as text (interaction forms do that); each is converted or refused with a
message naming the record and the field. Location ids the model never saw are accepted: the
model predicts those trips from the distance alone (their route feature is all zeros). They
must still fit the column type the data source stores them in (int32, see ``MAX_LOCATION_ID``):
beyond it an id is no location of any record, and ``10**20`` would overflow the frame's int64.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Dict, List, Mapping

import pandas as pd

from mlops.utils.errors import DataError
from mlops.utils.model_code.features import INPUT_COLUMNS, INPUT_TYPES

MAX_RECORDS = 100_000
# NYC's taxi zones are 1..265 (264, 265: unknown), but an id the model never saw is predicted
# from the distance; the monthly files store the ids as int32, so no record holds a larger one.
MAX_LOCATION_ID = 2**31 - 1
_DIGITS = re.compile(r'\+?[0-9]{1,30}')  # ASCII digits only ('²'.isdigit()); 30: int() of thousands is refused


class InputError(DataError):
    """The trips to predict are unusable; the message names the record and field."""


def _shown(value: Any) -> str:
    """``repr`` for a message, cut at 80 characters (an int of over 4300 digits has none)."""
    try:
        return f'{value!r:.80}'
    except ValueError:
        return 'an integer of thousands of digits'


def _integer(value: Any, where: str) -> int:
    refused = InputError(f'{where} must be a location id (an integer in [1, {MAX_LOCATION_ID}]), got {_shown(value)}')
    if isinstance(value, bool):
        raise refused
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= MAX_LOCATION_ID:
        raise refused
    return value


def _distance(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise InputError(f'{where} must be a number of miles, got {_shown(value)}')
    try:
        distance = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise InputError(f'{where} must be a number of miles, got {_shown(value)}') from None
    except OverflowError:  # an integer past float's range: not a finite distance
        raise InputError(f'{where} must be a finite number >= 0, got {_shown(value)}') from None
    if math.isnan(distance) or math.isinf(distance) or distance < 0:
        raise InputError(f'{where} must be a finite number >= 0, got {_shown(value)}')
    return distance


def check_record(record: Any, where: str) -> Dict[str, Any]:
    if not isinstance(record, Mapping):
        raise InputError(f'{where} must be an object with {", ".join(INPUT_COLUMNS)}, got {type(record).__name__}')
    missing = [c for c in INPUT_COLUMNS if record.get(c) in (None, '')]
    if missing:
        raise InputError(f'{where} lacks {", ".join(missing)}')
    return {
        'PULocationID': _integer(record['PULocationID'], f'{where}.PULocationID'),
        'DOLocationID': _integer(record['DOLocationID'], f'{where}.DOLocationID'),
        'trip_distance': _distance(record['trip_distance'], f'{where}.trip_distance'),
    }


def _parsed_inputs(inputs: Any) -> List[Any]:
    if isinstance(inputs, str):
        try:
            inputs = json.loads(inputs)
        except json.JSONDecodeError as error:
            raise InputError(f'inputs is not valid JSON: {error}') from None
    if isinstance(inputs, Mapping):
        inputs = [inputs]
    if not isinstance(inputs, list) or not inputs:
        raise InputError(
            f'inputs must be a non-empty list of trip records ({", ".join(INPUT_COLUMNS)}), got {inputs!r:.80}'
        )
    if len(inputs) > MAX_RECORDS:
        raise InputError(f'inputs has {len(inputs)} records; at most {MAX_RECORDS} per request')
    return inputs


def trip_records(variables: Mapping[str, Any]) -> pd.DataFrame:
    """The trips to predict, typed as the model's signature; InputError for anything else."""
    if variables.get('inputs') not in (None, '', []):
        records = [check_record(r, f'inputs[{i}]') for i, r in enumerate(_parsed_inputs(variables['inputs']))]
    else:
        given = {c: variables.get(c) for c in INPUT_COLUMNS}
        missing = [c for c, v in given.items() if v in (None, '')]
        if missing:
            raise InputError(
                f'give "inputs" (a list of trips) or all of {", ".join(INPUT_COLUMNS)}; missing: {", ".join(missing)}'
            )
        records = [check_record(given, 'trip')]
    return pd.DataFrame.from_records(records, columns=INPUT_COLUMNS).astype(INPUT_TYPES)
