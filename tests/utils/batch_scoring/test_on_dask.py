"""compute=dask on a real cluster (a LocalCluster: two worker processes on 127.0.0.1): the same
file as the pandas path for the same month and version, the rows read and scored on the workers
with only each month's figures coming back, and a month that fails on a worker failing the run
by name, leaving no file and no staging folder."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from mlops.utils.batch_scoring.on_dask import month_error, score_on_cluster
from mlops.utils.batch_scoring.output import STAGING
from mlops.utils.batch_scoring.plan import Plan
from mlops.utils.batch_scoring.record import EXPERIMENT_SUFFIX
from mlops.utils.batch_scoring.steps import plan_batch, publish_batch, score_batch
from mlops.utils.compute.choice import SCHEDULER_ENV
from mlops.utils.compute.cluster import dask_client
from mlops.utils.errors import DataError, SourceError
from mlops.utils.tracking.mlflow_setup import experiment_name
from testkit.servers import dask_cluster
from tests.utils.batch_scoring.conftest import MODEL

MONTH = '2023-03'
QUIET = {'log': lambda _: None}


@pytest.fixture(scope='module')
def cluster():
    with dask_cluster() as local:
        yield local


@pytest.fixture
def on_cluster(cluster, monkeypatch):
    """The blocks' ``dask_client()`` connects to the module's cluster (as to a deployment's)."""
    monkeypatch.setenv(SCHEDULER_ENV, cluster.scheduler_address)
    return cluster


def run(variables: dict, run_id: int) -> dict:
    kwargs = {**variables, 'pipeline_uuid': 'batch_scoring', 'pipeline_run_id': run_id}
    return publish_batch(score_batch(plan_batch(kwargs, **QUIET), **QUIET), kwargs, **QUIET)


def holds_rows(value) -> bool:
    """Whether ``value`` holds a frame, series or array anywhere (a month's rows would be one)."""
    if isinstance(value, (pd.DataFrame, pd.Series, np.ndarray)):
        return True
    if isinstance(value, dict):
        return any(holds_rows(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(holds_rows(v) for v in value)
    return False


@pytest.mark.slow
def test_dask_writes_the_pandas_paths_file_and_logs_where_it_ran(registry, on_cluster, tmp_path):
    common = {'data_source': str(registry.source), 'start_month': MONTH, 'end_month': MONTH}
    on_pandas = run({**common, 'output': str(tmp_path / 'pandas'), 'compute': 'pandas'}, run_id=501)
    on_dask = run({**common, 'output': str(tmp_path / 'dask'), 'compute': 'dask'}, run_id=502)
    [pandas_file], [dask_file] = on_pandas['outputs'], on_dask['outputs']
    assert Path(dask_file) == tmp_path / 'dask' / 'green' / MONTH / f'{MODEL}-v{registry.champion}.parquet'
    written, expected = pd.read_parquet(dask_file), pd.read_parquet(pandas_file)
    pd.testing.assert_frame_equal(written, expected, check_exact=True)
    assert (written['predicted_minutes'].to_numpy() == expected['predicted_minutes'].to_numpy()).all()
    assert Path(dask_file).read_bytes() == Path(pandas_file).read_bytes()
    for figure in ('rows_in', 'rows_scored', 'rows_refused', 'refused', 'months'):
        assert on_dask[figure] == on_pandas[figure], figure
    assert (on_pandas['compute'], on_dask['compute']) == ('pandas', 'dask')
    assert not (tmp_path / 'dask' / STAGING).exists() or not any((tmp_path / 'dask' / STAGING).iterdir())

    experiment = MlflowClient().get_experiment_by_name(experiment_name() + EXPERIMENT_SUFFIX)
    [logged] = MlflowClient().search_runs(
        [experiment.experiment_id], filter_string="tags.`mage.pipeline_run_id` = '502'"
    )
    assert logged.data.tags['batch_scoring.compute'] == 'dask' and logged.info.status == 'FINISHED'
    assert logged.data.metrics['rows_scored'] == on_pandas['rows_scored']
    artifact = mlflow.artifacts.load_dict(f'{logged.info.artifact_uri}/batch_scoring.json')
    assert artifact['compute'] == 'dask' and set(artifact['by_month'][0]['seconds']) == {
        'read',
        'features',
        'predict',
        'write',
    }


@pytest.mark.slow
def test_the_workers_read_and_write_and_only_figures_come_back(registry, cluster, tmp_path):
    from distributed import get_task_stream

    from mlops.utils.tracking.loading import load_version

    months = ['2023-03', '2023-04']
    plan = Plan.from_dict(
        plan_batch(
            {
                'data_source': str(registry.source),
                'start_month': months[0],
                'end_month': months[-1],
                'output': str(tmp_path / 'out'),
                'compute': 'dask',
            },
            **QUIET,
        )
    )
    model = load_version(MlflowClient(), plan.model, plan.model_version)
    with dask_client(cluster.scheduler_address) as client, get_task_stream(client) as stream:
        figures = score_on_cluster(client, plan, model, **QUIET)
    assert [f['month'] for f in figures] == months  # in plan order
    assert not holds_rows(figures)
    for month in figures:
        assert month['rows_scored'] > 0 and month['rows_scored'] + month['rows_refused'] == month['rows_in']
        assert Path(month['staged']).is_file() and not Path(month['file']).exists()  # staged, not published
    ran = {task['key'] for task in stream.data if str(task['key']).startswith('batch-scoring-')}
    assert ran == {f'batch-scoring-{month}-{plan.token}' for month in months}  # one task per month, on a worker


@pytest.mark.slow
def test_a_month_failing_on_a_worker_fails_the_run_by_name_and_leaves_nothing(registry, on_cluster, tmp_path):
    variables = {'data_source': str(registry.source), 'output': str(tmp_path / 'out'), 'compute': 'dask'}
    good = run({**variables, 'start_month': MONTH, 'end_month': MONTH}, run_id=601)['outputs'][0]
    before = Path(good).read_bytes()
    plan = plan_batch({**variables, 'start_month': '2023-03', 'end_month': '2023-05'}, **QUIET)
    with pytest.raises(SourceError, match='green 2023-05: no file at'):  # 2023-05 is not at the source
        score_batch(plan, **QUIET)
    assert Path(good).read_bytes() == before
    assert (
        not (tmp_path / 'out' / 'green' / '2023-04').exists() and not (tmp_path / 'out' / 'green' / '2023-05').exists()
    )
    assert not (tmp_path / 'out' / STAGING / plan['token']).exists()  # the other months' staged files went with it


def test_an_error_that_does_not_name_its_month_is_given_the_month():
    named = SourceError('green 2023-05: no file at /x')
    assert month_error('2023-05', named) is named
    wrapped = month_error('2023-05', MemoryError('out of memory'))
    assert isinstance(wrapped, DataError)
    assert str(wrapped) == '2023-05: scoring it on a Dask worker failed: MemoryError: out of memory'


@pytest.mark.slow
def test_a_cluster_started_after_a_model_was_loaded_runs_the_projects_own_code(registry, monkeypatch):
    """Loading a registered model puts its code folder first on this process's ``sys.path``, and
    that folder's ``mlops`` holds only model_code; batch scoring loads its version before its
    block starts a LocalCluster, whose workers are spawned with this ``sys.path``. They import the
    project's ``mlops`` all the same (``compute.cluster.local_cluster``), so the task's modules."""
    import sys

    from mlops.utils.compute.cluster import project_root
    from mlops.utils.tracking.loading import load_version

    load_version(MlflowClient(), MODEL, registry.champion)
    first = next(Path(p or '.').resolve() for p in sys.path if (Path(p or '.') / 'mlops').is_dir())
    assert first != project_root() and not (first / 'mlops' / 'utils' / 'batch_scoring').exists()  # the premise
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    before = list(sys.path)
    with dask_client() as client:  # a LocalCluster of its own, started now
        assert set(client.run(project_root).values()) == {project_root()}
    assert sys.path == before  # put back as it was
