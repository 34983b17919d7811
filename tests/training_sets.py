"""A small training_set product made here, as data preparation hands it over: 400 synthetic
trips on 6 routes, 300 in January to train on and 100 in February to validate on."""

from __future__ import annotations

from typing import Any, Dict

import numpy as np
import pandas as pd

from mlops.utils.data_preparation.steps import build_training_sets
from mlops.utils.model_code.features import INPUT_COLUMNS, trip_features

PREPARATION = {'start_month': '2024-01', 'end_month': '2024-02', 'taxi_colour': 'green'}


def synthetic_training_set(shift_served_distances: float = 0.0) -> Dict[str, Any]:
    """The GDP output (``build`` and ``prepare``); with a shift, the validation rows' raw
    distances (what a served model reads) no longer match the matrix training encoded."""
    rng = np.random.default_rng(0)
    trips = pd.DataFrame(
        {
            'PULocationID': rng.choice([1, 2, 3], 400),
            'DOLocationID': rng.choice([4, 5], 400),
            'trip_distance': rng.uniform(0.5, 10.0, 400),
        }
    )
    trips['lpep_pickup_datetime'] = pd.to_datetime(['2024-01-15'] * 300 + ['2024-02-15'] * 100)
    trips['duration'] = 3 + 2.5 * trips['trip_distance'] + trips['PULocationID'] + rng.normal(0, 1, 400)
    df = pd.concat(
        [trips[INPUT_COLUMNS[:2]], trip_features(trips), trips[['lpep_pickup_datetime', 'duration']]], axis=1
    )
    df_train, df_val = df.iloc[:300], df.iloc[300:]
    served_val = df_val.assign(trip_distance=df_val['trip_distance'] + shift_served_distances)
    return {
        'build': [*build_training_sets(df, df_train, df_val), dict(PREPARATION)],
        'prepare': [df, df_train, served_val],
    }
