"""Dashboard data from a real MLflow store through the client API: empty frames before any
run, then the runs, versions, trials and monitoring results the project's own code logged."""

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from mlops.utils.models.training_data import unpack_training_set
from mlops.utils.models.tuning import Trial
from mlops.utils.observability.history import (
    MODEL_COLUMNS,
    MONITORING_COLUMNS,
    TRIAL_COLUMNS,
    VERSION_COLUMNS,
    final_models,
    monitoring_history,
    registry_history,
    tuning_trials,
)
from mlops.utils.observability.monitor import monitor
from mlops.utils.tracking.mlflow_setup import experiment_name
from mlops.utils.tracking.runs import log_trial, start_parent
from testkit.registered import register_constant, register_linear_on

MODEL = 'test-model'  # the tracking_store fixture's registered model name


def test_nothing_logged_yet_gives_empty_frames(tracking_store):
    client = MlflowClient()
    for frame, columns in (
        (final_models(client, tracking_store, MODEL), MODEL_COLUMNS),
        (tuning_trials(client, tracking_store), TRIAL_COLUMNS),
        (registry_history(client, MODEL), VERSION_COLUMNS),
        (monitoring_history(client, experiment_name()), MONITORING_COLUMNS),
    ):
        assert frame.empty and list(frame.columns) == columns


def test_models_versions_and_trials_as_logged(tracking_store, default_training_set):
    data = unpack_training_set(default_training_set)
    client = MlflowClient()
    first, first_rmse = register_constant(tracking_store, data, float(data.y_train.median()), family='Median')
    worse, worse_rmse = register_constant(tracking_store, data, 60.0, family='Sixty')
    parent = start_parent(client, tracking_store, 'Median', {})
    for number, rmse in enumerate([7.5, 6.25]):
        log_trial(client, parent, Trial(number, {'alpha': number}, {'rmse': rmse, 'mse': rmse**2}, 0.5))

    models = final_models(client, tracking_store, MODEL)
    assert models['family'].tolist() == ['Median', 'Sixty']
    assert models['rmse'].tolist() == pytest.approx([first_rmse, worse_rmse])
    assert models['version'].tolist() == [int(first.version), int(worse.version)]
    assert models['role'].tolist() == ['promoted to champion', 'rejected challenger']
    assert pd.api.types.is_datetime64_any_dtype(models['started'])

    versions = registry_history(client, MODEL)
    assert versions['champion'].tolist() == [True, False] and versions['family'].tolist() == ['Median', 'Sixty']
    assert versions['rmse'].tolist() == pytest.approx([first_rmse, worse_rmse], abs=1e-6)  # tags keep 6 decimals

    trials = tuning_trials(client, tracking_store)
    assert trials['rmse'].tolist() == [7.5, 6.25] and set(trials['family']) == {'Median'}


def test_monitoring_results_by_month(tracking_store, shared_data):
    register_linear_on(tracking_store, str(shared_data), '2023-01', '2023-02')
    scored = [monitor({'month': month}) for month in ('2023-04', '2023-03')]
    history = monitoring_history(MlflowClient(), experiment_name())
    assert history['month'].tolist() == ['2023-03', '2023-04']
    assert history['rmse'].tolist() == pytest.approx([scored[1].metrics['rmse'], scored[0].metrics['rmse']])
    assert history['version'].tolist() == [1, 1] and history['breached'].dtype == bool
