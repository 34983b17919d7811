"""A client of the model server (``scripts/serve.sh``: MLflow's scoring server)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

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
