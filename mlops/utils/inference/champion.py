"""The champion as the predict pipeline uses it: loaded once per process, reloaded when the
alias moves (one cheap registry call per prediction tells)."""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import Any, Dict, Optional

import pandas as pd

from mlops.utils.errors import ConfigError
from mlops.utils.forking import one_openmp_thread
from mlops.utils.tracking.mlflow_setup import connect, keep_connections_per_process
from mlops.utils.tracking.registry import registered_model_name
from mlops.utils.tracking.schema import CHAMPION, champion_version


@dataclass
class LoadedModel:
    name: str
    version: str
    model: Any  # mlflow.pyfunc.PyFuncModel


_lock = threading.Lock()
_loaded: Dict[str, LoadedModel] = {}


def champion_model(name: Optional[str] = None) -> LoadedModel:
    """``models:/<name>@champion``, from memory unless the alias points elsewhere now."""
    import mlflow
    from mlflow.tracking import MlflowClient

    name = name or registered_model_name()
    connect()
    champion = champion_version(MlflowClient(), name)
    if champion is None:
        raise ConfigError(f"model {name!r} has no '{CHAMPION}' version yet: train first (./scripts/run.sh)")
    version = str(champion.version)
    with _lock:
        cached = _loaded.get(name)
        if cached is None or cached.version != version:
            with one_openmp_thread():  # this process may fork Mage's workers later
                cached = LoadedModel(name, version, mlflow.pyfunc.load_model(f'models:/{name}/{version}'))
            _loaded[name] = cached
        return cached


PREDICTION_COLUMN = 'predicted_minutes'


def predict_trips(trips: pd.DataFrame, name: Optional[str] = None) -> pd.DataFrame:
    """The trips with the minutes the champion predicts, and the model and version that did
    (a table: how Mage shows and serves a block's output best)."""
    loaded = champion_model(name)
    minutes = loaded.model.predict(trips)
    return trips.assign(
        **{PREDICTION_COLUMN: [float(m) for m in minutes]}, model=loaded.name, model_version=loaded.version
    )


def warm_up(name: Optional[str] = None) -> Optional[str]:
    """Import the serving stack and load the champion in this process, so the processes it
    forks later (Mage's scheduler and its block runs) start with both in memory: a ``predict``
    run then costs one registry look-up, not seconds of imports and loading. Returns the
    version loaded, or None when there is nothing to load yet (the first run loads it)."""
    keep_connections_per_process()
    try:
        return champion_model(name).version
    except Exception as error:  # no champion yet, tracking server not up: not fatal here
        print(f'[mlops] champion not preloaded: {error}', file=sys.stderr)
        return None
