"""One training process's registration, for the registry's multi-process tests.

    python -m tests.utils.tracking.registry_worker <constant minutes> <mode>

Logs a model that predicts a constant on a small fixed data set and registers it with the
champion rule; prints ``version promoted rmse``. Modes: ``normal``; ``slow`` (writes
$REGISTRY_WORKER_SIGNAL.ready-<constant>, waits for $REGISTRY_WORKER_SIGNAL.go so that both
workers of a test ask for the registry lock at once, holds the lock 1 s, and also prints when it
asked for the lock, got it and let it go, on the machine's monotonic clock); ``hold`` (inside
the lock, writes $REGISTRY_WORKER_SIGNAL and waits to be killed).
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Dict

import pandas as pd
from mlflow.tracking import MlflowClient
from sklearn.dummy import DummyRegressor

from mlops.utils.data_preparation.encoders import vectorize_features
from mlops.utils.model_code.features import trip_features
from mlops.utils.model_code.model import TripDurationModel
from mlops.utils.models.metrics import regression_metrics
from mlops.utils.tracking import registry
from mlops.utils.tracking.mlflow_setup import connect
from mlops.utils.tracking.runs import log_final_model, start_parent

VALIDATION = pd.DataFrame(
    {
        'PULocationID': [1, 2, 3, 4] * 5,
        'DOLocationID': [5, 6, 7, 8] * 5,
        'trip_distance': [1.0, 2.0, 3.0, 4.0] * 5,
        'duration': [10.0, 12.0, 14.0, 16.0] * 5,
    }
)


def main(constant: float, mode: str) -> None:
    experiment_id = connect()
    X, _, dv = vectorize_features(trip_features(VALIDATION))
    estimator = DummyRegressor(strategy='constant', constant=constant).fit(X, VALIDATION['duration'])
    model = TripDurationModel(dv, estimator)
    rmse = regression_metrics(VALIDATION['duration'], model.predict(None, VALIDATION))['rmse']
    client = MlflowClient()
    parent = start_parent(client, experiment_id, 'test', {})
    _, uri = log_final_model(client, parent, model, {}, {'rmse': rmse}, {}, {}, VALIDATION)
    times: Dict[str, float] = {}
    if mode == 'slow':
        registry.file_lock = timed_lock(registry.file_lock, times)
        signal = os.environ['REGISTRY_WORKER_SIGNAL']
        Path(f'{signal}.ready-{constant}').write_text('ready')
        deadline = time.monotonic() + 120
        while not Path(f'{signal}.go').exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f'no {signal}.go within 120 s')
            time.sleep(0.01)
    elif mode == 'hold':

        def hold(*args, **kwargs):
            Path(os.environ['REGISTRY_WORKER_SIGNAL']).write_text('in the lock')
            time.sleep(3600)

        registry.champion_rmse_on = hold
    promotion = registry.register_and_promote(uri, rmse, VALIDATION)
    print(
        promotion.version,
        promotion.promoted,
        rmse,
        *(times[k] for k in ('asked', 'entered', 'left') if times),
        flush=True,
    )


def timed_lock(real_lock, times: Dict[str, float]):
    """``real_lock``, recording when it was asked for, got and let go, and held 1 s."""

    @contextmanager
    def lock(name: str):
        times['asked'] = time.monotonic()
        with real_lock(name):
            times['entered'] = time.monotonic()
            time.sleep(1)
            yield
            times['left'] = time.monotonic()

    return lock


if __name__ == '__main__':
    main(float(sys.argv[1]), sys.argv[2])
