"""The monitoring pipeline's dashboard through a Mage server (auth on) after real runs: every
chart's data equals what the dashboard functions compute from the store, and headless Chromium
sees each chart drawn (screenshot kept under the test's folder)."""
from __future__ import annotations

import pytest
import yaml
from mlflow.tracking import MlflowClient

from mlops.utils.models.tuning import Trial
from mlops.utils.observability import dashboard
from mlops.utils.paths import project_dir
from tests.browser import charts_drawn, sign_in
from tests.registered import embedded_store, register_linear_on
from tests.servers import dashboard_charts, signed_in_mage

pytestmark = pytest.mark.slow
PROJECT, PAGE = 'unit_3_observability', 'pipelines/monitoring/dashboard'
LAYOUT = project_dir(PROJECT).parent / 'presenters' / PAGE / 'block_layout.yaml'


@pytest.fixture(scope='module')
def server(tmp_path_factory, shared_data):
    """Two registered versions, six tuning trials and three scored months in the store."""
    root = tmp_path_factory.mktemp('dashboard')
    with embedded_store(root / 'data') as experiment:
        from mlops.utils.observability.monitor import monitor
        from mlops.utils.tracking.runs import log_trial, start_parent

        register_linear_on(experiment, str(shared_data), '2023-01', '2023-02')
        register_linear_on(experiment, str(shared_data), '2023-02', '2023-03')
        parent = start_parent(MlflowClient(), experiment, 'LinearRegression', {})
        for number, rmse in enumerate([6.1, 5.9, 6.4, 5.8, 6.0, 6.2]):
            log_trial(MlflowClient(), parent, Trial(number, {}, {'rmse': rmse, 'mse': rmse ** 2}, 0.1))
        for month in ('2023-04', '2023-05', '2023-06'):
            monitor({'month': month})
        expected = {  # what each chart must show, computed here from the same store
            'validation_rmse_by_family': dashboard.best_rmse_by_family(dashboard.logged_models()),
            'models_by_family': dashboard.model_families(dashboard.logged_models()),
            'validation_rmse_over_time': dashboard.metric_over_time(dashboard.logged_models(), 'rmse')[:2],
            'validation_mse_over_time': dashboard.metric_over_time(dashboard.logged_models(), 'mse')[:2],
            'trial_rmse_histogram': dashboard.trial_rmses(),
            'champion_history': dashboard.champion_history(),
            'monitoring_rmse_by_month': dashboard.monitoring_by_month('rmse'),
            'monitoring_drift_by_month': dashboard.monitoring_by_month('predictions_psi'),
        }
    with signed_in_mage(root, PROJECT) as client:
        yield client, expected


def test_every_chart_serves_the_stores_figures(server):
    client, expected = server
    charts = dashboard_charts(client, PAGE)
    assert sorted(charts) == sorted(expected)
    for uuid, (block, data) in charts.items():
        kind = block['configuration']['chart_type']
        if kind == 'bar chart':
            x, y = expected[uuid]
            assert data['x'] == x and data['y'] == [y] and x, uuid
        elif kind == 'line chart':
            x, lines = expected[uuid]
            assert data['x'] == x and data['y'] == lines and x, uuid
        elif kind == 'pie chart':
            families = expected[uuid]
            assert data['x'] == {f: families.count(f) for f in set(families)}, uuid
        elif kind == 'histogram':
            counts = sum(bucket['value'] for bucket in data['y'])
            assert counts == len(expected[uuid]) > 0, uuid


def test_chromium_sees_every_chart_drawn(server, browser, tmp_path):
    client, expected = server
    names = {block['name'] for block in yaml.safe_load(LAYOUT.read_text())['blocks'].values()}
    browser.set_window_size(1600, 2200)
    sign_in(browser, client.base_url, client.email, client.password)
    browser.get(f'{client.base_url}/{PAGE}')
    drawn = charts_drawn(browser, names)
    browser.save_screenshot(str(tmp_path / 'monitoring-dashboard.png'))
    print(f'screenshot: {tmp_path / "monitoring-dashboard.png"}')
    assert set(drawn) == names, f'not drawn: {sorted(names - set(drawn))}'


def test_with_mlflow_unreachable_the_page_loads_and_each_chart_names_the_cause(tmp_path, browser):
    from mlops.utils.triggering.mage_api import MageApiError
    from tests.browser import page_text, wait_until
    from tests.servers import free_port

    unreachable = f'http://127.0.0.1:{free_port()}'  # nothing listens there
    blocks = yaml.safe_load(LAYOUT.read_text())['blocks']
    with signed_in_mage(tmp_path, PROJECT, env={'MLFLOW_TRACKING_URI': unreachable}) as client:
        for uuid in blocks:
            with pytest.raises(MageApiError, match=f'MLflow tracking at {unreachable} cannot be used'):
                client.get(f'/api/page_block_layouts/{PAGE.replace("/", "%2F")}/block_layout_items/{uuid}')
        browser.set_window_size(1600, 2200)
        sign_in(browser, client.base_url, client.email, client.password)
        browser.get(f'{client.base_url}/{PAGE}')
        wait_until(browser, lambda b: all(block['name'] in page_text(b) for block in blocks.values()), 120)
        browser.save_screenshot(str(tmp_path / 'monitoring-dashboard-mlflow-down.png'))
        print(f'screenshot: {tmp_path / "monitoring-dashboard-mlflow-down.png"}')
