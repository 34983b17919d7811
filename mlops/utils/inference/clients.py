"""The prediction clients, in one place: the champion's minutes for trips from outside a block,
through Mage's API endpoint (the ``predict_api`` trigger: ``predict_through_mage``, given a
signed-in ``triggering.mage_api.MageClient``) or from the model server (``scripts/serve.sh``,
MLflow's scoring server: ``predict_served``, ``predict_minutes``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, List

import numpy as np
import pandas as pd

from mlops.utils import pipelines
from mlops.utils.inference.scoring_app import VERSION_HEADER
from mlops.utils.model_code.features import INPUT_COLUMNS

DEFAULT_URL = 'http://127.0.0.1:5001'
URL_ENV_VAR = 'MODEL_SERVER_URL'


def model_server_url() -> str:
    return (os.environ.get(URL_ENV_VAR) or DEFAULT_URL).rstrip('/')


@dataclass(frozen=True)
class ServedAnswer:
    minutes: np.ndarray  # one a trip, in the trips' order
    version: str  # the registered version that answered (X-Model-Version; '' if the server did not say)


def predict_served(trips: pd.DataFrame, url: str = '', timeout: float = 60.0) -> ServedAnswer:
    """The served champion's minutes for ``trips`` (``dataframe_split``: MLflow's fastest JSON)
    and the version that answered (the server follows the champion alias: it may change)."""
    import requests

    body = {'dataframe_split': trips[INPUT_COLUMNS].to_dict(orient='split', index=False)}
    response = requests.post(f'{url or model_server_url()}/invocations', json=body, timeout=timeout)
    if response.status_code != 200:
        raise RuntimeError(f'model server answered HTTP {response.status_code}: {response.text[:300]}')
    return ServedAnswer(
        np.asarray(response.json()['predictions'], dtype=float), response.headers.get(VERSION_HEADER, '')
    )


def predict_minutes(trips: pd.DataFrame, url: str = '', timeout: float = 60.0) -> np.ndarray:
    """The served champion's minutes for ``trips``."""
    return predict_served(trips, url, timeout).minutes


PREDICT_PIPELINE, PREDICT_TRIGGER, PREDICT_BLOCK = pipelines.PREDICT_API
# The most rows Mage's API shows of a block's output: larger requests are sent in parts.
MAX_OUTPUT_ROWS = 1000


def predict_through_mage(client: Any, variables: Dict[str, Any], timeout: float = 120.0) -> List[Dict[str, Any]]:
    """Predictions through the API endpoint: one row per trip with ``predicted_minutes``,
    ``model`` and ``model_version``. ``variables``: ``{"inputs": [trips]}`` or one trip's
    ``PULocationID``, ``DOLocationID``, ``trip_distance``."""
    trigger = client.api_trigger(PREDICT_PIPELINE, PREDICT_TRIGGER)
    trips = variables.get('inputs')
    if not isinstance(trips, list) or len(trips) <= MAX_OUTPUT_ROWS:
        return client.run_and_read(trigger, variables, PREDICT_BLOCK, timeout=timeout)
    rows: List[Dict[str, Any]] = []
    for start in range(0, len(trips), MAX_OUTPUT_ROWS):  # the API shows at most that many rows
        rows += client.run_and_read(
            trigger, {**variables, 'inputs': trips[start : start + MAX_OUTPUT_ROWS]}, PREDICT_BLOCK, timeout=timeout
        )
    return rows
