"""XGBoost work in a process that forks afterwards, done on one OpenMP thread.

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

from contextlib import contextmanager, nullcontext
from typing import Iterator


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
