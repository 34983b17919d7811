"""The runner's summary line of a training run, read back from a real (embedded) MLflow store."""

import time

import numpy as np
from mlflow.tracking import MlflowClient

from mlops.utils.orchestration.summaries import summarize
from mlops.utils.tracking.schema import CHAMPION
from testkit.registered import register_constant


def train_constant(experiment_id, data, pipeline_run_id: int, family: str, value: float) -> dict:
    """Logs and registers one constant model as the given Mage pipeline run would."""
    promotion, rmse = register_constant(
        experiment_id,
        data,
        value,
        family,
        mage={'pipeline_uuid': 'sklearn_training', 'pipeline_run_id': pipeline_run_id},
    )
    return {'family': family, 'rmse': round(rmse, 4), 'version': promotion.version}


def result_of(pipeline_run_id: int, started_at: float) -> dict:
    return {
        'project': 'unit_2_training',
        'pipeline': 'sklearn_training',
        'pipeline_run_id': pipeline_run_id,
        'started_at': started_at,
    }


def test_a_training_summary_lists_only_that_runs_models_best_first_with_the_champion(tracking_store, data):
    median, mean = float(np.median(data.y_train)), float(np.mean(data.y_val))
    started_first = time.time() - 1
    earlier = train_constant(tracking_store, data, 7, 'Earlier', mean)
    started_second = time.time()
    worse = train_constant(tracking_store, data, 8, 'Worse', median + 5)
    better = train_constant(tracking_store, data, 8, 'Better', median)

    summary = summarize(result_of(8, started_second))
    assert [m['family'] for m in summary['models']] == ['Better', 'Worse']  # sorted by RMSE, run 7 left out
    assert [m['validation_rmse'] for m in summary['models']] == [better['rmse'], worse['rmse']]
    assert [m['version'] for m in summary['models']] == [better['version'], worse['version']]
    assert {m['role'] for m in summary['models']} == {'rejected challenger'}  # run 7's model stays champion
    champion = MlflowClient().get_model_version_by_alias('test-model', CHAMPION)
    assert summary['champion'] == {
        'model': 'test-model',
        'version': earlier['version'],
        'validation_rmse': earlier['rmse'],
    }
    assert champion.version == earlier['version']

    # A run id reused by a later Mage database (a fresh clone) does not pick up older MLflow runs.
    assert summarize(result_of(7, time.time() + 60))['models'] == []
    assert [m['family'] for m in summarize(result_of(7, started_first))['models']] == ['Earlier']


def test_no_champion_yet_and_pipelines_without_a_summary(tracking_store):
    assert summarize(result_of(1, time.time())) == {'models': [], 'champion': None}
    assert summarize({'pipeline': 'automatic_retraining'}) == {}
