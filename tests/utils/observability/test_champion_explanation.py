"""The SHAP explanation is logged with the final model at registration, and the Dashboard's
two chart files serve the champion's artifact as it is, quickly, without loading the model."""

import json
import runpy
import time

import numpy as np
import pytest
import yaml
from mlflow.tracking import MlflowClient

from mlops.utils.model_code.model import TripDurationModel
from mlops.utils.observability.explain import ARTIFACT, BIAS, EXACT, TRIP_COLUMNS
from mlops.utils.paths import project_dir
from testkit.registered import register_constant, register_model, small_booster

CHARTS = project_dir('unit_2_training') / 'charts'
LAYOUT = yaml.safe_load(
    (
        project_dir('unit_2_training').parent / 'presenters/pipelines/xgboost_training/dashboard/block_layout.yaml'
    ).read_text()
)


def chart(name: str):
    """A chart file run as Mage runs it: the values its layout names as ``x`` and ``y``, and the
    seconds it took."""
    started = time.monotonic()
    values = runpy.run_path(str(CHARTS / f'{name}.py'))
    axes = LAYOUT['blocks'][name]['configuration']
    return values[axes['x']], values[axes['y']], time.monotonic() - started


def independent_contributions(model, trips):
    """XGBoost's own TreeSHAP: right on a shallow booster (depth 6), computed apart from explain.py."""
    import xgboost

    estimator = model.estimator
    values = estimator.booster.predict(
        xgboost.DMatrix(model.features(trips)), pred_contribs=True, iteration_range=(0, estimator.best_iteration + 1)
    )
    assert np.abs(values.sum(axis=1) - estimator.booster.inplace_predict(model.features(trips))).max() < 1e-3
    return values


def test_xgboost_champion_carries_its_explanation_and_the_charts_serve_it(tracking_store, data):
    model = TripDurationModel(data.dv, small_booster(data.X_train, data.y_train, rounds=30))
    promotion, _ = register_model(tracking_store, data, model, 'XGBoost')
    client = MlflowClient()
    version = client.get_model_version('test-model', promotion.version)
    with open(client.download_artifacts(version.run_id, ARTIFACT)) as file:
        logged = json.load(file)
    assert logged['explained'] and logged['method'] == EXACT and logged['trips'] == 500

    trips = data.validation_records().sample(500, random_state=0)
    values = independent_contributions(model, trips)
    names = list(data.dv.feature_names_)
    mean_abs = np.abs(values[:, :-1]).mean(axis=0)
    top = np.argsort(-mean_abs)[:8]
    assert logged['top_features']['features'] == [names[i].replace('PU_DO=', 'route ') for i in top]
    assert logged['top_features']['mean_abs_minutes'] == pytest.approx(mean_abs[top].tolist(), abs=1e-3)
    rows = dict((name, minutes) for name, minutes in logged['trip']['rows'])
    assert rows['prediction'] == pytest.approx(model.predict(None, trips.iloc[[0]])[0], abs=1e-3)
    assert rows[BIAS] == pytest.approx(values[0, -1], abs=1e-3)
    assert sum(minutes for _, minutes in logged['trip']['rows'][1:]) == pytest.approx(rows['prediction'], abs=1e-3)

    x, y, seconds = chart('champion_feature_contributions')  # largest last: drawn on top
    assert (x, y) == (logged['top_features']['features'][::-1], logged['top_features']['mean_abs_minutes'][::-1])
    assert seconds < 1.0
    x, y, seconds = chart('trip_prediction_contributions')
    assert (x, y) == (TRIP_COLUMNS, logged['trip']['rows']) and seconds < 1.0


def test_no_champion_or_another_family_gives_empty_charts(tracking_store, data):
    assert chart('champion_feature_contributions')[:2] == ([], [])
    assert chart('trip_prediction_contributions')[:2] == (TRIP_COLUMNS, [])
    promotion, _ = register_constant(tracking_store, data, 15.0)
    assert promotion.promoted
    run_id = MlflowClient().get_model_version('test-model', promotion.version).run_id
    assert ARTIFACT not in [a.path for a in MlflowClient().list_artifacts(run_id, 'explanations')]
    assert chart('champion_feature_contributions')[:2] == ([], [])
    assert chart('trip_prediction_contributions')[:2] == (TRIP_COLUMNS, [])
