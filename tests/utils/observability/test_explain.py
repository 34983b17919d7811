"""SHAP values for the served model: they add up to its predictions, on shallow trees and on
the deep loss-guided ones training grows (where XGBoost's own pred_contribs is wrong)."""

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from mlops.utils.model_code.estimators import BoosterRegressor
from mlops.utils.model_code.model import TripDurationModel
from mlops.utils.observability import explain
from mlops.utils.observability.explain import (
    APPROXIMATE,
    BIAS,
    EXACT,
    TOLERANCE,
    TRIP_COLUMNS,
    NotAdditive,
    contributions,
    explanation,
    top_features,
    trip_contributions,
)
from testkit.registered import small_booster


@pytest.fixture(scope='module')
def model(data):
    return TripDurationModel(data.dv, small_booster(data.X_train, data.y_train))


@pytest.fixture(scope='module')
def deep_model(data):
    """Two rounds as the xgboost family grows them with a deep tuned max_depth (lossguide,
    max_depth 60, 255 leaves): each tree reaches depth 60 on this data."""
    import xgboost

    params = {
        'objective': 'reg:squarederror',
        'grow_policy': 'lossguide',
        'seed': 42,
        'nthread': 1,
        'max_depth': 60,
        'max_leaves': 255,
        'learning_rate': 0.1,
        'min_child_weight': 2.0,
    }
    booster = xgboost.train(params, xgboost.DMatrix(data.X_train, label=data.y_train), num_boost_round=2)
    return TripDurationModel(data.dv, BoosterRegressor(booster))


def xgboost_exact(model, trips):
    """XGBoost's own TreeSHAP (pred_contribs), the values the dashboard showed before."""
    import xgboost

    estimator = model.estimator
    return estimator.booster.predict(
        xgboost.DMatrix(model.features(trips)), pred_contribs=True, iteration_range=(0, estimator.best_iteration + 1)
    )


def test_each_trip_adds_up_to_its_prediction(model, data):
    trips = data.validation_records().head(200)
    contribs = contributions(model, trips)
    assert list(contribs.columns) == list(data.dv.feature_names_) + [BIAS]
    assert np.allclose(contribs.sum(axis=1), model.predict(None, trips), atol=TOLERANCE)
    assert contribs.attrs['method'] == EXACT


def test_on_shallow_trees_the_values_are_xgboosts_own_shap_values(model, data):
    """Same algorithm's figures where XGBoost's float32 TreeSHAP is still right (depth 6)."""
    trips = data.validation_records().head(200)
    assert np.abs(contributions(model, trips).to_numpy() - xgboost_exact(model, trips)).max() < 1e-4


def test_deep_lossguide_trees_old_path_is_wrong_new_path_adds_up(deep_model, data):
    trips = data.validation_records().head(50)
    predictions = deep_model.predict(None, trips)
    old = xgboost_exact(deep_model, trips)
    assert np.abs(old.sum(axis=1) - predictions).max() > 1.0  # XGBoost's pred_contribs: far off (~1e5 here)
    contribs = contributions(deep_model, trips)
    assert contribs.attrs['method'] == EXACT
    assert np.abs(contribs.sum(axis=1).to_numpy() - predictions).max() < TOLERANCE
    assert contribs.drop(columns=[BIAS]).abs().to_numpy().max() < 100  # minutes, not 1e5
    assert contribs[BIAS].iloc[0] == pytest.approx(old[0, -1], abs=1e-3)  # the bias XGBoost computes


def test_exact_values_failing_the_check_give_way_to_labelled_approximate_ones(model, data, monkeypatch):
    trips = data.validation_records().head(20)
    monkeypatch.setattr(
        explain,
        'shap_values',
        lambda booster, rounds, matrix: (np.full((matrix.shape[0], matrix.shape[1] + 1), 1e16), 0.0),
    )
    contribs = contributions(model, trips)
    assert contribs.attrs['method'] == APPROXIMATE
    assert np.allclose(contribs.sum(axis=1), model.predict(None, trips), atol=TOLERANCE)
    monkeypatch.setattr(
        explain, '_saabas', lambda estimator, matrix: np.full((matrix.shape[0], matrix.shape[1] + 1), 7.0)
    )
    with pytest.raises(NotAdditive, match='cannot explain'):
        contributions(model, trips)
    explained = explanation(model, trips)
    assert explained['explained'] is False and explained['reason'].startswith('cannot explain this model')


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


def test_explanation_is_json_and_checked(model, data):
    import json

    validation = data.validation_records()
    explained = json.loads(json.dumps(explanation(model, validation, rows=100)))
    assert explained['explained'] and explained['method'] == EXACT and explained['trips'] == 100
    assert explained['max_additivity_error_minutes'] < TOLERANCE
    trip = validation.sample(100, random_state=0).iloc[[0]]
    rows = explained['trip']['rows']
    assert rows[0][1] == pytest.approx(model.predict(None, trip)[0], abs=1e-3)
    assert explained['trip']['inputs'] == {c: trip[c].iloc[0].item() for c in trip.columns if c != 'duration'}
    assert len(explained['top_features']['features']) == 8


def test_other_models_have_no_contributions(data):
    linear = TripDurationModel(data.dv, LinearRegression().fit(data.X_train, data.y_train))
    assert contributions(linear, data.validation_records().head(5)) is None
    assert explanation(linear, data.validation_records().head(5)) is None
    assert top_features(None) == ([], []) and trip_contributions(None) == (TRIP_COLUMNS, [])
