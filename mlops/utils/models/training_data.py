"""The training_set global data product, unpacked once for every consumer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

import pandas as pd

from mlops.utils.errors import DataError


@dataclass
class TrainingData:
    X_train: Any
    X_val: Any
    y_train: pd.Series
    y_val: pd.Series
    dv: Any
    df_val: Optional[pd.DataFrame] = None  # validation features before encoding (PU_DO, ...)
    df: Optional[pd.DataFrame] = None  # all rows, with the split column
    df_train: Optional[pd.DataFrame] = None

    @property
    def feature_names(self):
        return list(self.dv.feature_names_)


def unpack_training_set(training_set: Dict[str, Any]) -> TrainingData:
    """From the GDP block's output: ``{'build': [X, X_train, X_val, y, y_train, y_val, dv],
    'prepare': [df, df_train, df_val]}``."""
    try:
        X, X_train, X_val, y, y_train, y_val, dv = training_set['build']
    except (KeyError, TypeError, ValueError) as error:
        raise DataError(f'training_set lacks the 7 outputs of data_preparation/build: {error}') from error
    prepared = training_set.get('prepare') or [None, None, None]
    data = TrainingData(X_train, X_val, y_train, y_val, dv, df_val=prepared[2], df=prepared[0],
                        df_train=prepared[1])
    for name, matrix, target in (('training', X_train, y_train), ('validation', X_val, y_val)):
        if matrix is None or matrix.shape[0] == 0:
            raise DataError(f'the {name} set is empty: nothing to train or validate on')
        if matrix.shape[0] != len(target):
            raise DataError(f'the {name} set has {matrix.shape[0]} rows but {len(target)} targets')
    return data
