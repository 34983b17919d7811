"""The registered model: raw trip records in, minutes out, vectorizer included."""
from __future__ import annotations

from typing import Any, List, Union

import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from mlops.utils.serving.features import trip_features
from mlops.utils.serving.vectorizer import transform


class TripDurationModel(PythonModel):
    """Predicts trip minutes from ``PULocationID``, ``DOLocationID`` and ``trip_distance``
    (a DataFrame or a list of dicts), with the features training computed."""

    def __init__(self, vectorizer, estimator):
        self.vectorizer = vectorizer
        self.estimator = estimator

    def features(self, records: Union[pd.DataFrame, List[dict]]) -> Any:
        return transform(self.vectorizer, trip_features(records))

    def predict(self, context, model_input, params=None) -> np.ndarray:
        return np.asarray(self.estimator.predict(self.features(model_input)), dtype=float)
