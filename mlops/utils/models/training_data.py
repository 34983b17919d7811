"""The training_set global data product, unpacked once for every consumer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

import pandas as pd

from mlops.utils.compute.partitions import gathered, referenced
from mlops.utils.errors import DataError
from mlops.utils.model_code.features import DURATION, INPUT_COLUMNS


@dataclass
class TrainingData:
    X_train: Any
    X_val: Any
    y_train: pd.Series
    y_val: pd.Series
    dv: Any
    df_val: Optional[pd.DataFrame] = None  # validation rows before encoding (raw ids, PU_DO, ...)
    df: Optional[pd.DataFrame] = None  # all rows, with the split column
    df_train: Optional[pd.DataFrame] = None
    preparation: Optional[Dict[str, Any]] = None  # what data preparation used (months, split, ...)

    @classmethod
    def from_sets(cls, sets: Any, **frames: Any) -> 'TrainingData':
        """From ``data_preparation.steps.build_training_sets``' named result."""
        return cls(sets.X_train, sets.X_val, sets.y_train, sets.y_val, sets.dv, **frames)

    @property
    def feature_names(self):
        return list(self.dv.feature_names_)

    def validation_records(self, target: str = DURATION) -> pd.DataFrame:
        """The validation rows as the served model takes them, with the target beside them."""
        df_val = gathered(self.df_val)  # on the Dask path: the validation month's records, read here
        missing = [c for c in INPUT_COLUMNS if df_val is None or c not in df_val.columns]
        if missing:
            raise DataError(
                f'the training set lacks the raw inputs {", ".join(missing)}: '
                'refresh it with the current data_preparation pipeline'
            )
        return df_val[INPUT_COLUMNS].assign(**{target: gathered(self.y_val).to_numpy()})


def unpack_training_set(training_set: Dict[str, Any]) -> TrainingData:
    """From the GDP block's output: ``{'build': [X, X_train, X_val, y, y_train, y_val, dv, facts],
    'prepare': [df, df_train, df_val]}`` (``facts`` absent in sets built before it existed)."""
    try:
        X, X_train, X_val, y, y_train, y_val, dv, *rest = (referenced(o) for o in training_set['build'])
    except (KeyError, TypeError, ValueError) as error:
        raise DataError(f'training_set lacks the outputs of data_preparation/build: {error}') from error
    prepared = [referenced(o) for o in training_set.get('prepare') or [None, None, None]]
    data = TrainingData(
        X_train,
        X_val,
        y_train,
        y_val,
        dv,
        df_val=prepared[2],
        df=prepared[0],
        df_train=prepared[1],
        preparation=rest[0] if rest and isinstance(rest[0], dict) else None,
    )
    for name, matrix, target in (('training', X_train, y_train), ('validation', X_val, y_val)):
        if matrix is None or matrix.shape[0] == 0:
            raise DataError(f'the {name} set is empty: nothing to train or validate on')
        if matrix.shape[0] != len(target):
            raise DataError(f'the {name} set has {matrix.shape[0]} rows but {len(target)} targets')
    return data
