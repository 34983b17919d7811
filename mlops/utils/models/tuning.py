"""Hyperparameter search with hyperopt's TPE, the same for every model family."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Dict, List, Optional

import numpy as np
from hyperopt import STATUS_OK, Trials, fmin, tpe

from mlops.utils.compute.partitions import gathered
from mlops.utils.models.families import ModelFamily, Params
from mlops.utils.models.metrics import regression_metrics
from mlops.utils.models.on_dask import predict_matrix
from mlops.utils.models.training_data import TrainingData

# hyperopt's TPE samples 20 random points before it models anything; budgets here are
# 2-15 fits, so it starts modelling after 5.
STARTUP_TRIALS = 5


@dataclass
class Trial:
    number: int
    params: Params
    metrics: Dict[str, float]
    seconds: float


@dataclass
class TuningResult:
    best_params: Params
    best_rmse: float
    trials: List[Trial]
    budget: int
    best_model: Any = None  # the best trial's fitted model (the final step may keep it rather than refit)

    @property
    def cut_by_time_cap(self) -> bool:
        """True when the time cap, not the budget, ended the search (figures then depend on
        the machine's speed)."""
        return len(self.trials) < self.budget


def _plain(params: Params) -> Params:
    """numpy scalars -> Python ones (JSON, MLflow params, constructors)."""
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in params.items()}


def validation_metrics(model: Any, data: TrainingData) -> Dict[str, float]:
    """``model``'s RMSE and MSE on the validation set."""
    return regression_metrics(gathered(data.y_val), predict_matrix(model, data.X_val))


def evaluate(family: ModelFamily, params: Params, data: TrainingData):
    model = family.fit(params, data)
    return model, validation_metrics(model, data)


def tune(
    family: ModelFamily,
    data: TrainingData,
    max_evaluations: int,
    random_state: int,
    on_trial: Optional[Callable[[Trial], None]] = None,
    max_seconds: Optional[float] = None,
) -> TuningResult:
    """Minimize validation RMSE over ``family.space`` in ``max_evaluations`` fits: the same
    trials, and so the same result, on any machine. ``max_seconds`` is a safety net: no new
    fit starts after that time (``TuningResult.cut_by_time_cap`` says so)."""
    trials: List[Trial] = []
    best: Dict[str, Any] = {}  # only the best model so far is kept: models can be large

    def objective(params: Params) -> Dict:
        params = _plain(params)
        started = time.monotonic()
        model, metrics = evaluate(family, params, data)
        trial = Trial(len(trials), params, metrics, time.monotonic() - started)
        trials.append(trial)
        if not best or metrics['rmse'] < best['rmse']:
            best.update(rmse=metrics['rmse'], model=model)
        if on_trial:
            on_trial(trial)
        return {'loss': metrics['rmse'], 'status': STATUS_OK}

    started = time.monotonic()

    def past_time_cap(_search, *state):  # after each trial: at least one always runs
        return max_seconds is not None and time.monotonic() - started > max_seconds, state

    fmin(
        objective,
        family.space,
        algo=partial(tpe.suggest, n_startup_jobs=STARTUP_TRIALS),
        max_evals=max_evaluations,
        trials=Trials(),
        rstate=np.random.default_rng(random_state),
        show_progressbar=False,
        early_stop_fn=past_time_cap,
    )
    best_trial = min(trials, key=lambda t: t.metrics['rmse'])
    return TuningResult(best_trial.params, best_trial.metrics['rmse'], trials, max_evaluations, best.get('model'))
