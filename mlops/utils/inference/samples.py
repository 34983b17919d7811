"""Trips of the champion's validation month with the minutes they actually took: what the
inference notebook predicts and plots against the truth."""
from __future__ import annotations

import pandas as pd

from mlops.utils.data_preparation.ingest import ingest_files
from mlops.utils.data_preparation.steps import prepare_trips
from mlops.utils.serving.features import INPUT_COLUMNS
from mlops.utils.tracking.trained_range import TrainedRange

TARGET = 'duration'


def validation_sample(trained: TrainedRange, rows: int = 500, seed: int = 0) -> pd.DataFrame:
    """``rows`` cleaned trips of the month the champion was validated on (its last month),
    read from its source as data preparation reads them: the inputs and ``duration``."""
    month = trained.end_month
    trips = ingest_files(month, month, colour=trained.taxi_colour, source=trained.data_source)
    prepared, _, _ = prepare_trips(trips, trained.split_on_feature or 'lpep_pickup_datetime', f'{month}-01', TARGET)
    return prepared.sample(min(rows, len(prepared)), random_state=seed)[INPUT_COLUMNS + [TARGET]] \
        .reset_index(drop=True)
