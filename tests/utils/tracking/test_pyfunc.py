"""The logged model: raw records in, the same minutes as booster + vectorizer in memory."""
import mlflow
import numpy as np
import pytest
import xgboost
from mlflow.tracking import MlflowClient

from mlops.utils.models.families import BoosterRegressor
from mlops.utils.models.training_data import unpack_training_set
from mlops.utils.tracking.pyfunc import TripDurationModel
from mlops.utils.tracking.runs import log_final_model, records_from_prepared, start_parent


@pytest.fixture(scope='module')
def booster_and_data(default_training_set):
    data = unpack_training_set(default_training_set)
    booster = xgboost.train({'max_depth': 6, 'seed': 1}, xgboost.DMatrix(data.X_train, label=data.y_train),
                            num_boost_round=20)
    return BoosterRegressor(booster), data


def test_records_from_prepared_restore_the_ids(default_training_set):
    df_val = default_training_set['prepare'][2]
    records = records_from_prepared(df_val)
    assert (records['PULocationID'].astype(str) + '_' + records['DOLocationID'].astype(str)).tolist() == df_val['PU_DO'].tolist()


def test_logged_pyfunc_round_trip(tracking_store, booster_and_data):
    estimator, data = booster_and_data
    validation = records_from_prepared(data.df_val)
    client = MlflowClient()
    parent = start_parent(client, tracking_store, 'xgboost', {'pipeline_uuid': 'test', 'pipeline_run_id': 1})
    run_id, uri = log_final_model(client, parent, TripDurationModel(data.dv, estimator), {'max_depth': 6},
                                  {'rmse': 1.0}, {}, {'training_rows': 1}, validation)
    loaded = mlflow.pyfunc.load_model(uri)
    expected = estimator.predict(data.X_val)
    assert np.allclose(loaded.predict(validation), expected)
    first = validation.head(3).to_dict(orient='records')
    assert np.allclose(TripDurationModel(data.dv, estimator).predict(None, first), expected[:3])
    signature_columns = loaded.metadata.get_input_schema().input_names()
    assert signature_columns == ['PULocationID', 'DOLocationID', 'trip_distance']
    assert client.get_run(run_id).data.tags['mlflow.parentRunId'] == parent


def test_missing_input_columns_are_named(booster_and_data):
    estimator, data = booster_and_data
    with pytest.raises(ValueError, match='trip records lack trip_distance'):
        TripDurationModel(data.dv, estimator).predict(None, [{'PULocationID': 1, 'DOLocationID': 2}])
