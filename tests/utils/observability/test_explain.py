"""SHAP values from XGBoost for the served model: they add up to its predictions."""
import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from mlops.utils.models.training_data import unpack_training_set
from mlops.utils.observability.explain import BIAS, TRIP_COLUMNS, contributions, top_features, trip_contributions
from mlops.utils.serving.model import TripDurationModel
from tests.registered import small_booster


@pytest.fixture(scope='module')
def data(default_training_set):
    return unpack_training_set(default_training_set)


@pytest.fixture(scope='module')
def model(data):
    return TripDurationModel(data.dv, small_booster(data.X_train, data.y_train))


def test_each_trip_adds_up_to_its_prediction(model, data):
    trips = data.validation_records().head(200)
    contribs = contributions(model, trips)
    assert list(contribs.columns) == list(data.dv.feature_names_) + [BIAS]
    assert np.allclose(contribs.sum(axis=1), model.predict(None, trips), atol=1e-3)


def test_top_features_and_one_trip(model, data):
    contribs = contributions(model, data.validation_records().head(200))
    names, values = top_features(contribs, top=5)
    mean_abs = contribs.drop(columns=[BIAS]).abs().mean()
    assert names[0] == mean_abs.idxmax().replace('PU_DO=', 'route ') and values == sorted(values, reverse=True)
    assert len(names) == 5 and all(n == 'trip_distance' or n.startswith('route ') for n in names)
    columns, rows = trip_contributions(contribs, row=3, top=4)
    assert columns == TRIP_COLUMNS and [r[0] for r in rows][:2] == ['prediction', BIAS]
    assert rows[-1][0] == 'all other features' and len(rows) == 7
    prediction = model.predict(None, data.validation_records().iloc[[3]])[0]
    assert rows[0][1] == pytest.approx(prediction, abs=1e-3)
    assert sum(r[1] for r in rows[1:]) == pytest.approx(prediction, abs=1e-3)  # the parts add up


def test_other_models_have_no_contributions(data):
    linear = TripDurationModel(data.dv, LinearRegression().fit(data.X_train, data.y_train))
    assert contributions(linear, data.validation_records().head(5)) is None
    assert top_features(None) == ([], []) and trip_contributions(None) == (TRIP_COLUMNS, [])
