import numpy as np
import pytest
import scipy.sparse
from hyperopt.pyll import stochastic

from mlops.utils.errors import ConfigError
from mlops.utils.models.families import DEFAULT_SKLEARN_MODELS, XGBOOST, sklearn_family, xgboost_family
from mlops.utils.models.metrics import regression_metrics
from mlops.utils.models.training_data import TrainingData


@pytest.fixture(scope='module')
def tiny():
    rng = np.random.default_rng(0)
    X = scipy.sparse.random(200, 30, density=0.2, format='csr', random_state=1)
    y = np.asarray(X.sum(axis=1)).ravel() * 3 + rng.normal(0, 0.1, 200) + 5
    import pandas as pd

    return TrainingData(X[:150], X[150:], pd.Series(y[:150]), pd.Series(y[150:]), dv=None)


@pytest.mark.parametrize('name', DEFAULT_SKLEARN_MODELS)
def test_every_sklearn_space_samples_parameters_the_model_accepts(name, tiny):
    family = sklearn_family(name)
    rng = np.random.default_rng(3)
    for _ in range(3):
        params = stochastic.sample(family.space, rng=rng)
        model = family.fit(params, tiny)
        assert np.isfinite(model.predict(tiny.X_val)).all()
    assert family.default_budget >= 1


def test_xgboost_space_respects_the_depth_bound_and_stops_early(tiny):
    family = xgboost_family(max_depth=6, early_stopping_rounds=3, num_boost_round=200)
    rng = np.random.default_rng(5)
    for _ in range(5):
        params = stochastic.sample(family.space, rng=rng)
        assert params['max_depth'] <= 6 and 31 <= params['max_leaves'] <= 511
        model = family.fit(params, tiny)
        validation_rmse = regression_metrics(tiny.y_val, model.predict(tiny.X_val))['rmse']
        training_rmse = regression_metrics(tiny.y_train, model.predict(tiny.X_train))['rmse']
        # early stopping watched the validation set: its best score is the validation RMSE
        assert float(model.booster.attr('best_score')) == pytest.approx(validation_rmse, rel=1e-4)
        assert validation_rmse != pytest.approx(training_rmse, rel=1e-4)


def test_unknown_model_names_list_the_known_ones():
    with pytest.raises(ConfigError, match="unknown model 'tree.DecisionTree'; .*linear_model.Lasso"):
        sklearn_family('tree.DecisionTree')


def test_display_names_are_short_and_distinct():
    from mlops.utils.models.families import display_name

    names = {family: display_name(family) for family in [*DEFAULT_SKLEARN_MODELS, XGBOOST]}
    assert names == {
        'linear_model.LinearRegression': 'LinearRegression',
        'linear_model.Lasso': 'Lasso',
        'svm.LinearSVR': 'LinearSVR',
        'ensemble.ExtraTreesRegressor': 'ExtraTrees',
        'ensemble.GradientBoostingRegressor': 'GradientBoosting',
        'ensemble.RandomForestRegressor': 'RandomForest',
        'xgboost': 'XGBoost',
    }
    assert display_name('Constant') == 'Constant'  # a family outside the project's: as it is
