"""The training/serving contract, checked before a version is registered: the model as it will
be served (raw trip records in, ``serving.features`` and the fitted vectorizer inside) predicts
on the validation records exactly what the estimator predicted on the validation matrix data
preparation built. A drift between the two fails the training run, not a later request."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlops.utils.errors import DataError
from mlops.utils.models.on_dask import predict_matrix

# float32 boosters and float64 sums may differ in their last bits, never by a hundredth of a second.
TOLERANCE_MINUTES = 1e-4


def check_serving_contract(served_model: Any, estimator: Any, X_val: Any, validation: pd.DataFrame) -> None:
    """DataError naming the first validation row where the served model's minutes differ from the
    estimator's on the training matrix, and by how much."""
    served = np.asarray(served_model.predict(None, validation), dtype=float)
    trained = np.asarray(predict_matrix(estimator, X_val), dtype=float)
    if served.shape != trained.shape:
        raise DataError(
            f'the served model gave {served.shape[0]} predictions for {trained.shape[0]} validation rows: '
            'serving and training disagree on the rows'
        )
    differences = np.abs(served - trained)
    differences[np.isnan(served) != np.isnan(trained)] = np.inf
    worst = int(np.nanargmax(differences)) if len(differences) else 0
    if len(differences) and differences[worst] > TOLERANCE_MINUTES:
        wrong = int((differences > TOLERANCE_MINUTES).sum())
        raise DataError(
            f'the served model predicts differently from training on {wrong} of {len(differences)} validation '
            f'rows (row {worst}: {served[worst]:.4f} served, {trained[worst]:.4f} trained): serving computes the '
            'features differently from data preparation; nothing was registered'
        )
