"""notebooks/inference.ipynb executed (nbclient) against a Mage server and a model server
started here: both endpoints agree, and the plot holds the sampled trips."""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from mlops.utils.models.metrics import regression_metrics
from mlops.utils.tracking.trained_range import TrainedRange
from testkit.chain import REPO_ROOT
from testkit.registered import embedded_store
from testkit.servers import ServerProcess, free_port

pytestmark = pytest.mark.slow
SAMPLE_ROWS = 120


def outputs_text(notebook) -> str:
    return '\n'.join(
        o.get('text', '') for cell in notebook.cells if cell.cell_type == 'code' for o in cell.get('outputs', [])
    )


def test_the_inference_notebook_runs_against_both_servers(triggering_server, monkeypatch):
    server = triggering_server
    server.client.api_trigger('predict', 'predict_api', wait=60)
    port = free_port()
    model_env = {
        'MLOPS_DATA_DIR': server.env['MLOPS_DATA_DIR'],
        'MLOPS_REGISTERED_MODEL': server.env['MLOPS_REGISTERED_MODEL'],
        'MODEL_SERVER_PORT': str(port),
    }
    with ServerProcess(
        ['bash', 'scripts/serve.sh'], f'http://127.0.0.1:{port}/ping', server.root / 'serve.log', env=model_env
    ):
        for name, value in {
            **model_env,
            'MAGE_URL': server.url,
            'MODEL_SERVER_URL': f'http://127.0.0.1:{port}',
            'DEFAULT_OWNER_EMAIL': server.client.email,
            'DEFAULT_OWNER_PASSWORD': server.client.password,
            'SAMPLE_ROWS': str(SAMPLE_ROWS),
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv('MLFLOW_TRACKING_URI', raising=False)
        notebook = nbformat.read(REPO_ROOT / 'notebooks' / 'inference.ipynb', as_version=4)
        NotebookClient(
            notebook, timeout=600, kernel_name='python3', resources={'metadata': {'path': str(REPO_ROOT / 'notebooks')}}
        ).execute()
    text = outputs_text(notebook)
    assert f'{SAMPLE_ROWS} predictions from {server.url}' in text

    # the RMSE it printed is the champion's on the same sample, computed here
    import mlflow

    from mlops.utils.inference.samples import TARGET, validation_sample

    facts = server.data.preparation
    trained = TrainedRange(
        'nyc-taxi-duration',
        server.versions['linear'],
        facts['start_month'],
        facts['end_month'],
        facts['taxi_colour'],
        facts['data_source'],
        facts['split_on_feature'],
    )
    trips = validation_sample(trained, rows=SAMPLE_ROWS, seed=0)
    with embedded_store(server.root / 'data'):
        champion = mlflow.pyfunc.load_model('models:/nyc-taxi-duration@champion')
        rmse = regression_metrics(trips[TARGET], champion.predict(trips.drop(columns=[TARGET])))['rmse']
    printed = float(re.search(r'RMSE on these trips: ([0-9.]+) min', text).group(1))
    assert printed == pytest.approx(rmse, abs=5e-4)

    charts = [
        o['data']['application/vnd.vegalite.v4+json']
        for cell in notebook.cells
        if cell.cell_type == 'code'
        for o in cell.get('outputs', [])
        if 'application/vnd.vegalite.v4+json' in o.get('data', {})
    ]
    assert len(charts) == 1
    datasets = charts[0]['datasets']
    points = max(datasets.values(), key=len)
    assert len(points) == SAMPLE_ROWS
    assert np.allclose(sorted(p['actual'] for p in points), sorted(trips[TARGET]))
