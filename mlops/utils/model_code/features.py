"""The model's features from raw trip records: ``PU_DO`` and ``trip_distance``.

``trip_features`` is the one feature step: data preparation calls it on cleaned trips, the
served model on the records it is given.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Union

import pandas as pd
from pandas import DataFrame

from mlops.utils.errors import DataError
from mlops.utils.model_code.strings import join_strings

# The column the model predicts: the trip's duration in minutes, computed by cleaning from its
# pickup and dropoff times (data_preparation.cleaning), the target of every served model.
DURATION = 'duration'
INPUT_COLUMNS = ['PULocationID', 'DOLocationID', 'trip_distance']
# The types of the model's signature: JSON integers and numbers as clients send them (a
# signature inferred from parquet's int32 ids would refuse them).
INPUT_TYPES = {'PULocationID': 'int64', 'DOLocationID': 'int64', 'trip_distance': 'float64'}
CATEGORICAL_FEATURES = ['PU_DO']
NUMERICAL_FEATURES = ['trip_distance']

Records = List[Dict]


def combine_features(df: Union[Records, DataFrame]) -> Union[Records, DataFrame]:
    """Add ``PU_DO = '<PULocationID>_<DOLocationID>'``; the input is not modified."""
    if isinstance(df, DataFrame):
        df = df.copy(deep=False)  # a new column only: sharing the others is safe and cheap
        df['PU_DO'] = join_strings(df['PULocationID'], df['DOLocationID'])
        return df
    if isinstance(df, list) and df and isinstance(df[0], dict):
        return [{**row, 'PU_DO': f'{row["PULocationID"]}_{row["DOLocationID"]}'} for row in df]
    return df


def select_features(df: DataFrame, features: Optional[List[str]] = None) -> DataFrame:
    """The model features plus ``features`` (e.g. split column and target), in that order."""
    columns = list(dict.fromkeys(CATEGORICAL_FEATURES + NUMERICAL_FEATURES + [f for f in features or [] if f]))
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f'columns not in the data: {", ".join(missing)}')
    return df[columns]


def as_frame(records: Union[DataFrame, Records]) -> DataFrame:
    return records if isinstance(records, DataFrame) else DataFrame(list(records))


def trip_features(trips: Union[DataFrame, Records]) -> DataFrame:
    """``PU_DO`` and ``trip_distance`` (float) of trips that have the raw ``INPUT_COLUMNS``."""
    frame = as_frame(trips)
    missing = [c for c in INPUT_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f'trip records lack {", ".join(missing)}')
    distance = frame['trip_distance']
    if not pd.api.types.is_numeric_dtype(distance.dtype):  # numbers already (as served) skip the parse
        try:
            distance = pd.to_numeric(distance, errors='raise')
        except (TypeError, ValueError) as error:
            raise DataError(f'trip_distance must be numbers: {error}') from None
    # One frame built once (what combine_features + select_features give, without the copies:
    # on a one-trip request those pandas steps were most of the prediction's time).
    return DataFrame(
        {
            CATEGORICAL_FEATURES[0]: join_strings(frame['PULocationID'], frame['DOLocationID']).to_numpy(),
            NUMERICAL_FEATURES[0]: distance.to_numpy(dtype=float),
        },
        index=frame.index,
    )
