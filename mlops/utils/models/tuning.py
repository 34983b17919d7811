"""Hyperparameter search with hyperopt's TPE, the same for every model family."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Dict, List, Optional

import numpy as np
from hyperopt import STATUS_OK, Trials, fmin, tpe

from mlops.utils.compute.partitions import gathered, is_partitioned
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
    fit starts after that time (``TuningResult.cut_by_time_cap`` says so).

    A family with ``trials_at_once`` > 1 (XGBoost) has TPE propose that many points at a time,
    fits them at once in threads (each fit on one core: XGBoost releases the GIL) and reports
    them in order; a fixed number, not the machine's cores, so the search is the same
    everywhere. Training data on a Dask cluster is fitted one trial at a time."""
    trials: List[Trial] = []
    best: Dict[str, Any] = {}  # only the best model so far is kept: models can be large

    def record(params: Params, model: Any, metrics: Dict[str, float], seconds: float) -> None:
        trial = Trial(len(trials), params, metrics, seconds)
        trials.append(trial)
        if not best or metrics['rmse'] < best['rmse']:
            best.update(rmse=metrics['rmse'], model=model)
        if on_trial:
            on_trial(trial)

    started = time.monotonic()
    at_once = 1 if is_partitioned(data.X_train) else max(1, family.trials_at_once)
    if at_once == 1:
        _tune_one_at_a_time(family, data, max_evaluations, random_state, record, max_seconds, started)
    else:
        _tune_in_batches(family, data, max_evaluations, random_state, record, max_seconds, started, at_once)
    best_trial = min(trials, key=lambda t: t.metrics['rmse'])
    return TuningResult(best_trial.params, best_trial.metrics['rmse'], trials, max_evaluations, best.get('model'))


def _timed_fit(family: ModelFamily, params: Params, data: TrainingData):
    begun = time.monotonic()
    model, metrics = evaluate(family, params, data)
    return model, metrics, time.monotonic() - begun


def _tune_one_at_a_time(family, data, max_evaluations, random_state, record, max_seconds, started) -> None:
    """hyperopt's ``fmin``: one TPE proposal, one fit, and so on."""

    def objective(params: Params) -> Dict:
        params = _plain(params)
        model, metrics, seconds = _timed_fit(family, params, data)
        record(params, model, metrics, seconds)
        return {'loss': metrics['rmse'], 'status': STATUS_OK}

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


def _tune_in_batches(family, data, max_evaluations, random_state, record, max_seconds, started, at_once) -> None:
    """``fmin``'s loop with ``at_once`` proposals per TPE call (hyperopt's own queue, as its
    ``max_queue_len`` fills it), the batch fitted in threads, results stored in trial order."""
    from hyperopt import JOB_STATE_DONE, Domain, space_eval
    from hyperopt.base import spec_from_misc

    domain = Domain(lambda params: None, family.space)
    history = Trials()
    rstate = np.random.default_rng(random_state)
    suggest = partial(tpe.suggest, n_startup_jobs=STARTUP_TRIALS)
    with ThreadPoolExecutor(max_workers=at_once, thread_name_prefix='trial') as pool:
        while len(history.trials) < max_evaluations:
            ids = history.new_trial_ids(min(at_once, max_evaluations - len(history.trials)))
            history.refresh()
            docs = suggest(ids, domain, history, rstate.integers(2**31 - 1))
            points = [_plain(space_eval(family.space, spec_from_misc(doc['misc']))) for doc in docs]
            fitted = list(pool.map(lambda params: _timed_fit(family, params, data), points))
            for doc, params, (model, metrics, seconds) in zip(docs, points, fitted):
                record(params, model, metrics, seconds)
                doc.update(state=JOB_STATE_DONE, result={'loss': metrics['rmse'], 'status': STATUS_OK})
            history.insert_trial_docs(docs)
            history.refresh()
            if max_seconds is not None and time.monotonic() - started > max_seconds:
                break
