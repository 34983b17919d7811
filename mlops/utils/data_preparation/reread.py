"""A model's months read again, as data preparation made them: one month's cleaned trips (a
month monitoring scores), or the rows a model was fitted on (the reference drift is measured
against). The model's range is what its run recorded (``tracking.trained_range``: any object
with these fields)."""

from __future__ import annotations

from typing import Optional, Protocol

import pandas as pd

from mlops.utils.data_preparation.config import DEFAULT_CONFIGURATION
from mlops.utils.data_preparation.ingest import ingest_files
from mlops.utils.data_preparation.months import month_start
from mlops.utils.data_preparation.steps import prepare_trips

TARGET = DEFAULT_CONFIGURATION['target']


class TrainedMonths(Protocol):
    """What reading a model's months again needs of its recorded range."""

    start_month: str
    end_month: str
    taxi_colour: str
    data_source: str
    split_on_feature: str


def _split_column(trained: TrainedMonths) -> str:
    return trained.split_on_feature or DEFAULT_CONFIGURATION['split_on_feature']


def month_trips(trained: TrainedMonths, month: str, source: Optional[str] = None) -> pd.DataFrame:
    """One month's cleaned trips (default source: the champion's), as data preparation makes
    them: the inputs, ``PU_DO`` and ``duration``."""
    trips = ingest_files(month, month, colour=trained.taxi_colour, source=source or trained.data_source)
    prepared, _, _ = prepare_trips(trips, _split_column(trained), month_start(month), TARGET)
    return prepared


def training_trips(trained: TrainedMonths) -> pd.DataFrame:
    """The rows the champion was fitted on (its range before the validation month)."""
    trips = ingest_files(trained.start_month, trained.end_month, colour=trained.taxi_colour, source=trained.data_source)
    _, df_train, _ = prepare_trips(trips, _split_column(trained), month_start(trained.end_month), TARGET)
    return df_train
