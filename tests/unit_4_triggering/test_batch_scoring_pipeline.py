"""batch_scoring through the runner, as ``./scripts/run.sh --pipelines batch_scoring`` runs it
(headless through Mage), on a source with 2023-01..03 and two registered versions trained on
2023-01 and validated on 2023-02: a constant model (the older version) and a linear regression
(the champion). The rows written are the models' own predictions, recomputed here from the
parquet file and the pyfunc model loaded directly."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from mlops.utils.batch_scoring.record import EXPERIMENT_SUFFIX
from mlops.utils.tracking.mlflow_setup import experiment_name
from testkit.chain import run_chain, settings, summaries
from testkit.registered import embedded_store
from tests.sources import months_folder
from tests.utils.batch_scoring.expected import expected_scores, register_two_versions

pytestmark = pytest.mark.slow
MODEL = 'nyc-taxi-duration'
MARCH = {'start_month': '2023-03', 'end_month': '2023-03'}


@pytest.fixture(scope='module')
def registry(tmp_path_factory, shared_data):
    root = tmp_path_factory.mktemp('batch-scoring')
    source = months_folder(root / 'source', shared_data, ['2023-01', '2023-02', '2023-03'])
    with embedded_store(root / 'data', MODEL) as experiment:
        older, champion = register_two_versions(experiment, source, '2023-01', '2023-02')
    return {'root': root, 'source': source, 'older': older, 'champion': champion}


def batch_scoring(registry, variables: dict) -> dict:
    """One runner run of batch_scoring; its summary line."""
    result = run_chain(
        registry['root'],
        '--pipelines',
        'batch_scoring',
        '--source',
        str(registry['source']),
        *settings(variables),
        env={'MLOPS_REGISTERED_MODEL': MODEL},
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    [line] = summaries(result)
    assert (line['project'], line['pipeline'], line['status']) == ('unit_4_triggering', 'batch_scoring', 'completed')
    return line


def expected(registry, version: str):
    with embedded_store(registry['root'] / 'data', MODEL):
        return expected_scores(registry['source'], '2023-03', f'models:/{MODEL}/{version}')


def logged_run(registry, pipeline_run_id: int):
    with embedded_store(registry['root'] / 'data', MODEL):
        client = MlflowClient()
        experiment = client.get_experiment_by_name(experiment_name() + EXPERIMENT_SUFFIX)
        [run] = client.search_runs(
            [experiment.experiment_id], filter_string=f"tags.`mage.pipeline_run_id` = '{pipeline_run_id}'"
        )
        return run


def test_the_champion_s_rows_are_its_own_predictions_and_a_rerun_writes_the_same_file(registry):
    line = batch_scoring(registry, MARCH)
    champion = registry['champion']
    path = registry['root'] / 'data' / 'batch_scoring' / 'green' / '2023-03' / f'{MODEL}-v{champion}.parquet'
    assert line['outputs'] == [str(path)] and line['model_version'] == champion and line['model'] == MODEL
    trips, dropped, rows = expected(registry, champion)
    written = pd.read_parquet(path)
    assert written['source_row'].tolist() == trips.index.tolist()
    assert written['trip_key'].tolist() == [f'green:2023-03:{row}' for row in trips.index]
    np.testing.assert_allclose(written['predicted_minutes'], trips['predicted'], rtol=0, atol=1e-9)
    np.testing.assert_allclose(written['actual_minutes'], trips['minutes'], rtol=0, atol=1e-9)
    assert (written['pickup_datetime'].to_numpy() == trips['lpep_pickup_datetime'].to_numpy()).all()
    assert set(written['model_version']) == {champion} and set(written['model']) == {MODEL}
    assert (line['rows_in'], line['rows_scored'], line['rows_refused']) == (rows, len(trips), rows - len(trips))
    assert line['refused'] == dropped and line['months'] == ['2023-03']

    run = logged_run(registry, line['pipeline_run_id'])  # one MLflow run per Mage run
    assert run.info.status == 'FINISHED' and run.info.run_id == line['mlflow_run_id']
    assert run.data.metrics['rows_scored'] == len(trips) and run.data.metrics['seconds'] > 0
    assert run.data.tags['batch_scoring.version'] == champion and run.data.tags['batch_scoring.outputs'] == str(path)

    first, inode = path.read_bytes(), path.stat().st_ino
    again = batch_scoring(registry, MARCH)
    assert again['outputs'] == [str(path)] and again['pipeline_run_id'] != line['pipeline_run_id']
    assert path.stat().st_ino != inode  # written anew (one rename), to the same bytes
    assert path.read_bytes() == first
    assert not list((path.parents[2] / '.staging').glob('*/*'))  # no staging left


def test_an_older_version_writes_a_file_of_its_own(registry):
    champion_file = (
        registry['root'] / 'data' / 'batch_scoring' / 'green' / '2023-03' / f'{MODEL}-v{registry["champion"]}.parquet'
    )
    before = champion_file.read_bytes()
    line = batch_scoring(registry, {**MARCH, 'model_version': registry['older']})
    [path] = line['outputs']
    assert Path(path) == champion_file.with_name(f'{MODEL}-v{registry["older"]}.parquet')
    assert champion_file.read_bytes() == before
    trips, _, _ = expected(registry, registry['older'])
    written = pd.read_parquet(path)
    np.testing.assert_allclose(written['predicted_minutes'], trips['predicted'], rtol=0, atol=1e-9)
    assert set(written['model_version']) == {registry['older']} and line['model_version'] == registry['older']


def test_the_trigger_s_rule_skips_a_month_the_champion_has_scored(registry):
    line = batch_scoring(registry, {'score_new_months': 'true'})  # the daily trigger's variables
    assert line['months'] == [] and line['skipped_months'] == ['2023-03'] and line['outputs'] == []
    assert line['model_version'] == registry['champion'] and line['rows_scored'] == 0
    with embedded_store(registry['root'] / 'data', MODEL):
        assert mlflow.get_run(line['mlflow_run_id']).data.tags['batch_scoring.skipped_months'] == '2023-03'


def test_compute_dask_writes_the_pandas_paths_file(registry):
    """compute=dask through Mage: the block loads the version, then starts a LocalCluster whose
    workers read, score and stage the month; the same bytes as the pandas path's file."""
    champion = registry['champion']
    pandas_file = registry['root'] / 'data' / 'batch_scoring' / 'green' / '2023-03' / f'{MODEL}-v{champion}.parquet'
    if not pandas_file.is_file():  # written by the first test; this one alone writes it here
        batch_scoring(registry, MARCH)
    output = registry['root'] / 'on-dask'
    line = batch_scoring(registry, {**MARCH, 'compute': 'dask', 'output': str(output)})
    [path] = line['outputs']
    assert Path(path) == output / 'green' / '2023-03' / f'{MODEL}-v{champion}.parquet'
    assert Path(path).read_bytes() == pandas_file.read_bytes()
    assert line['model_version'] == champion and line['rows_scored'] > 0
    assert logged_run(registry, line['pipeline_run_id']).data.tags['batch_scoring.compute'] == 'dask'
    assert not list((output / '.staging').glob('*/*'))
