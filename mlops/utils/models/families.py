"""Model families the training pipelines tune: six sklearn regressors and XGBoost.

A family knows its search space, its default tuning budget and how to fit one model from
hyperparameters; tuning, tracking and registration are shared and know nothing else.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List

import numpy as np
from hyperopt import hp
from hyperopt.pyll import scope

from mlops.utils.errors import ConfigError
from mlops.utils.models.training_data import TrainingData

Params = Dict[str, Any]


@dataclass(frozen=True)
class ModelFamily:
    name: str
    space: Dict[str, Any]
    default_budget: int
    fit: Callable[[Params, TrainingData], Any]  # returns an object with .predict(X)
    fixed: Params = field(default_factory=dict)


class BoosterRegressor:
    """An XGBoost booster that predicts with the rounds early stopping chose."""

    def __init__(self, booster):
        self.booster = booster
        self.best_iteration = int(getattr(booster, 'best_iteration', booster.num_boosted_rounds() - 1))

    def predict(self, X) -> np.ndarray:
        import xgboost

        return self.booster.predict(xgboost.DMatrix(X), iteration_range=(0, self.best_iteration + 1))


def _int(name: str, low: int, high: int, step: int = 1):
    return scope.int(hp.quniform(name, low, high, step))


SKLEARN_SPACES: Dict[str, tuple] = {
    # name: (space, default budget, fixed constructor arguments)
    'linear_model.LinearRegression': ({'fit_intercept': hp.choice('fit_intercept', [True, False])}, 2, {}),
    # Below alpha 2e-4 coordinate descent needs minutes on this data; above C 1 LinearSVR diverges.
    'linear_model.Lasso': ({'alpha': hp.loguniform('alpha', np.log(2e-4), np.log(1.0))}, 10,
                           {'max_iter': 5000}),
    'svm.LinearSVR': ({'C': hp.loguniform('C', np.log(1e-2), np.log(1.0)),
                       'epsilon': hp.uniform('epsilon', 0.0, 2.0)}, 8,
                      {'max_iter': 2000, 'dual': 'auto', 'random_state': 0}),
    'ensemble.ExtraTreesRegressor': ({'n_estimators': _int('n_estimators', 10, 40),
                                      'max_depth': _int('max_depth', 5, 40),
                                      'min_samples_leaf': _int('min_samples_leaf', 1, 10)}, 5,
                                     {'n_jobs': -1, 'random_state': 0}),
    'ensemble.GradientBoostingRegressor': ({'n_estimators': _int('n_estimators', 20, 60),
                                            'max_depth': _int('max_depth', 3, 8),
                                            'learning_rate': hp.loguniform('learning_rate', np.log(0.05), np.log(0.3)),
                                            'min_samples_leaf': _int('min_samples_leaf', 1, 10)}, 4,
                                           {'random_state': 0}),
    'ensemble.RandomForestRegressor': ({'n_estimators': _int('n_estimators', 10, 40),
                                        'max_depth': _int('max_depth', 5, 40),
                                        'min_samples_leaf': _int('min_samples_leaf', 1, 10)}, 5,
                                       {'n_jobs': -1, 'random_state': 0}),
}
DEFAULT_SKLEARN_MODELS: List[str] = list(SKLEARN_SPACES)


def sklearn_family(name: str) -> ModelFamily:
    """``'linear_model.Lasso'`` -> its family; ConfigError for names outside the six."""
    if name not in SKLEARN_SPACES:
        raise ConfigError(f'unknown model {name!r}; models must be comma-separated names from: '
                          + ', '.join(DEFAULT_SKLEARN_MODELS))
    module_name, class_name = name.split('.')
    model_class = getattr(importlib.import_module(f'sklearn.{module_name}'), class_name)
    space, budget, fixed = SKLEARN_SPACES[name]

    def fit(params: Params, data: TrainingData):
        return model_class(**{**fixed, **params}).fit(data.X_train, data.y_train)

    return ModelFamily(name, space, budget, fit, fixed)


def xgboost_family(max_depth: int = 100, early_stopping_rounds: int = 20, num_boost_round: int = 1000,
                   random_state: int = 42) -> ModelFamily:
    """Boosters stop early on the validation set: the held-out month, never the training one.

    Trees grow loss-guided (best leaf first): on this one-hot PU_DO data that reaches a lower
    RMSE than depth-wise growth at a tenth of the time per fit (bench/bench_training.py).
    """
    space = {
        'max_leaves': scope.int(hp.qloguniform('max_leaves', np.log(31), np.log(511), 1)),
        'max_depth': _int('max_depth', min(10, max_depth // 2), max_depth),
        'learning_rate': hp.loguniform('learning_rate', np.log(0.05), np.log(0.3)),
        'min_child_weight': hp.loguniform('min_child_weight', np.log(1.0), np.log(8.0)),
        'reg_alpha': hp.loguniform('reg_alpha', np.log(1e-3), np.log(1.0)),
        'reg_lambda': hp.loguniform('reg_lambda', np.log(1e-2), np.log(10.0)),
        'colsample_bynode': hp.uniform('colsample_bynode', 0.5, 1.0),
    }
    fixed = {'objective': 'reg:squarederror', 'grow_policy': 'lossguide', 'seed': random_state, 'nthread': 0}

    def fit(params: Params, data: TrainingData) -> BoosterRegressor:
        import xgboost

        train = xgboost.DMatrix(data.X_train, label=data.y_train)
        validation = xgboost.DMatrix(data.X_val, label=data.y_val)
        booster = xgboost.train({**fixed, **params}, train, num_boost_round=num_boost_round,
                                evals=[(validation, 'validation')],
                                early_stopping_rounds=early_stopping_rounds, verbose_eval=False)
        return BoosterRegressor(booster)

    return ModelFamily('xgboost', space, 15, fit, fixed)
