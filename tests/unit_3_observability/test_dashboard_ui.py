"""The monitoring pipeline's dashboard through a Mage server (auth on) after real runs: every
chart's data equals what the fixture logged and MLflow recorded (worked out here, not by the
dashboard's functions), and headless Chromium sees each chart drawn and each table shown
(screenshot kept under the test's folder)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from mlflow.tracking import MlflowClient

from mlops.utils.models.tuning import Trial
from mlops.utils.tracking.mlflow_setup import experiment_name
from testkit.registered import embedded_store, register_linear_on
from testkit.servers import signed_in_mage
from tests.browser import page_text, sign_in, wait_until
from tests.dashboards import assert_serves, chart_data, dashboard_charts, draw, layout_blocks

pytestmark = pytest.mark.slow
PAGE = 'pipelines/monitoring/dashboard'


TRIAL_RMSES = [6.1, 5.9, 6.4, 5.8, 6.0, 6.2]
MONTHS = ('2023-04', '2023-05', '2023-06')


def _trained(client: MlflowClient, experiment: str) -> list:
    """The final model runs as MLflow records them, newest first (read here, not through the
    dashboard's own history module)."""
    return client.search_runs([experiment], "tags.stage = 'final'", order_by=['attributes.start_time DESC'])


def _minute(run) -> str:
    return datetime.fromtimestamp(run.info.start_time / 1000, tz=timezone.utc).strftime('%Y-%m-%d %H:%M')


def card_of_v2(run_id: str) -> dict:
    """A model card of the champion, as training writes one (the fields the dashboard reads)."""
    return {
        'model': {
            'name': 'nyc-taxi-duration',
            'version': '2',
            'run_id': run_id,
            'family': 'linear_model.LinearRegression',
        },
        'data': {
            'taxi_colour': 'green',
            'training_months': '2023-02..2023-02',
            'validation_months': '2023-03..2023-03',
        },
        'decision': {'champion_before': '1', 'promoted': True, 'role': 'promoted to champion'},
        'validation': {
            'overall': {'trips': 61234, 'rmse': 8.7654, 'mae': 6.1234},
            'slices': {
                'distance_deciles': [{'slice': '[0, 0.9] mi', 'trips': 6200, 'rmse': 9.4567, 'mae': 5.5}],
                'pickup_hour': [{'slice': '07:00', 'trips': 2500, 'rmse': 7.0, 'mae': 5.0}],
                'busiest_routes': [{'slice': 'route 74_75', 'trips': 1800, 'rmse': 3.1478, 'mae': 2.3333}],
            },
        },
        'explanation': {'available': False, 'reason': 'not an XGBoost booster'},
        'drift': {'computed': True, 'figures': {'unseen_routes': 0.0349}},
    }


@pytest.fixture(scope='module')
def server(tmp_path_factory, shared_data):
    """Two registered LinearRegression versions (the second better, so champion), six tuning
    trials and three scored months in the store; what each chart must show is worked out from
    what this fixture logged and from MLflow's own records, not by the dashboard's functions."""
    root = tmp_path_factory.mktemp('dashboard')
    with embedded_store(root / 'data') as experiment:
        from mlops.utils.observability.monitor import monitor
        from mlops.utils.tracking.registry import registered_model_name
        from mlops.utils.tracking.runs import log_trial, start_parent

        client = MlflowClient()
        rmses = [
            register_linear_on(experiment, str(shared_data), *months)[1]
            for months in (('2023-01', '2023-02'), ('2023-02', '2023-03'))
        ]
        parent = start_parent(client, experiment, 'LinearRegression', {})
        for number, rmse in enumerate(TRIAL_RMSES):
            log_trial(client, parent, Trial(number, {}, {'rmse': rmse, 'mse': rmse**2}, 0.1))
        scored = [monitor({'month': month}).metrics for month in MONTHS]
        champion_run = client.get_model_version(registered_model_name(), '2').run_id
        client.log_dict(champion_run, card_of_v2(champion_run), 'model_card/model_card.json')  # as training writes it
        client.set_model_version_tag(registered_model_name(), '2', 'model_card', 'model_card/model_card.json')
        newest_first = _trained(client, experiment)
        assert [run.data.metrics['validation_rmse'] for run in newest_first] == rmses[::-1]
        registered = {int(v.version): v for v in client.search_model_versions(f"name = '{registered_model_name()}'")}
        versions = {n: float(v.tags['validation_rmse']) for n, v in registered.items()}  # the registry keeps 6 decimals
        monitored = client.search_runs(
            [client.get_experiment_by_name(f'{experiment_name()}-monitoring').experiment_id],
            order_by=['tags.`monitoring.month` DESC'],
        )

        def trained_on(version: int) -> str:
            tags = client.get_run(registered[version].run_id).data.tags
            return f'{tags["data.start_month"]}..{tags["data.end_month"]}'

        def by_run(metric: str) -> tuple:  # no Mage run tags here: each model is a training run
            return (
                ['Trained (UTC)', 'LinearRegression'],
                [[_minute(run), round(run.data.metrics[metric], 2)] for run in newest_first],
            )

        expected = {
            'validation_rmse_by_family': (['LinearRegression'], [round(min(rmses), 4)]),
            'models_by_family': {'LinearRegression': 2},
            'validation_rmse_over_time': by_run('validation_rmse'),
            'validation_mse_over_time': by_run('validation_mse'),
            # 5.8..6.4 in tenths of a minute: one trial a bin but 6.3–6.4
            'trial_rmse_histogram': (
                [f'{t / 10:.1f}–{(t + 1) / 10:.1f}' for t in range(58, 65)],
                [1, 1, 1, 1, 1, 0, 1],
            ),
            'champion_history': (['v1', 'v2 (champion)'], [round(versions[1], 4), round(versions[2], 4)]),
            'monitoring_rmse_by_month': (list(MONTHS), [round(m['rmse'], 4) for m in scored]),
            'monitoring_drift_by_month': (list(MONTHS), [round(m['predictions_psi'], 4) for m in scored]),
            'versions_and_why': (
                ['version', 'trained on', 'family', 'validation RMSE', 'role', 'made by'],
                [
                    [
                        label,
                        trained_on(n),
                        'LinearRegression',
                        round(versions[n], 4),
                        registered[n].tags['role'],
                        'outside Mage',
                    ]
                    for n, label in ((2, 'v2 (champion)'), (1, 'v1'))
                ],
            ),
            # what the failure mail says of each breach, without its threshold; no retraining here
            'monitoring_alerts': (
                ['month', 'version', 'RMSE', 'breaches (alerts)', 'action'],
                [
                    [
                        run.data.tags['monitoring.month'],
                        'v2',
                        round(run.data.metrics['rmse'], 3),
                        '; '.join(b.split(' (threshold')[0] for b in run.data.tags['monitoring.breaches'].splitlines())
                        or 'none',
                        '',
                    ]
                    for run in monitored
                ],
            ),
            'champion_model_card': (
                ['about', 'champion model card'],
                [
                    ['version', 'nyc-taxi-duration v2 (LinearRegression)'],
                    ['decision', 'promoted to champion (champion before: 1)'],
                    ['data', '2023-02..2023-02 -> 2023-03..2023-03 (green)'],
                    ['validation', 'RMSE 8.77, MAE 6.12 min on 61,234 trips'],
                    ['top features', 'not an XGBoost booster'],
                    ['unseen routes', '3.5%'],
                    ['card', f'model_card/model_card.md of run {champion_run}'],
                ],
            ),
            'champion_card_slices': (
                ['slice', 'trips', 'RMSE (min)', 'MAE (min)'],
                [
                    ['all trips', 61234, 8.77, 6.12],
                    ['[0, 0.9] mi', 6200, 9.46, 5.5],
                    ['hour 07:00', 2500, 7.0, 5.0],
                    ['route 74_75', 1800, 3.15, 2.33],
                ],
            ),
        }
    with signed_in_mage(root) as client:
        yield client, expected


def test_every_chart_serves_the_stores_figures(server):
    client, expected = server
    charts = dashboard_charts(client, PAGE)
    assert sorted(charts) == sorted(expected)
    assert_serves(charts, expected)


def test_chromium_sees_every_chart_drawn(server, browser, tmp_path):
    client, expected = server
    browser.set_window_size(1600, 3800)  # the champion's model card tables are the last row
    sign_in(browser, client.base_url, client.email, client.password)
    missing, shown = draw(
        browser,
        client.base_url,
        PAGE,
        layout_blocks(PAGE).values(),
        tmp_path / 'monitoring-dashboard.png',
        shown=('Trained (UTC)', '6.4–6.5', 'promoted to champion (champion before: 1)', 'route 74_75', 'outside Mage'),
    )
    assert not missing, f'not drawn: {sorted(missing)}'
    for label in ('LinearRegression', 'v2 (champion)', '2023-05', *expected['validation_rmse_over_time'][1][0]):
        assert str(label) in shown, label


def test_with_mlflow_unreachable_the_page_loads_and_each_chart_names_the_cause(tmp_path, browser):
    from mlops.utils.triggering.mage_api import MageApiError
    from testkit.servers import free_port

    unreachable = f'http://127.0.0.1:{free_port()}'  # nothing listens there
    blocks = layout_blocks(PAGE)
    with signed_in_mage(tmp_path, env={'MLFLOW_TRACKING_URI': unreachable}) as client:
        for uuid in blocks:
            with pytest.raises(MageApiError, match=f'MLflow tracking at {unreachable} cannot be used'):
                chart_data(client, PAGE, uuid)
        browser.set_window_size(1600, 2200)
        sign_in(browser, client.base_url, client.email, client.password)
        browser.get(f'{client.base_url}/{PAGE}')
        wait_until(
            browser, lambda b: all(block['name'] in page_text(b) for block in blocks.values()), 120, 'every panel title'
        )
        browser.save_screenshot(str(tmp_path / 'monitoring-dashboard-mlflow-down.png'))
        print(f'screenshot: {tmp_path / "monitoring-dashboard-mlflow-down.png"}')
