"""Monitoring on real months: a champion fitted on 2023-01 and validated on 2023-02 is scored
on later months; figures recomputed here from the data, logged once per (month, version)."""

import hashlib

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from mlops.utils.data_preparation.ingest import ingest_files
from mlops.utils.data_preparation.steps import prepare_trips
from mlops.utils.errors import ConfigError, SourceError
from mlops.utils.model_code.features import INPUT_COLUMNS
from mlops.utils.observability.monitor import NothingToScore, monitor
from mlops.utils.observability.month_evaluation import Thresholds
from mlops.utils.tracking.mlflow_setup import TrackingError
from testkit.registered import register_linear_on
from testkit.servers import free_port


@pytest.fixture
def champion(tracking_store, shared_data):
    """LinearRegression on 2023-01, validated on 2023-02: the champion."""
    model, rmse, train = register_linear_on(tracking_store, str(shared_data), '2023-01', '2023-02')
    return {'model': model, 'rmse': rmse, 'train': train, 'experiment': tracking_store}


def recomputed_rmse(model, shared_data, month):
    trips, _, _ = prepare_trips(
        ingest_files(month, month, source=str(shared_data)), 'lpep_pickup_datetime', f'{month}-01', 'duration'
    )
    errors = model.predict(None, trips[INPUT_COLUMNS]) - trips['duration'].to_numpy()
    return float(np.sqrt(np.mean(errors**2))), trips


def test_a_later_month_is_scored_logged_once_and_read_back(champion, shared_data):
    result = monitor({'month': '2023-03', 'threshold_rmse_increase': '10', 'threshold_psi': '10'})
    rmse, trips = recomputed_rmse(champion['model'], shared_data, '2023-03')
    assert result.metrics['rmse'] == pytest.approx(rmse)
    assert result.metrics['rmse_increase'] == pytest.approx(rmse / champion['rmse'] - 1)
    assert result.metrics['rows'] == len(trips)
    seen = set(champion['train']['PU_DO'])
    assert result.metrics['unseen_routes'] == pytest.approx(np.mean([r not in seen for r in trips['PU_DO']]))
    assert not result.already_scored and 'scored on 2023-03' in result.summary()
    again = monitor({'month': '2023-03', 'threshold_unseen_routes': '0'})  # the figures stand, judged anew
    assert again.already_scored and again.run_id == result.run_id and again.metrics == result.metrics
    assert result.breaches == [] and any('routes the model never saw' in b for b in again.breaches)
    runs = MlflowClient().search_runs([mlflow.get_run(result.run_id).info.experiment_id])
    assert [r.info.run_id for r in runs] == [result.run_id]
    # MLflow's record of what it read: the month scored and the champion's training rows
    read = {i.tags[0].value: i.dataset for i in MlflowClient().get_run(result.run_id).inputs.dataset_inputs}
    for context, frame, name in (
        ('monitored', trips, 'green 2023-03..2023-03 monitored'),
        ('training', champion['train'], 'green 2023-01..2023-02 training'),
    ):
        rows = frame[[*INPUT_COLUMNS, 'duration']]
        digest = hashlib.sha256('\x1f'.join(rows.columns).encode())
        digest.update(pd.util.hash_pandas_object(rows, index=True).to_numpy().tobytes())
        assert (read[context].name, read[context].digest) == (name, digest.hexdigest()[:32]), context


def test_default_month_is_the_newest_at_the_source_and_low_thresholds_breach(champion, shared_data):
    result = monitor({'threshold_rmse_increase': '0', 'threshold_unseen_routes': '0', 'threshold_psi': '0'})
    assert result.month == '2024-02'  # the newest month in ../shared/data
    over = [result.metrics[k] > 0 for k in ('rmse_increase', 'unseen_routes', 'trip_distance_psi', 'predictions_psi')]
    assert len(result.breaches) == sum(over) >= 3  # every figure above its zero threshold, and drift is never 0
    assert any('routes the model never saw' in b for b in result.breaches)
    assert any(b.startswith('predictions drifted: PSI') for b in result.breaches)
    assert mlflow.get_run(result.run_id).data.tags['monitoring.breached'] == 'true'
    calm = monitor({'month': '2023-04'})
    assert calm.breaches == [] and mlflow.get_run(calm.run_id).data.tags['monitoring.breached'] == 'false'


