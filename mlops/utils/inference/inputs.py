"""Trip records from the ``predict`` pipeline's variables, checked before the model sees them.

Two shapes: ``inputs``, a list of trip records (or its JSON text, as API calls and forms send
it), or the single-trip variables ``PULocationID``, ``DOLocationID``, ``trip_distance``. Here:
the shape (a list of objects, each with every field, at most ``max_records()`` of them); the
values go through the model's own input rule (mlops/utils/model_code/input_rule.py), which
also takes them as text (interaction forms send text) and refuses what the model server
refuses, in the same words, naming the record and the field.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping

import pandas as pd

from mlops.utils.model_code.features import INPUT_COLUMNS
from mlops.utils.model_code.input_rule import InputError, check_record_count, checked_trips

__all__ = ['InputError', 'trip_records']


def check_record(record: Any, where: str) -> Dict[str, Any]:
    """The record's fields as given; InputError when it is no object or lacks one."""
    if not isinstance(record, Mapping):
        raise InputError(f'{where} must be an object with {", ".join(INPUT_COLUMNS)}, got {type(record).__name__}')
    missing = [c for c in INPUT_COLUMNS if record.get(c) in (None, '')]
    if missing:
        raise InputError(f'{where} lacks {", ".join(missing)}')
    return {c: record[c] for c in INPUT_COLUMNS}


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
    check_record_count(len(inputs), 'inputs')
    return inputs


def trip_records(variables: Mapping[str, Any]) -> pd.DataFrame:
    """The trips to predict, typed as the model's signature; InputError for anything else."""
    if variables.get('inputs') not in (None, '', []):
        records = [check_record(r, f'inputs[{i}]') for i, r in enumerate(_parsed_inputs(variables['inputs']))]
        where = 'inputs[{}]'.format
    else:
        given = {c: variables.get(c) for c in INPUT_COLUMNS}
        missing = [c for c, v in given.items() if v in (None, '')]
        if missing:
            raise InputError(
                f'give "inputs" (a list of trips) or all of {", ".join(INPUT_COLUMNS)}; missing: {", ".join(missing)}'
            )
        records = [check_record(given, 'trip')]
        where = 'trip'.format  # one record: no position
    # Columns of the values as given (object): text, and integers past int64, reach the rule intact.
    given_values = pd.DataFrame({c: pd.Series([r[c] for r in records], dtype=object) for c in INPUT_COLUMNS})
    return checked_trips(given_values, where)
