"""The xgboost_training pipeline's dashboard (explainability) through a Mage server (auth on)
on unit_2_training, with an XGBoost champion: each chart's data equals the SHAP figures
computed here, and headless Chromium sees the bar chart drawn and the table filled (screenshot kept)."""
from __future__ import annotations

import pytest
import yaml

from mlops.utils.observability.explain import champion_contributions, top_features, trip_contributions
from mlops.utils.paths import project_dir
from tests.browser import charts_drawn, page_text, sign_in, wait_until
from tests.registered import embedded_store, register_linear_on
from tests.servers import dashboard_charts, signed_in_mage

pytestmark = pytest.mark.slow
PROJECT, PAGE = 'unit_2_training', 'pipelines/xgboost_training/dashboard'
LAYOUT = project_dir(PROJECT).parent / 'presenters' / PAGE / 'block_layout.yaml'


@pytest.fixture(scope='module')
def server(tmp_path_factory, shared_data):
    root = tmp_path_factory.mktemp('explain')
    with embedded_store(root / 'data') as experiment:
        register_linear_on(experiment, str(shared_data), '2023-01', '2023-02', xgboost_rounds=30)
        contribs = champion_contributions()
        expected = {'champion_feature_contributions': top_features(contribs),
                    'trip_prediction_contributions': trip_contributions(contribs, row=0)}
    with signed_in_mage(root, PROJECT) as client:
        yield client, expected


def test_each_chart_serves_the_champions_shap_figures(server):
    """The explainability charts; the page's run-health charts, with no Mage run of the
    pipeline on this server, serve their empty state."""
    client, expected = server
    charts = dashboard_charts(client, PAGE)
    assert set(expected) <= set(charts)
    for uuid, (block, served) in charts.items():
        if uuid not in expected:
            assert served.get('y') in (None, [], [[]]), (uuid, served)
            continue
        x, y = expected[uuid]
        if block['configuration']['chart_type'] == 'table':  # column names, rows
            assert served['x'] == x and served['y'] == y and y, uuid
        else:
            assert served['x'] == x and served['y'] == [y] and x, uuid


def test_chromium_sees_the_chart_drawn_and_the_table_filled(server, browser, tmp_path):
    client, expected = server
    blocks = yaml.safe_load(LAYOUT.read_text())['blocks']
    explained = [blocks[uuid] for uuid in expected]
    charts = {b['name'] for b in explained if b['configuration']['chart_type'] != 'table'}
    tables = {b['name'] for b in blocks.values()} - charts  # run-health panels stay empty here
    browser.set_window_size(1600, 1200)
    sign_in(browser, client.base_url, client.email, client.password)
    browser.get(f'{client.base_url}/{PAGE}')
    drawn = charts_drawn(browser, charts, others=tables)
    _, rows = expected['trip_prediction_contributions']
    cells = [str(cell) for row in rows for cell in row]
    wait_until(browser, lambda b: all(c in page_text(b) for c in cells))
    browser.save_screenshot(str(tmp_path / 'xgboost-dashboard.png'))
    print(f'screenshot: {tmp_path / "xgboost-dashboard.png"}')
    assert set(drawn) == charts, f'not drawn: {sorted(charts - set(drawn))}'
