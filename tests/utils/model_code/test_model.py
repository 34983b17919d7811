"""The registered model: raw records in, the same minutes as vectorizer + estimator in memory."""

from pathlib import Path

import mlflow
import numpy as np
import pytest
import xgboost
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LinearRegression

from mlops.utils.errors import DataError
from mlops.utils.model_code.features import INPUT_COLUMNS
from mlops.utils.model_code.input_rule import InputError, TooManyRecords
from mlops.utils.model_code.model import TripDurationModel
from mlops.utils.model_code.request_limits import MAX_RECORDS_ENV_VAR, SERVING_REQUESTS_ENV_VAR
from mlops.utils.paths import REPO_ROOT
from mlops.utils.tracking.runs import log_final_model, served_requirements, start_parent
from testkit.registered import small_booster


@pytest.fixture(scope='module')
def booster(data):
    return small_booster(data.X_train, data.y_train)


def test_validation_records_are_the_raw_inputs_and_give_the_training_features(data):
    records = data.validation_records()
    assert list(records.columns) == INPUT_COLUMNS + ['duration']
    assert (records['PULocationID'].astype(str) + '_' + records['DOLocationID'].astype(str)).tolist() == data.df_val[
        'PU_DO'
    ].tolist()
    features = TripDurationModel(data.dv, None).features(records)
    assert (features != data.X_val).nnz == 0  # the model computes exactly the training matrix


def test_logged_pyfunc_round_trip(tracking_store, data, booster):
    validation = data.validation_records()
    client = MlflowClient()
    parent = start_parent(client, tracking_store, 'xgboost', {'pipeline_uuid': 'test', 'pipeline_run_id': 1})
    model = TripDurationModel(data.dv, booster)
    run_id, uri = log_final_model(
        client, parent, model, {'max_depth': 6}, {'rmse': 1.0}, {}, {'training_rows': 1}, validation
    )
    loaded = mlflow.pyfunc.load_model(uri)
    expected = booster.predict(data.X_val)
    assert np.allclose(loaded.predict(validation), expected)
    first = validation.head(3).to_dict(orient='records')
    assert np.allclose(model.predict(None, first), expected[:3])
    assert loaded.metadata.get_input_schema().input_names() == INPUT_COLUMNS
    assert client.get_run(run_id).data.tags['mlflow.parentRunId'] == parent
    code = Path(mlflow.artifacts.download_artifacts(uri)) / 'code'
    shipped = sorted(p.relative_to(code).as_posix() for p in code.rglob('*.py'))
    code = sorted(f'mlops/utils/model_code/{p.name}' for p in (REPO_ROOT / 'mlops/utils/model_code').glob('*.py'))
    assert shipped == sorted(['mlops/__init__.py', 'mlops/utils/__init__.py', 'mlops/utils/errors.py', *code])


def test_requirements_name_exactly_what_the_model_imports(data, booster):
    sklearn_model = TripDurationModel(data.dv, LinearRegression())
    names = lambda model: [r.split('==')[0] for r in served_requirements(model)]  # noqa: E731
    assert names(sklearn_model) == ['mlflow-skinny', 'numpy', 'pandas', 'scipy', 'scikit-learn']
    assert names(TripDurationModel(data.dv, booster)) == names(sklearn_model) + ['xgboost-cpu']


def test_missing_input_columns_are_named(data, booster):
    with pytest.raises(DataError, match='trip records lack trip_distance'):
        TripDurationModel(data.dv, booster).predict(None, [{'PULocationID': 1, 'DOLocationID': 2}])


def test_the_model_applies_the_input_rule_and_in_a_model_server_the_record_limit(data, booster, monkeypatch):
    """Wherever it runs, the model refuses trips that break the input rule; where it serves
    requests (scripts/serve.sh's server sets the variable before loading it), each predict call
    is a request, held to the record limit. Elsewhere (monitoring a month, re-scoring the
    champion) one call scores any number of trips."""
    model = TripDurationModel(data.dv, booster)
    records = data.validation_records().head(5).drop(columns=['duration'])
    with pytest.raises(InputError, match=r'^records\[0\]\.trip_distance must be a finite number >= 0, got -1\.0 \(5'):
        model.predict(None, records.assign(trip_distance=-1.0))
    monkeypatch.setenv(MAX_RECORDS_ENV_VAR, '4')
    monkeypatch.delenv(SERVING_REQUESTS_ENV_VAR, raising=False)
    model.load_context(None)
    assert np.allclose(model.predict(None, records), booster.predict(data.X_val[:5]))
    monkeypatch.setenv(SERVING_REQUESTS_ENV_VAR, '1')
    model.load_context(None)
    with pytest.raises(TooManyRecords, match='the request has 5 records; at most 4 per request'):
        model.predict(None, records)
    assert np.allclose(model.predict(None, records.head(4)), booster.predict(data.X_val[:4]))


@pytest.mark.parametrize(
    'model_module, estimator_module',
    [
        (b'mlops.utils.tracking.pyfunc', b'mlops.utils.models.families'),  # before the model shipped its code
        (b'mlops.utils.serving.model', b'mlops.utils.serving.estimators'),  # before model_code had its name
    ],
)
def test_models_pickled_under_the_old_module_paths_still_load(data, booster, model_module, estimator_module):
    """Versions registered earlier name the classes by their old modules; in a process of this
    repository (which has imported ``mlops`` already) those names still resolve."""
    import pickle

    model = TripDurationModel(data.dv, booster)
    old = (
        pickle.dumps(model, protocol=0)
        .replace(b'mlops.utils.model_code.model\nTripDurationModel', model_module + b'\nTripDurationModel')
        .replace(b'mlops.utils.model_code.estimators\nBoosterRegressor', estimator_module + b'\nBoosterRegressor')
    )
    assert model_module in old and estimator_module in old and b'model_code' not in old
    records = data.validation_records().head(20)
    assert np.array_equal(pickle.loads(old).predict(None, records), model.predict(None, records))


def test_booster_predicts_what_a_dmatrix_gives(data, booster):
    """``inplace_predict`` on the CSR matrix: the numbers of the documented DMatrix route, for a
    batch and for one trip, with the rounds early stopping chose."""
    booster.best_iteration = 9
    try:
        for X in (data.X_val, data.X_val[:1]):
            expected = booster.booster.predict(xgboost.DMatrix(X), iteration_range=(0, 10))
            assert np.array_equal(booster.predict(X), expected)
            assert not np.array_equal(expected, booster.booster.predict(xgboost.DMatrix(X)))  # the rounds matter
    finally:
        booster.best_iteration = booster.booster.num_boosted_rounds() - 1


def test_booster_predicts_on_one_thread_after_pickling(booster):
    import json
    import pickle

    restored = pickle.loads(pickle.dumps(booster)).booster
    assert json.loads(restored.save_config())['learner']['generic_param']['nthread'] == '1'
