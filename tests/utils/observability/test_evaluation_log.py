"""A monitoring score whose write fails: the caller gets the error, the run is marked FAILED,
and nothing reads its half-written figures; the next scoring of the month logs it afresh."""

import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from mlops.utils.observability.evaluation_log import find_evaluation, log_evaluation, monitoring_experiment
from mlops.utils.observability.history import monitoring_history
from mlops.utils.observability.month_evaluation import MonthEvaluation, Thresholds
from mlops.utils.tracking.mlflow_setup import experiment_name
from mlops.utils.tracking.trained_range import TrainedRange

MODEL = 'test-model'  # the tracking_store fixture's registered model name
TRAINED = TrainedRange(MODEL, '1', '2024-01', '2024-02', 'green', 'source', 'lpep_pickup_datetime')
SCORE = MonthEvaluation('2024-03', {'rmse': 6.5, 'mse': 42.25, 'rmse_increase': 0.3})


class FailsMidBatch(MlflowClient):
    """A store that takes the first metric of a batch, then fails (disk full, connection lost)."""

    def log_batch(self, run_id, metrics=(), params=(), tags=(), **kwargs):
        super().log_batch(run_id, metrics=list(metrics)[:1])
        raise OSError('disk full')


def test_a_write_failing_halfway_raises_and_its_half_written_run_is_never_read(tracking_store):
    client = MlflowClient()
    experiment = monitoring_experiment(client, tracking_store)
    with pytest.raises(OSError, match='disk full'):
        log_evaluation(FailsMidBatch(), experiment, TRAINED, SCORE, Thresholds())
    [failed] = client.search_runs([experiment])
    assert failed.info.status == 'FAILED' and failed.data.metrics == {'rmse': 6.5}  # half written, marked failed
    assert failed.data.tags['monitoring.month'] == '2024-03'
    assert find_evaluation(client, experiment, MODEL, '1', '2024-03') is None
    assert monitoring_history(client, experiment_name()).empty


def test_after_a_failed_write_the_month_is_logged_afresh_and_only_that_run_is_read(tracking_store):
    client = MlflowClient()
    experiment = monitoring_experiment(client, tracking_store)
    with pytest.raises(OSError):
        log_evaluation(FailsMidBatch(), experiment, TRAINED, SCORE, Thresholds())
    run_id = log_evaluation(client, experiment, TRAINED, SCORE, Thresholds())
    found = find_evaluation(client, experiment, MODEL, '1', '2024-03')
    assert found.info.run_id == run_id and found.info.status == 'FINISHED'
    assert found.data.metrics == SCORE.metrics
    assert found.data.params['trained_months'] == '2024-01..2024-02'
    history = monitoring_history(client, experiment_name())
    assert history['month'].tolist() == ['2024-03'] and history['rmse'].tolist() == [6.5]
    assert sorted(r.info.status for r in client.search_runs([experiment])) == ['FAILED', 'FINISHED']


def test_a_batch_mlflow_refuses_reaches_the_caller_and_leaves_only_a_failed_run(tracking_store):
    client = MlflowClient()
    experiment = monitoring_experiment(client, tracking_store)
    refused = MonthEvaluation('2024-04', {'rmse': 6.5, '../mse': 42.25})  # a name MLflow rejects as a path
    with pytest.raises(MlflowException, match='../mse'):
        log_evaluation(client, experiment, TRAINED, refused, Thresholds())
    [failed] = client.search_runs([experiment])
    assert failed.info.status == 'FAILED' and failed.data.metrics == {}
    assert find_evaluation(client, experiment, MODEL, '1', '2024-04') is None