def test_what_cannot_be_scored_is_named(champion, shared_data, tmp_path):
    with pytest.raises(ConfigError, match='score a later month, not 2023-02'):
        monitor({'month': '2023-02'})
    with pytest.raises(ConfigError, match='threshold_psi must be a finite number'):
        monitor({'month': '2023-03', 'threshold_psi': 'high'})
    (tmp_path / 'empty' / 'taxi' / 'green').mkdir(parents=True)
    with pytest.raises(NothingToScore, match='no month after 2023-02 at .*empty'):
        monitor({'data_source': str(tmp_path / 'empty')})


def test_no_champion_yet_is_named(tracking_store):
    with pytest.raises(ConfigError, match="no 'champion' version of model 'test-model' yet"):
        monitor({'month': '2023-03'})


def test_a_month_missing_at_the_source_is_named_and_nothing_is_logged(champion, shared_data):
    with pytest.raises(SourceError, match=r'2025-06.*no file at'):
        monitor({'month': '2025-06'})
    monitoring = MlflowClient().get_experiment_by_name(
        f'{mlflow.get_experiment(champion["experiment"]).name}-monitoring'
    )
    assert monitoring is None or MlflowClient().search_runs([monitoring.experiment_id]) == []


def test_an_unreachable_tracking_server_is_named(tracking_store, monkeypatch):
    uri = f'http://127.0.0.1:{free_port()}'  # nothing listens there
    monkeypatch.setenv('MLFLOW_TRACKING_URI', uri)
    with pytest.raises(TrackingError, match=f'MLflow tracking at {uri} cannot be used'):
        monitor({'month': '2023-03'})


def test_thresholds_default_and_take_numbers_or_their_text():
    assert Thresholds.from_variables({'threshold_psi': ''}) == Thresholds()
    assert Thresholds.from_variables({'threshold_rmse_increase': '0.1'}).rmse_increase == 0.1
    assert Thresholds.from_variables({'threshold_unseen_routes': 1, 'threshold_psi': 0}) == Thresholds(
        unseen_routes=1.0, psi=0.0
    )


@pytest.mark.parametrize(
    'variables, message',
    [
        ({'threshold_unseen_routes': -1}, 'threshold_unseen_routes must be a finite number in [0, 1], got -1'),
        ({'threshold_unseen_routes': 1.5}, 'threshold_unseen_routes must be a finite number in [0, 1], got 1.5'),
        ({'threshold_psi': 'nan'}, "threshold_psi must be a finite number in [0, 10], got 'nan'"),
        ({'threshold_psi': float('nan')}, 'threshold_psi must be a finite number in [0, 10], got nan'),
        ({'threshold_rmse_increase': 'inf'}, "threshold_rmse_increase must be a finite number in [0, 10], got 'inf'"),
        ({'threshold_rmse_increase': '-0.1'}, "threshold_rmse_increase must be a finite number in [0, 10], got '-0.1'"),
        ({'threshold_rmse_increase': 'high'}, "threshold_rmse_increase must be a finite number in [0, 10], got 'high'"),
        ({'threshold_psi': True}, 'threshold_psi must be a finite number in [0, 10], got True'),
        ({'month': '2023-13'}, 'month'),
    ],
)
def test_a_bad_variable_is_named_before_any_work(variables, message, monkeypatch):
    """Through the monitoring block's function: refused before MLflow is even reached (its
    tracking URI here points where nothing listens, which would be a TrackingError)."""
    from mlops.utils.observability.monitor import run_monitoring

    monkeypatch.setenv('MLFLOW_TRACKING_URI', f'http://127.0.0.1:{free_port()}')
    with pytest.raises(ConfigError) as refused:
        run_monitoring(variables, log=lambda message: None)
    assert message in str(refused.value)


def test_the_pipelines_threshold_defaults_are_the_codes():
    import dataclasses

    import yaml

    from mlops.utils.paths import project_dir

    metadata = yaml.safe_load((project_dir('unit_3_observability') / 'pipelines/monitoring/metadata.yaml').read_text())
    declared = {k[len('threshold_') :]: v for k, v in metadata['variables'].items() if k.startswith('threshold_')}
    assert declared == dataclasses.asdict(Thresholds())
