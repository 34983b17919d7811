import numpy as np

from mlops.utils.models.families import sklearn_family
from mlops.utils.models.metrics import regression_metrics
from mlops.utils.models.training_data import unpack_training_set
from mlops.utils.models.tuning import evaluate, tune


def test_metrics():
    assert regression_metrics([1, 2, 3], [1, 2, 5]) == {'rmse': np.sqrt(4 / 3), 'mse': 4 / 3}


def test_tuning_tracks_every_trial_and_returns_the_best(default_training_set):
    data = unpack_training_set(default_training_set)
    seen = []
    result = tune(sklearn_family('linear_model.Lasso'), data, 4, random_state=1, on_trial=seen.append)
    assert len(result.trials) == len(seen) == 4
    assert result.best_rmse == min(t.metrics['rmse'] for t in result.trials)
    _, metrics = evaluate(sklearn_family('linear_model.Lasso'), result.best_params, data)
    assert metrics['rmse'] == result.best_rmse  # the final fit reproduces the best trial
    again = tune(sklearn_family('linear_model.Lasso'), data, 4, random_state=1)
    assert [t.params for t in again.trials] == [t.params for t in result.trials]


def test_time_cap_stops_starting_trials(default_training_set):
    data = unpack_training_set(default_training_set)
    result = tune(sklearn_family('linear_model.Lasso'), data, 50, random_state=1, max_seconds=0.001)
    assert len(result.trials) == 1 and result.cut_by_time_cap  # the first trial always runs
    assert not tune(sklearn_family('linear_model.Lasso'), data, 2, random_state=1).cut_by_time_cap


def test_trials_fitted_two_at_once_are_the_same_on_every_run_and_reported_in_order(default_training_set):
    import threading
    from dataclasses import replace

    data = unpack_training_set(default_training_set)
    lasso = sklearn_family('linear_model.Lasso')
    threads = set()

    def fit(params, data):
        threads.add(threading.current_thread().name)
        return lasso.fit(params, data)

    family = replace(lasso, fit=fit, trials_at_once=2)
    seen = []
    result = tune(family, data, 7, random_state=1, on_trial=seen.append)
    assert [t.number for t in seen] == list(range(7)) and len(result.trials) == 7  # an odd budget: 4 batches
    assert len(threads) == 2 and all(name.startswith('trial') for name in threads)  # side by side, in threads
    again = tune(family, data, 7, random_state=1)
    assert [t.params for t in again.trials] == [t.params for t in result.trials]
    assert [t.metrics for t in again.trials] == [t.metrics for t in result.trials]
    assert len({json_key(t.params) for t in result.trials}) == 7  # seven different points
    assert result.best_rmse == min(t.metrics['rmse'] for t in result.trials)
    _, metrics = evaluate(lasso, result.best_params, data)
    assert metrics['rmse'] == result.best_rmse and result.best_model is not None
    capped = tune(family, data, 50, random_state=1, max_seconds=0.001)
    assert len(capped.trials) == 2 and capped.cut_by_time_cap  # the first batch always runs


def json_key(params) -> str:
    import json

    return json.dumps(params, sort_keys=True)
