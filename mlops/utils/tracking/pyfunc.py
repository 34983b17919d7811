"""The served model: raw trip records in, minutes out, vectorizer included."""
from __future__ import annotations

from typing import Any, List, Union

import numpy as np
import pandas as pd

try:
    from mlflow.pyfunc import PythonModel
except ImportError:  # pragma: no cover - mlflow is a runtime dependency
    PythonModel = object

from mlops.utils.data_preparation.encoders import transform
from mlops.utils.data_preparation.feature_engineering import combine_features
from mlops.utils.data_preparation.feature_selector import select_features

INPUT_COLUMNS = ['PULocationID', 'DOLocationID', 'trip_distance']


class TripDurationModel(PythonModel):
    """Predicts trip minutes from ``PULocationID``, ``DOLocationID`` and ``trip_distance``
    (a DataFrame or a list of dicts)."""

    def __init__(self, vectorizer, estimator):
        self.vectorizer = vectorizer
        self.estimator = estimator

    def features(self, records: Union[pd.DataFrame, List[dict]]) -> Any:
        frame = records if isinstance(records, pd.DataFrame) else pd.DataFrame(list(records))
        missing = [c for c in INPUT_COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f'trip records lack {", ".join(missing)}')
        frame = combine_features(frame)
        frame = frame.assign(trip_distance=pd.to_numeric(frame['trip_distance'], errors='raise').astype(float))
        return transform(self.vectorizer, select_features(frame))

    def predict(self, context, model_input, params=None) -> np.ndarray:
        return np.asarray(self.estimator.predict(self.features(model_input)), dtype=float)
