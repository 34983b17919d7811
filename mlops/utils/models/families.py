"""Model families the training pipelines tune: six sklearn regressors and XGBoost.

Why it is this long: the six sklearn families' search spaces and fit settings are data, one
``SklearnSpec`` each, beside the XGBoost family; the length is the spaces.

A family knows its search space, its default tuning budget (in trials) and how to fit one
model from hyperparameters; tuning, tracking and registration are shared and know nothing
else. Nothing here knows of MLflow or Mage.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, List, Optional

import numpy as np
from hyperopt import hp
from hyperopt.pyll import scope

from mlops.utils.compute.partitions import gathered, is_partitioned
from mlops.utils.errors import ConfigError
from mlops.utils.model_code.estimators import BoosterRegressor
from mlops.utils.models.on_dask import fit_booster_on_dask
from mlops.utils.models.training_data import TrainingData

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
    preprocessing: str = ''  # what a fit does besides the estimator, for the MLflow run
    trials_at_once: int = 1  # tuning fits this many trials at a time (models.tuning.tune)

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
    # Features through arcsinh first: trip_distance has outliers (up to ~200,000 miles) that
    # make it useless to linear models and force random-threshold trees hundreds of levels
    # deep; arcsinh keeps zeros (sparse one-hot columns stay sparse) and squeezes 2e5 to 12.9.
    arcsinh: bool = False
    # Centre the target and fit without intercept: sklearn's sparse Lasso re-centres every
    # column per update with an intercept (6-17 s a fit here); the one-hot PU_DO columns
    # already carry the level, so nothing is lost (about 0.5 s a fit).
    centred_target: bool = False


SKLEARN_SPECS: Dict[str, SklearnSpec] = {
    'linear_model.LinearRegression': SklearnSpec({'fit_intercept': hp.choice('fit_intercept', [True, False])}, 2),
    'linear_model.Lasso': SklearnSpec(
        {'alpha': hp.loguniform('alpha', np.log(3e-5), np.log(3e-4))},
        10,
        {'fit_intercept': False, 'max_iter': 5000},
        arcsinh=True,
        centred_target=True,
    ),
    # Squared epsilon-insensitive loss fits squared error, which is what is scored (the default
    # loss fits absolute error: 7.2 minutes RMSE); with dual=False it is a stable ridge-like fit.
    'svm.LinearSVR': SklearnSpec(
        {'C': hp.loguniform('C', np.log(0.3), np.log(10.0)), 'epsilon': hp.uniform('epsilon', 0.0, 2.0)},
        8,
        {'loss': 'squared_epsilon_insensitive', 'dual': False, 'max_iter': 2000, 'random_state': 0},
        arcsinh=True,
    ),
    # max_features stays 1.0: fewer leave trip_distance out of too many splits.
    'ensemble.ExtraTreesRegressor': SklearnSpec(
        {
            'n_estimators': _int('n_estimators', 10, 20),
            'max_depth': _int('max_depth', 15, 30),
            'min_samples_leaf': _int('min_samples_leaf', 3, 15),
        },
        5,
        {'n_jobs': -1, 'random_state': 0},
        arcsinh=True,
    ),
    'ensemble.GradientBoostingRegressor': SklearnSpec(
        {
            'n_estimators': _int('n_estimators', 20, 60),
            'max_depth': _int('max_depth', 3, 8),
            'learning_rate': hp.loguniform('learning_rate', np.log(0.05), np.log(0.3)),
            'min_samples_leaf': _int('min_samples_leaf', 1, 10),
        },
        4,
        {'random_state': 0},
    ),
    'ensemble.RandomForestRegressor': SklearnSpec(
        {
            'n_estimators': _int('n_estimators', 10, 40),
            'max_depth': _int('max_depth', 5, 40),
            'min_samples_leaf': _int('min_samples_leaf', 1, 10),
        },
        5,
        {'n_jobs': -1, 'random_state': 0},
    ),
}
DEFAULT_SKLEARN_MODELS: List[str] = list(SKLEARN_SPECS)


def display_name(name: str) -> str:
    """The short name charts show for family ``name`` (the ``model_family`` tag training logs):
    ``'xgboost'`` -> ``'XGBoost'``, ``'ensemble.ExtraTreesRegressor'`` -> ``'ExtraTrees'``,
    ``'linear_model.Lasso'`` -> ``'Lasso'``. Any other name (a family no longer tuned, a test's
    own) is shown as it is."""
    if name == XGBOOST:
        return 'XGBoost'
    if name in SKLEARN_SPECS:
        class_name = name.split('.')[1]
        return class_name[: -len('Regressor')] if class_name.endswith('Regressor') else class_name
    return name


def sklearn_class(name: str) -> type:
    """``'linear_model.Lasso'`` -> ``sklearn.linear_model.Lasso``; ConfigError for names
    outside the six."""
    if name not in SKLEARN_SPECS:
        raise ConfigError(
            f'unknown model {name!r}; models must be comma-separated names from: ' + ', '.join(DEFAULT_SKLEARN_MODELS)
        )
    module_name, class_name = name.split('.')
    return getattr(importlib.import_module(f'sklearn.{module_name}'), class_name)


def sklearn_family(name: str) -> ModelFamily:
    model_class = sklearn_class(name)
    spec = SKLEARN_SPECS[name]

    def fit(params: Params, data: TrainingData):
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer, StandardScaler

        model = model_class(**{**spec.fixed, **params})
        if spec.centred_target:
            model = TransformedTargetRegressor(model, transformer=StandardScaler(with_std=False))
        if spec.arcsinh:
            model = make_pipeline(FunctionTransformer(np.arcsinh), model)
        return model.fit(gathered(data.X_train), gathered(data.y_train))  # one machine, on any compute

    steps = [
        step for step, used in (('arcsinh features', spec.arcsinh), ('centred target', spec.centred_target)) if used
    ]
    return ModelFamily(
        name, spec.space, spec.default_budget, fit, spec.fixed, frozenset(model_class().get_params()), ', '.join(steps)
    )


TRIALS_AT_ONCE = 2  # XGBoost trials fitted side by side, one thread each (see xgboost_family)

# Booster parameters a fixed configuration may set (XGBoost's tree-booster parameters).
XGBOOST_PARAMETERS = frozenset(
    {
        'objective',
        'seed',
        'nthread',
        'eta',
        'learning_rate',
        'gamma',
        'min_split_loss',
        'max_depth',
        'max_leaves',
        'min_child_weight',
        'max_delta_step',
        'subsample',
        'sampling_method',
        'colsample_bytree',
        'colsample_bylevel',
        'colsample_bynode',
        'lambda',
        'reg_lambda',
        'alpha',
        'reg_alpha',
        'tree_method',
        'max_bin',
        'grow_policy',
        'num_parallel_tree',
        'base_score',
        'eval_metric',
        'max_cat_to_onehot',
    }
)


def xgboost_family(
    max_depth: int = 100, early_stopping_rounds: Optional[int] = 20, num_boost_round: int = 1000, random_state: int = 42
) -> ModelFamily:
    """Boosters of up to ``num_boost_round`` rounds; with ``early_stopping_rounds``, they stop
    early on the validation set (the held-out month, never the training one).

    Trees grow loss-guided (best leaf first): on this one-hot PU_DO data that reaches a lower
    RMSE than depth-wise growth at a tenth of the time per fit (bench/bench_training.py).

    The space, measured on the default data (train 2024-01, validate 2024-02, 15 trials): with
    learning rates from 0.05 and column shares 0.5-1.0, the best trials all sampled about half
    the columns per node, and the slow rates cost up to 580 rounds a trial (best 5.0463). From
    0.1 and 0.3-0.7: best 5.0422, with fewer rounds and fewer columns to weigh per node.
    """
    space = {
        'max_leaves': scope.int(hp.qloguniform('max_leaves', np.log(31), np.log(511), 1)),
        'max_depth': _int('max_depth', min(10, max_depth // 2), max_depth),
        'learning_rate': hp.loguniform('learning_rate', np.log(0.1), np.log(0.3)),
        'min_child_weight': hp.loguniform('min_child_weight', np.log(1.0), np.log(8.0)),
        'reg_alpha': hp.loguniform('reg_alpha', np.log(1e-3), np.log(1.0)),
        'reg_lambda': hp.loguniform('reg_lambda', np.log(1e-2), np.log(10.0)),
        'colsample_bynode': hp.uniform('colsample_bynode', 0.3, 0.7),
    }
    # One thread a fit, two trials at once (models.tuning.tune). Measured on this 2-core machine,
    # the best trial's booster (120 rounds, 54k trips x 5,094 features): 8.6 s on one thread,
    # 9.6-11.3 s on two with passive waits, 9.9 s with spinning ones, 6.6-20 s with libgomp's
    # spin counts, whatever ran beside it. Most of a round is choosing splits over five
    # thousand sparse columns node by node, in parallel regions too short to share; two trials
    # fitted side by side keep both cores busy with no waiting. The same booster either way.
    fixed = {'objective': 'reg:squarederror', 'grow_policy': 'lossguide', 'seed': random_state, 'nthread': 1}

    def fit(params: Params, data: TrainingData) -> BoosterRegressor:
        # XGBoost's OpenMP threads spin while they wait (libgomp's default): with any other
        # busy process on the machine they spin on each other's cores, and one fit took 322 s
        # instead of 54 s with passive waiting (same booster). Read when xgboost loads its
        # OpenMP runtime, so set before the first import in the process; a user's value wins.
        os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
        import xgboost

        if is_partitioned(data.X_train):
            return BoosterRegressor(
                fit_booster_on_dask(
                    {**fixed, **params},
                    data.X_train,
                    data.y_train,
                    data.X_val,
                    data.y_val,
                    num_boost_round,
                    early_stopping_rounds,
                )
            )
        train = xgboost.DMatrix(data.X_train, label=data.y_train)
        validation = xgboost.DMatrix(data.X_val, label=data.y_val)
        booster = xgboost.train(
            {**fixed, **params},
            train,
            num_boost_round=num_boost_round,
            evals=[(validation, 'validation')],
            early_stopping_rounds=early_stopping_rounds or None,
            verbose_eval=False,
        )
        return BoosterRegressor(booster)

    return ModelFamily(XGBOOST, space, 15, fit, fixed, XGBOOST_PARAMETERS, trials_at_once=TRIALS_AT_ONCE)
