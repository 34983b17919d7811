"""Everything about processes that fork, in one place: what a child must not inherit.

- ``after_fork_in_child``: the one registry of what a forked child does first (each named once,
  however often it is asked): MLflow's SQL engines (``tracking.mlflow_setup``) and Mage's engine
  (``orchestration/workarounds/fork_safety.py``) give the child its own connections.
- ``one_openmp_thread``: XGBoost work in a process that forks afterwards, done on one thread.


GCC's OpenMP runtime (libgomp) is not fork-safe: once a process has run a parallel region with
more than one thread, a child it forks later hangs for ever at its own first parallel region
(gcc.gnu.org/bugzilla 58378; dmlc/xgboost#7044, #6617: "won't fix" there). Merely unpickling a
booster runs one. Mage's server loads the champion before it forks its scheduler, which forks
the workers that run blocks (``warm_up``), and draws the SHAP charts in its own process: seen
here, a ``sklearn_training`` run on a server with an XGBoost champion waited for ever in
``Booster.__setstate__`` when it loaded the champion to compare. Loading and explaining on one
thread in those processes keeps every child free to use all cores (training sets its own
``nthread``)."""

from __future__ import annotations

import os
from contextlib import contextmanager, nullcontext
from typing import Callable, Dict, Iterator

_AFTER_FORK: Dict[str, Callable[[], None]] = {}  # name -> what a forked child runs first


def after_fork_in_child(name: str, action: Callable[[], None]) -> None:
    """``action`` runs first in every child this process (or a child of it) forks from now on;
    asking again under the same ``name`` registers nothing more."""
    if name not in _AFTER_FORK:
        _AFTER_FORK[name] = action
        os.register_at_fork(after_in_child=action)


@contextmanager
def one_openmp_thread() -> Iterator[None]:
    """XGBoost's global ``nthread`` set to 1 inside (a no-op when XGBoost is not installed)."""
    try:
        import xgboost
    except ImportError:
        context = nullcontext()
    else:
        context = xgboost.config_context(nthread=1)
    with context:
        yield
