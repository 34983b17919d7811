from __future__ import annotations

from typing import List, Optional

import pandas as pd

from mlops.utils.errors import DataError

CATEGORICAL_FEATURES = ['PU_DO']
NUMERICAL_FEATURES = ['trip_distance']


def select_features(df: pd.DataFrame, features: Optional[List[str]] = None) -> pd.DataFrame:
    """The model features plus ``features`` (e.g. split column and target), in that order."""
    columns = list(dict.fromkeys(CATEGORICAL_FEATURES + NUMERICAL_FEATURES + [f for f in features or [] if f]))
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f'columns not in the data: {", ".join(missing)}')
    return df[columns]
