"""A client of the model server (``scripts/serve.sh``: MLflow's scoring server)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from mlops.utils.model_code.features import INPUT_COLUMNS

DEFAULT_URL = 'http://127.0.0.1:5001'
URL_ENV_VAR = 'MODEL_SERVER_URL'


def model_server_url() -> str:
    return (os.environ.get(URL_ENV_VAR) or DEFAULT_URL).rstrip('/')


def predict_minutes(trips: pd.DataFrame, url: str = '', timeout: float = 60.0) -> np.ndarray:
    """The served champion's minutes for ``trips`` (``dataframe_split``: MLflow's fastest JSON)."""
    import requests

    body = {'dataframe_split': trips[INPUT_COLUMNS].to_dict(orient='split', index=False)}
    response = requests.post(f'{url or model_server_url()}/invocations', json=body, timeout=timeout)
    if response.status_code != 200:
        raise RuntimeError(f'model server answered HTTP {response.status_code}: {response.text[:300]}')
    return np.asarray(response.json()['predictions'], dtype=float)
