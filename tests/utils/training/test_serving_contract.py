"""The training/serving contract checked before registration: the served model's minutes on the
validation records equal the estimator's on the validation matrix; a drift between the two
fails the run, and nothing is logged or registered."""

import numpy as np
import pytest
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LinearRegression

from mlops.utils.errors import DataError
from mlops.utils.model_code.model import TripDurationModel
from mlops.utils.models.training_data import unpack_training_set
from mlops.utils.training.serving_contract import check_serving_contract
from mlops.utils.training.steps import train_and_register, tune_model
from testkit.registered import small_booster
from tests.training_sets import synthetic_training_set


@pytest.mark.parametrize('kind', ['sklearn', 'xgboost'])
def test_a_model_served_as_trained_keeps_the_contract(kind):
    data = unpack_training_set(synthetic_training_set())
    estimator = (
        LinearRegression().fit(data.X_train, data.y_train)
        if kind == 'sklearn'
        else small_booster(data.X_train, data.y_train, rounds=10)
    )
    check_serving_contract(TripDurationModel(data.dv, estimator), estimator, data.X_val, data.validation_records())


def test_features_served_differently_are_named_with_the_row_and_both_figures():
    data = unpack_training_set(synthetic_training_set(shift_served_distances=1.0))
    estimator = LinearRegression().fit(data.X_train, data.y_train)
    served = TripDurationModel(data.dv, estimator)
    expected = np.abs(served.predict(None, data.validation_records()) - estimator.predict(data.X_val))
    with pytest.raises(DataError, match=f'on {int((expected > 1e-4).sum())} of 100 validation rows') as raised:
        check_serving_contract(served, estimator, data.X_val, data.validation_records())
    assert 'serving computes the features differently' in str(raised.value)


def test_a_training_run_that_breaks_the_contract_fails_and_registers_nothing(tracking_store):
    broken = synthetic_training_set(shift_served_distances=1.0)
    tuning = tune_model('linear_model.LinearRegression', broken, {'hyperparameters': '{"fit_intercept": true}'})
    with pytest.raises(DataError, match='predicts differently from training'):
        train_and_register(tuning, broken, {})
    client = MlflowClient()
    assert client.get_run(tuning['parent_run_id']).info.status == 'FAILED'
    assert client.search_runs([tracking_store], "tags.stage = 'final'") == []
    assert client.search_model_versions("name = 'test-model'") == []
