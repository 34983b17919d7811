"""Model families the training pipelines tune: six sklearn regressors and XGBoost.

A family knows its search space, its default tuning budget (in trials) and how to fit one
model from hyperparameters; tuning, tracking and registration are shared and know nothing
else. Nothing here knows of MLflow or Mage.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, List, Optional

import numpy as np
from hyperopt import hp
from hyperopt.pyll import scope

from mlops.utils.errors import ConfigError
from mlops.utils.models.training_data import TrainingData
from mlops.utils.serving.estimators import BoosterRegressor

Params = Dict[str, Any]
XGBOOST = 'xgboost'


@dataclass(frozen=True)
class ModelFamily:
    name: str
    space: Dict[str, Any]
    default_budget: int  # hyperopt trials
    fit: Callable[[Params, TrainingData], Any]  # returns an object with .predict(X)
    fixed: Params = field(default_factory=dict)  # settings every fit uses; hyperparameters override them
    accepts: FrozenSet[str] = frozenset()  # every hyperparameter name a fit takes

    def parameters(self, params: Params) -> Params:
        """What a fit with ``params`` really uses: the fixed settings, overridden by ``params``."""
        return {**self.fixed, **params}


def _int(name: str, low: int, high: int, step: int = 1):
    return scope.int(hp.quniform(name, low, high, step))


@dataclass(frozen=True)
class SklearnSpec:
    space: Dict[str, Any]
    default_budget: int
    fixed: Params = field(default_factory=dict)
    scaled: bool = False  # fit on max-abs scaled features (sparse-safe): for margin-based models


SKLEARN_SPECS: Dict[str, SklearnSpec] = {
    'linear_model.LinearRegression': SklearnSpec({'fit_intercept': hp.choice('fit_intercept', [True, False])}, 2),
    # Below alpha 2e-4 coordinate descent needs minutes on this data.
    'linear_model.Lasso': SklearnSpec({'alpha': hp.loguniform('alpha', np.log(2e-4), np.log(1.0))}, 10,
                                      {'max_iter': 5000}),
    'svm.LinearSVR': SklearnSpec({'C': hp.loguniform('C', np.log(1e-2), np.log(1.0)),
                                  'epsilon': hp.uniform('epsilon', 0.0, 2.0)}, 8,
                                 {'max_iter': 2000, 'dual': 'auto', 'random_state': 0}),
    'ensemble.ExtraTreesRegressor': SklearnSpec({'n_estimators': _int('n_estimators', 10, 40),
                                                 'max_depth': _int('max_depth', 5, 40),
                                                 'min_samples_leaf': _int('min_samples_leaf', 1, 10)}, 5,
                                                {'n_jobs': -1, 'random_state': 0}),
    'ensemble.GradientBoostingRegressor': SklearnSpec({'n_estimators': _int('n_estimators', 20, 60),
                                                       'max_depth': _int('max_depth', 3, 8),
                                                       'learning_rate': hp.loguniform('learning_rate', np.log(0.05), np.log(0.3)),
                                                       'min_samples_leaf': _int('min_samples_leaf', 1, 10)}, 4,
                                                      {'random_state': 0}),
    'ensemble.RandomForestRegressor': SklearnSpec({'n_estimators': _int('n_estimators', 10, 40),
                                                   'max_depth': _int('max_depth', 5, 40),
                                                   'min_samples_leaf': _int('min_samples_leaf', 1, 10)}, 5,
                                                  {'n_jobs': -1, 'random_state': 0}),
}
DEFAULT_SKLEARN_MODELS: List[str] = list(SKLEARN_SPECS)


def sklearn_class(name: str) -> type:
    """``'linear_model.Lasso'`` -> ``sklearn.linear_model.Lasso``; ConfigError for names
    outside the six."""
    if name not in SKLEARN_SPECS:
        raise ConfigError(f'unknown model {name!r}; models must be comma-separated names from: '
                          + ', '.join(DEFAULT_SKLEARN_MODELS))
    module_name, class_name = name.split('.')
    return getattr(importlib.import_module(f'sklearn.{module_name}'), class_name)


def sklearn_family(name: str) -> ModelFamily:
    model_class = sklearn_class(name)
    spec = SKLEARN_SPECS[name]

    def fit(params: Params, data: TrainingData):
        model = model_class(**{**spec.fixed, **params})
        if spec.scaled:
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import MaxAbsScaler

            model = make_pipeline(MaxAbsScaler(), model)
        return model.fit(data.X_train, data.y_train)

    return ModelFamily(name, spec.space, spec.default_budget, fit, spec.fixed, frozenset(model_class().get_params()))


# Booster parameters a fixed configuration may set (XGBoost's tree-booster parameters).
XGBOOST_PARAMETERS = frozenset({
    'objective', 'seed', 'nthread', 'eta', 'learning_rate', 'gamma', 'min_split_loss', 'max_depth', 'max_leaves',
    'min_child_weight', 'max_delta_step', 'subsample', 'sampling_method', 'colsample_bytree', 'colsample_bylevel',
    'colsample_bynode', 'lambda', 'reg_lambda', 'alpha', 'reg_alpha', 'tree_method', 'max_bin', 'grow_policy',
    'num_parallel_tree', 'base_score', 'eval_metric', 'max_cat_to_onehot',
})


def xgboost_family(max_depth: int = 100, early_stopping_rounds: Optional[int] = 20, num_boost_round: int = 1000,
                   random_state: int = 42) -> ModelFamily:
    """Boosters of up to ``num_boost_round`` rounds; with ``early_stopping_rounds``, they stop
    early on the validation set (the held-out month, never the training one).

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
                                early_stopping_rounds=early_stopping_rounds or None, verbose_eval=False)
        return BoosterRegressor(booster)

    return ModelFamily(XGBOOST, space, 15, fit, fixed, XGBOOST_PARAMETERS)
