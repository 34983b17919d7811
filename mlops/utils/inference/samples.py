"""Trips of the champion's validation month with the minutes they actually took: what the
inference notebook predicts and plots against the truth."""

from __future__ import annotations

import pandas as pd

from mlops.utils.data_preparation.reread import TARGET, month_trips
from mlops.utils.model_code.features import INPUT_COLUMNS
from mlops.utils.tracking.trained_range import TrainedRange


def validation_sample(trained: TrainedRange, rows: int = 500, seed: int = 0) -> pd.DataFrame:
    """``rows`` cleaned trips of the month the champion was validated on (its last month),
    read from its source as data preparation reads them: the inputs and ``duration``."""
    prepared = month_trips(trained, trained.end_month)
    return prepared.sample(min(rows, len(prepared)), random_state=seed)[INPUT_COLUMNS + [TARGET]].reset_index(drop=True)
