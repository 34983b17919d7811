"""The xgboost_training pipeline's dashboard (explainability) through a Mage server (auth on)
started the default way (the UI on unit_1), with an XGBoost champion: each chart's data equals the SHAP figures its
registration logged (checked here against XGBoost's own values for that shallow booster), and
headless Chromium sees the bar chart drawn and the table filled (screenshot kept)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from mlops.utils.observability.explain import ARTIFACT, BIAS
from mlops.utils.tracking.registry import registered_model_name
from mlops.utils.tracking.schema import CHAMPION
from testkit.registered import embedded_store, register_linear_on
from testkit.servers import signed_in_mage
from tests.browser import sign_in
from tests.dashboards import assert_serves, dashboard_charts, draw, layout_blocks

pytestmark = pytest.mark.slow
PAGE = 'pipelines/xgboost_training/dashboard'


@pytest.fixture(scope='module')
def server(tmp_path_factory, shared_data):
    root = tmp_path_factory.mktemp('explain')
    with embedded_store(root / 'data') as experiment:
        model, _, _ = register_linear_on(experiment, str(shared_data), '2023-01', '2023-02', xgboost_rounds=30)
        client = MlflowClient()
        run_id = client.get_model_version_by_alias(registered_model_name(), CHAMPION).run_id
        with open(client.download_artifacts(run_id, ARTIFACT)) as file:
            logged = json.load(file)
        check_trip(model, logged['trip'])
        expected = {
            'champion_feature_contributions': (  # a horizontal chart: the largest last, drawn on top
                logged['top_features']['features'][::-1],
                logged['top_features']['mean_abs_minutes'][::-1],
            ),
            'trip_prediction_contributions': (logged['trip']['columns'], logged['trip']['rows']),
        }
    with signed_in_mage(root) as client:
        yield client, expected


def check_trip(model, trip) -> None:
    """The logged trip's parts against XGBoost's own SHAP values for it (right on this 30-round
    depth-6 booster) and the model's prediction."""
    import xgboost

    record = pd.DataFrame([trip['inputs']])
    estimator = model.estimator
    values = estimator.booster.predict(
        xgboost.DMatrix(model.features(record)), pred_contribs=True, iteration_range=(0, estimator.best_iteration + 1)
    )[0]
    prediction = model.predict(None, record)[0]
    rows = dict((name, minutes) for name, minutes in trip['rows'])
    assert abs(values.sum() - prediction) < 1e-3 and abs(rows['prediction'] - prediction) < 1e-3
    assert abs(rows[BIAS] - values[-1]) < 1e-3
    assert abs(sum(minutes for _, minutes in trip['rows'][1:]) - prediction) < 1e-3
    largest = np.sort(np.abs(values[:-1]))[::-1][: len(trip['rows']) - 3]
    assert np.allclose(sorted((abs(m) for _, m in trip['rows'][2:-1]), reverse=True), largest, atol=1e-3)


def test_each_chart_serves_the_champions_shap_figures(server):
    """The explainability charts; the page's run-health charts, with no Mage run of the
    pipeline on this server, serve their empty state."""
    client, expected = server
    charts = dashboard_charts(client, PAGE)
    assert set(expected) <= set(charts)
    assert_serves(charts, expected)
    for uuid in set(charts) - set(expected):
        assert charts[uuid][1].get('y') in (None, [], [[]]), charts[uuid]


def test_chromium_sees_the_chart_drawn_and_the_table_filled(server, browser, tmp_path):
    client, expected = server
    blocks = layout_blocks(PAGE)
    _, rows = expected['trip_prediction_contributions']
    browser.set_window_size(1600, 1200)
    sign_in(browser, client.base_url, client.email, client.password)
    missing, _ = draw(
        browser,
        client.base_url,
        PAGE,
        blocks.values(),
        tmp_path / 'xgboost-dashboard.png',
        shown=[str(cell) for row in rows for cell in row],
        only={blocks[uuid]['name'] for uuid in expected},
    )  # run health stays empty here
    assert not missing, f'not drawn: {sorted(missing)}'
