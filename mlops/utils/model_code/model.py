"""The registered model: raw trip records in, minutes out, vectorizer included."""

from __future__ import annotations

import gc
import os
from typing import Any, List, Optional, Union

import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from mlops.utils.model_code.features import trip_features
from mlops.utils.model_code.input_rule import check_record_count, checked_trips
from mlops.utils.model_code.request_limits import max_records, serving_requests
from mlops.utils.model_code.vectorizer import transform

# Set by scripts/serve.sh: the process exists to serve this model (see freeze_heap).
FREEZE_GC_ENV_VAR = 'MLOPS_SERVING_FREEZE_GC'


def freeze_heap() -> None:
    """Takes every object alive now (MLflow, pandas, scikit-learn, the model: ~340k objects in
    a model server) out of the cyclic garbage collector's sight; only what requests create is
    scanned from now on. Without it a full collection walked them all every few 10k-trip
    requests, answering them 0.4-0.6 s late (and any request in flight with them)."""
    gc.collect()
    gc.freeze()


class TripDurationModel(PythonModel):
    """Predicts trip minutes from ``PULocationID``, ``DOLocationID`` and ``trip_distance``
    (a DataFrame or a list of dicts), with the features training computed. Trips that break
    the input rule (input_rule.py) are refused, naming the record and field."""

    # In a model server, each predict call is one request, held to this many trips (set when
    # the model loads there); None elsewhere: monitoring scores a whole month in one call.
    request_limit: Optional[int] = None

    def __init__(self, vectorizer, estimator):
        self.vectorizer = vectorizer
        self.estimator = estimator

    def load_context(self, context) -> None:
        if serving_requests():
            self.request_limit = max_records()
        if os.environ.get(FREEZE_GC_ENV_VAR) == '1':  # a model server; elsewhere loading has no side effect
            freeze_heap()

    def features(self, records: Union[pd.DataFrame, List[dict]]) -> Any:
        return transform(self.vectorizer, trip_features(records))

    def predict(self, context, model_input, params=None) -> np.ndarray:
        if self.request_limit is not None:
            check_record_count(len(model_input), limit=self.request_limit)
        return np.asarray(self.estimator.predict(self.features(checked_trips(model_input))), dtype=float)
