"""The three steps as the blocks run them, in this process, on the real registry and source:
files published whole, a run logged to MLflow with the figures, the same file on a re-run,
another version's file beside it, and a failed run that leaves every file as it was."""

import hashlib
import json
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from mlops.utils.batch_scoring.output import STAGING
from mlops.utils.batch_scoring.record import EXPERIMENT_SUFFIX
from mlops.utils.batch_scoring.steps import plan_batch, publish_batch, score_batch
from mlops.utils.errors import SourceError
from mlops.utils.tracking.mlflow_setup import experiment_name
from tests.utils.batch_scoring.conftest import MODEL
from tests.utils.batch_scoring.expected import expected_scores


def run(variables: dict, run_id: int = 1) -> dict:
    """plan -> score -> publish, as Mage hands each block's output to the next."""
    kwargs = {**variables, 'pipeline_uuid': 'batch_scoring', 'pipeline_run_id': run_id}
    return publish_batch(score_batch(plan_batch(kwargs, log=lambda _: None), log=lambda _: None), kwargs, log=print)


def runs_of(mage_run: int):
    experiment = MlflowClient().get_experiment_by_name(experiment_name() + EXPERIMENT_SUFFIX)
    return MlflowClient().search_runs(
        [experiment.experiment_id], filter_string=f"tags.`mage.pipeline_run_id` = '{mage_run}'"
    )


@pytest.fixture
def variables(registry, tmp_path):
    return {'data_source': str(registry.source), 'output': str(tmp_path / 'out')}


def test_a_month_is_written_logged_and_the_same_on_a_rerun(registry, variables, tmp_path):
    summary = run({**variables, 'start_month': '2023-03', 'end_month': '2023-03'}, run_id=101)
    [path] = summary['outputs']
    assert path == str(tmp_path / 'out' / 'green' / '2023-03' / f'{MODEL}-v{registry.champion}.parquet')
    expected, dropped, rows = expected_scores(registry.source, '2023-03', f'models:/{MODEL}/{registry.champion}')
    written = pd.read_parquet(path)
    assert written['source_row'].tolist() == expected.index.tolist()
    np.testing.assert_allclose(written['predicted_minutes'], expected['predicted'], rtol=0, atol=1e-9)
    assert summary['rows_in'] == rows and summary['refused'] == dropped
    assert summary['rows_scored'] == len(expected) and summary['rows_refused'] == rows - len(expected)
    assert (summary['model_version'], summary['champion'], summary['months']) == (registry.champion, True, ['2023-03'])
    assert not (tmp_path / 'out' / STAGING).exists() or not any((tmp_path / 'out' / STAGING).iterdir())

    [logged] = runs_of(101)
    assert logged.info.run_id == summary['mlflow_run_id'] and logged.info.status == 'FINISHED'
    metrics, tags = logged.data.metrics, logged.data.tags
    assert metrics['rows_in'] == rows and metrics['rows_scored'] == len(expected)
    assert metrics['rows_refused'] == rows - len(expected) and metrics['seconds'] > 0
    assert {k: v for k, v in metrics.items() if k.startswith('refused.')} == {
        f'refused.{k}': v for k, v in dropped.items()
    }
    assert tags['batch_scoring.version'] == registry.champion and tags['batch_scoring.outputs'] == path
    assert tags['batch_scoring.months'] == '2023-03' and tags['mage.pipeline_uuid'] == 'batch_scoring'
    artifact = mlflow.artifacts.load_dict(f'{logged.info.artifact_uri}/batch_scoring.json')
    assert artifact['outputs'] == [path] and artifact['by_month'][0]['rows_scored'] == len(expected)

    # MLflow's own record of what the run read: the month's file, and a digest of the trips scored
    # (recomputed here from the file written: their rows in the source file and the inputs)
    [read] = MlflowClient().get_run(logged.info.run_id).inputs.dataset_inputs
    rows_scored = written[['source_row', 'PULocationID', 'DOLocationID', 'trip_distance']]
    digest = hashlib.sha256('\x1f'.join(rows_scored.columns).encode())
    digest.update(pd.util.hash_pandas_object(rows_scored, index=True).to_numpy().tobytes())
    assert read.dataset.digest == digest.hexdigest()[:32] and read.tags[0].value == 'scoring'
    assert read.dataset.name == 'green 2023-03 scored'
    assert json.loads(read.dataset.source)['uri'].endswith('taxi/green/2023/03.parquet'), read.dataset.source

    first = Path(path).read_bytes()
    again = run({**variables, 'start_month': '2023-03', 'end_month': '2023-03'}, run_id=102)
    assert again['outputs'] == [path] and Path(path).read_bytes() == first
    assert len(runs_of(102)) == 1


def test_another_version_writes_its_own_file_and_touches_no_other(registry, variables, tmp_path):
    mine = run({**variables, 'end_month': '2023-03'}, run_id=201)['outputs'][0]
    before = Path(mine).read_bytes()
    older = run({**variables, 'end_month': '2023-03', 'model_version': registry.older}, run_id=202)
    [theirs] = older['outputs']
    assert theirs != mine and theirs.endswith(f'{MODEL}-v{registry.older}.parquet')
    assert Path(mine).read_bytes() == before
    constant = pd.read_parquet(theirs)
    expected, _, _ = expected_scores(registry.source, '2023-03', f'models:/{MODEL}/{registry.older}')
    np.testing.assert_allclose(constant['predicted_minutes'], expected['predicted'], rtol=0, atol=1e-9)
    assert set(constant['model_version']) == {registry.older} and not older['champion']


def test_a_failed_run_publishes_nothing_and_leaves_no_staging(registry, variables, tmp_path):
    good = run({**variables, 'end_month': '2023-03'}, run_id=301)['outputs'][0]
    before = Path(good).read_bytes()
    plan = plan_batch({**variables, 'start_month': '2023-03', 'end_month': '2023-05'}, log=lambda _: None)
    with pytest.raises(SourceError, match='2023-05'):  # 2023-03 and -04 scored and staged first
        score_batch(plan, log=lambda _: None)
    assert Path(good).read_bytes() == before
    assert not (tmp_path / 'out' / 'green' / '2023-04').exists()
    assert not (tmp_path / 'out' / STAGING / plan['token']).exists()


def test_the_daily_trigger_scores_each_new_month_once(registry, variables, tmp_path):
    first = run({**variables, 'score_new_months': True}, run_id=401)
    assert first['months'] == ['2023-03', '2023-04'] and len(first['outputs']) == 2
    second = run({**variables, 'score_new_months': 'true'}, run_id=402)
    assert second['months'] == [] and second['skipped_months'] == ['2023-03', '2023-04']
    assert second['rows_scored'] == 0 and second['outputs'] == []
    assert second['message'] == f'nothing to score (already scored by {MODEL} v{registry.champion}: 2023-03, 2023-04)'
    [logged] = runs_of(402)
    assert (
        logged.data.metrics['rows_scored'] == 0
        and logged.data.tags['batch_scoring.skipped_months'] == '2023-03, 2023-04'
    )
    json.dumps(second)  # what Mage stores as the block's output
