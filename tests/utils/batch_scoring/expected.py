"""What batch scoring should write, computed here without the code under test: the month's
parquet file read with plain pandas, the rows cleaning keeps and drops per reason worked out
from the columns, and the predictions of the registered model loaded with
``mlflow.pyfunc.load_model``; plus two registered versions to score with."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Tuple

import numpy as np
import pandas as pd

REASONS = (
    'time_missing_or_unparsable',
    'location_id_null',
    'trip_distance_missing',
    'outside_input_rule',
    'duration_out_of_range',
)


def month_file(source: Path, month: str, colour: str = 'green') -> Path:
    year, number = month.split('-')
    return Path(source) / 'taxi' / colour / year / f'{number}.parquet'


def kept_and_dropped(source: Path, month: str) -> Tuple[pd.DataFrame, Dict[str, int], int]:
    """(the kept trips with ``minutes``, indexed by their row in the file; rows dropped per
    reason, the first that applies, those with any; rows in the file)."""
    trips = pd.read_parquet(month_file(source, month))
    minutes = (trips['lpep_dropoff_datetime'] - trips['lpep_pickup_datetime']).dt.total_seconds() / 60
    left = pd.Series(True, index=trips.index)
    dropped: Dict[str, int] = {}
    for reason, drop in zip(
        REASONS,
        (
            minutes.isna(),
            trips[['PULocationID', 'DOLocationID']].isna().any(axis=1),
            ~np.isfinite(trips['trip_distance'].astype(float)),
            ~(
                trips['PULocationID'].between(1, 2**31 - 1)
                & trips['DOLocationID'].between(1, 2**31 - 1)
                & trips['trip_distance'].between(0, 1e6)
            ),
            ~minutes.between(1, 60),
        ),
    ):
        count = int((left & drop).sum())
        if count:
            dropped[reason] = count
        left &= ~drop
    kept = trips[left].assign(minutes=minutes[left])
    return kept, dropped, len(trips)


def expected_scores(source: Path, month: str, model_uri: str) -> Tuple[pd.DataFrame, Dict[str, int], int]:
    """The kept trips with the minutes the model at ``model_uri`` predicts (``predicted``)."""
    import mlflow

    kept, dropped, rows = kept_and_dropped(source, month)
    model = mlflow.pyfunc.load_model(model_uri)
    inputs = kept[['PULocationID', 'DOLocationID', 'trip_distance']].astype(
        {'PULocationID': 'int64', 'DOLocationID': 'int64', 'trip_distance': 'float64'}
    )
    return kept.assign(predicted=np.asarray(model.predict(inputs), dtype=float)), dropped, rows


def register_two_versions(experiment_id: str, source: Path, start_month: str, end_month: str) -> Tuple[str, str]:
    """On ``start_month``..``end_month`` of ``source`` (validated on the last): a constant model
    (the first champion), then a linear regression, which replaces it. Returns (older version,
    champion version)."""
    from sklearn.linear_model import LinearRegression

    from mlops.utils.data_preparation.config import pipeline_variables
    from mlops.utils.data_preparation.ingest import ingest_files
    from mlops.utils.data_preparation.steps import build_training_sets, preparation_facts, prepare_trips
    from mlops.utils.model_code.model import TripDurationModel
    from mlops.utils.models.training_data import TrainingData
    from testkit.registered import register_constant, register_model

    split = f'{end_month}-01'
    variables = pipeline_variables(
        {
            'data_source': str(source),
            'start_month': start_month,
            'end_month': end_month,
            'split_on_feature_value': split,
        }
    )
    prepared = prepare_trips(
        ingest_files(start_month, end_month, source=str(source)), 'lpep_pickup_datetime', split, 'duration'
    )
    data = TrainingData.from_sets(build_training_sets(*prepared), df_val=prepared[2])
    facts = preparation_facts(*prepared, variables)
    constant, _ = register_constant(experiment_id, data, float(data.y_train.median()), facts=facts)
    linear = TripDurationModel(data.dv, LinearRegression().fit(data.X_train, data.y_train))
    champion, _ = register_model(experiment_id, data, linear, 'linear_model.LinearRegression', facts=facts)
    assert constant.promoted and champion.promoted  # the premise: the linear model replaced the constant
    return str(constant.version), str(champion.version)
