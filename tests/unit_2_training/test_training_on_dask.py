"""The main job's preparation and XGBoost training through Mage (the runner) with
``compute=dask``, on a real scheduler at ``DASK_SCHEDULER_ADDRESS``: the version it registers
loads and predicts as any other, within 0.5 % of the pandas path's RMSE, and records the rows it
was trained and validated on as MLflow datasets, as the pandas path does."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlops.utils.compute.partitions import MARKER
from mlops.utils.data_preparation.ingest import ingest_files
from mlops.utils.data_preparation.steps import build_training_sets, prepare_trips
from mlops.utils.model_code.features import INPUT_COLUMNS
from mlops.utils.models.metrics import regression_metrics
from mlops.utils.models.training_data import TrainingData
from mlops.utils.tracking.lineage import TRAINING, VALIDATION, rows_digest
from mlops.utils.tracking.schema import VALIDATION_RMSE
from testkit.chain import run_chain, summaries
from testkit.registered import embedded_store
from testkit.servers import dask_cluster

pytestmark = pytest.mark.slow
MODEL = 'nyc-taxi-duration'
FIXED = {'max_depth': 10, 'max_leaves': 63, 'learning_rate': 0.3, 'min_child_weight': 1.0}
ROUNDS = {'num_boost_round': 60, 'early_stopping_rounds': 10}
ROLES = (TRAINING, VALIDATION)


@pytest.fixture(scope='module')
def scheduler():
    """A real Dask scheduler with two worker processes on 127.0.0.1, stopped after the module."""
    with dask_cluster() as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope='module')
def pandas_rmse(shared_data):
    """The pandas path's figure, computed here with xgboost itself on the seed's matrices."""
    import xgboost

    prepared = prepare_trips(
        ingest_files('2024-01', '2024-02', source=str(shared_data)), 'lpep_pickup_datetime', '2024-02-01', 'duration'
    )
    data = TrainingData.from_sets(build_training_sets(*prepared), df_val=prepared[2])
    params = {'objective': 'reg:squarederror', 'grow_policy': 'lossguide', 'seed': 42, **FIXED}
    validation = xgboost.DMatrix(data.X_val, label=data.y_val)
    booster = xgboost.train(
        params,
        xgboost.DMatrix(data.X_train, label=data.y_train),
        num_boost_round=ROUNDS['num_boost_round'],
        evals=[(validation, 'validation')],
        early_stopping_rounds=ROUNDS['early_stopping_rounds'],
        verbose_eval=False,
    )
    predicted = booster.predict(validation, iteration_range=(0, booster.best_iteration + 1))
    rmse = regression_metrics(data.y_val, predicted)['rmse']
    columns = [*INPUT_COLUMNS, 'duration']
    digests = {role: rows_digest(rows[columns].reset_index(drop=True)) for role, rows in zip(ROLES, prepared[1:])}
    return rmse, data.validation_records(), data.X_train.shape[0], data.X_train.shape[1], digests


def test_the_dask_path_registers_a_version_that_predicts_like_any_other(tmp_path, shared_data, scheduler, pandas_rmse):
    result = run_chain(
        tmp_path,
        '--source',
        str(shared_data),
        '--pipelines',
        'prepare_training_set,xgboost_training',
        '--set',
        'compute=dask',
        '--set',
        f'hyperparameters={json.dumps(FIXED)}',
        *[arg for name, value in ROUNDS.items() for arg in ('--set', f'{name}={value}')],
        env={'DASK_SCHEDULER_ADDRESS': scheduler},
        timeout=1200,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    expected_rmse, records, training_rows, features, digests = pandas_rmse
    preparation, line = summaries(result)
    assert preparation['X_train'] == [training_rows, features]  # read back from Mage's stored references
    [model] = line['models']
    # the prepared months are files under the state folder, complete (the manifest is last)
    [folder] = (tmp_path / 'data' / 'partitions').iterdir()
    assert sorted(p.name for p in folder.iterdir()) == [MARKER, '2024-01.parquet', '2024-02.parquet', 'figures.json']

    with embedded_store(tmp_path / 'data', MODEL):
        import mlflow
        from mlflow.tracking import MlflowClient

        version = MlflowClient().get_model_version(MODEL, model['version'])
        logged = MlflowClient().get_run(version.run_id).data
        served = mlflow.pyfunc.load_model(f'models:/{MODEL}/{version.version}')
        predictions = served.predict(records.drop(columns=['duration']))
        inputs = MlflowClient().get_run(version.run_id).inputs.dataset_inputs
        card = mlflow.artifacts.load_dict(f'runs:/{version.run_id}/{version.tags["model_card"]}')
    # Its training and validation rows, as MLflow datasets: the digest of the rows the pandas
    # path prepares from the same months (the Dask path's files read one month at a time).
    datasets = {i.tags[0].value: i.dataset for i in inputs}
    assert {role: d.digest for role, d in datasets.items()} == digests
    assert json.loads(datasets['training'].profile)['num_rows'] == training_rows
    assert json.loads(datasets['validation'].profile)['num_rows'] == len(records)
    assert (
        datasets['training'].name == 'green 2024-01..2024-02 training' and datasets['training'].source_type == 'local'
    )
    rmse = regression_metrics(records['duration'], predictions)['rmse']
    print(f'validation RMSE: pandas path {expected_rmse:.4f}, Dask path {rmse:.4f}')
    assert rmse == pytest.approx(logged.metrics[VALIDATION_RMSE], rel=1e-6)  # MLflow's record of the Dask run
    assert abs(rmse - expected_rmse) <= 0.005 * expected_rmse
    assert int(logged.tags['data.training_rows']) == training_rows and logged.tags['data.feature_count'] == str(
        features
    )
    assert np.isfinite(predictions).all() and len(predictions) == len(records)
    # Its model card: the figures of the same rows; the training rows stay in their files (no drift,
    # and the pickup times are not read back: no hour slices).
    assert card['validation']['overall']['rmse'] == pytest.approx(rmse, abs=1e-9)
    assert {role: d['digest'] for role, d in card['data']['datasets'].items()} == digests
    assert sum(d['trips'] for d in card['validation']['slices']['distance_deciles']) == len(records)
    assert not card['drift']['computed'] and card['validation']['slices']['pickup_hour'] == []


def test_the_documented_default_a_local_cluster_per_block_prepares_and_trains_sklearn(
    tmp_path, shared_data, pandas_rmse, monkeypatch
):
    """``compute=dask`` with no ``DASK_SCHEDULER_ADDRESS``, as the docs' default: each block starts
    a LocalCluster of its own. The training set (data_preparation's own blocks: unit_2's are links
    to them) and sklearn training through Mage; the version registered predicts the validation
    trips computed here from the data."""
    monkeypatch.delenv('DASK_SCHEDULER_ADDRESS', raising=False)
    result = run_chain(
        tmp_path,
        '--source',
        str(shared_data),
        '--pipelines',
        'prepare_training_set,sklearn_training',
        '--set',
        'compute=dask',
        '--set',
        'models=linear_model.Lasso',
        '--set',
        'max_evaluations=1',
        timeout=1200,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    _, records, training_rows, features, _ = pandas_rmse
    training_set, line = summaries(result)
    assert training_set['X_train'] == [training_rows, features]
    assert [p.name for p in (tmp_path / 'data' / 'partitions').iterdir()]  # the months went to the workers' files
    [model] = line['models']
    with embedded_store(tmp_path / 'data', MODEL):
        import mlflow
        from mlflow.tracking import MlflowClient

        version = MlflowClient().get_model_version(MODEL, model['version'])
        logged = MlflowClient().get_run(version.run_id).data
        predictions = mlflow.pyfunc.load_model(f'models:/{MODEL}/{version.version}').predict(
            records.drop(columns=['duration'])
        )
    rmse = regression_metrics(records['duration'], predictions)['rmse']
    assert rmse == pytest.approx(logged.metrics[VALIDATION_RMSE], rel=1e-9)
    assert round(rmse, 4) == model['validation_rmse']  # the runner's line rounds to 4 places
    assert int(logged.tags['data.training_rows']) == training_rows
