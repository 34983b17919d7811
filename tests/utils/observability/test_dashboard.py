"""The dashboard's chart values, shaped from model runs or read from an embedded MLflow store
holding records made here (expected values worked out by hand); its layout names charts that
exist."""

import pandas as pd
import pytest
import yaml
from mlflow.tracking import MlflowClient

from mlops.utils.models.tuning import Trial
from mlops.utils.observability.dashboard import (
    alerts_by_month,
    best_rmse_by_family,
    champion_history,
    metric_by_training_run,
    model_families,
    monitoring_by_month,
    training_trials_per_run,
    trial_rmse_bins,
    versions_and_why,
)
from mlops.utils.observability.evaluation_log import log_evaluation, monitoring_experiment, record_retraining
from mlops.utils.observability.month_evaluation import MonthEvaluation, Thresholds, breaches
from mlops.utils.paths import project_dir
from mlops.utils.tracking.runs import log_trial, start_parent
from mlops.utils.tracking.trained_range import TrainedRange

PLATFORM = project_dir('unit_3_observability').parent
LAYOUTS = sorted((PLATFORM / 'presenters').glob('**/block_layout.yaml'))
MODEL = 'test-model'  # the tracking_store fixture's registered model name
CHART_TYPES = {'bar chart', 'histogram', 'line chart', 'pie chart', 'table'}  # what chart code can feed in 0.9.80


def models(*rows):
    """Final models as ``history.final_models`` gives them: (started, family tag as training logs
    it, rmse, mse, Mage pipeline run or None), each its own MLflow run."""
    frame = pd.DataFrame(rows, columns=['started', 'family', 'rmse', 'mse', 'pipeline_run_id'])
    frame['started'] = pd.to_datetime(frame['started'], utc=True)
    frame['run_id'] = [f'run-{i}' for i in range(len(frame))]
    return frame


def test_best_rmse_per_family_best_first_under_short_names():
    frame = models(
        ('2026-01-01', 'xgboost', 5.1, 26.0, None),
        ('2026-01-02', 'linear_model.Lasso', 5.8, 33.6, None),
        ('2026-01-03', 'xgboost', 4.9, 24.0, None),
        ('2026-01-04', 'ensemble.ExtraTreesRegressor', 5.5, 30.25, None),
    )
    assert best_rmse_by_family(frame) == (['XGBoost', 'ExtraTrees', 'Lasso'], [4.9, 5.5, 5.8])
    assert model_families(frame) == ['XGBoost', 'Lasso', 'XGBoost', 'ExtraTrees']


def test_one_row_per_training_run_newest_first_and_a_dash_where_a_family_was_not_trained():
    frame = models(
        ('2026-01-02 09:30:10', 'linear_model.Lasso', 5.8, 33.64, '7'),  # one sklearn run: two families
        ('2026-01-02 09:31:55', 'ensemble.RandomForestRegressor', 5.234, 27.39, '7'),
        ('2026-01-01 18:00:00', 'xgboost', 5.1, 26.01, None),  # untagged: a run of its own
        ('2026-01-03 07:05:00', 'xgboost', 4.9, 24.01, '9'),
    )
    columns, rows = metric_by_training_run(frame, 'rmse')
    assert columns == ['Trained (UTC)', 'Lasso', 'RandomForest', 'XGBoost']
    assert rows == [
        ['2026-01-03 07:05', '—', '—', 4.9],
        ['2026-01-02 09:30', 5.8, 5.23, '—'],
        ['2026-01-01 18:00', '—', '—', 5.1],
    ]
    assert metric_by_training_run(frame, 'mse')[1][1] == ['2026-01-02 09:30', 33.64, 27.39, '—']


def test_no_models_no_values():
    empty = models()
    assert best_rmse_by_family(empty) == ([], []) and model_families(empty) == []
    assert metric_by_training_run(empty, 'mse') == ([], [])


@pytest.mark.parametrize('path', LAYOUTS, ids=lambda p: str(p.parent.relative_to(PLATFORM / 'presenters')))
def test_each_layout_places_existing_charts_of_supported_types(path):
    """Chart code of its own, or (run health) a Mage records source of the page's pipeline."""
    layout = yaml.safe_load(path.read_text())
    placed = [item['block_uuid'] for row in layout['layout'] for item in row]
    assert sorted(placed) == sorted(layout['blocks'])
    page_pipeline = path.parent.parent.name
    for uuid, block in layout['blocks'].items():
        configuration = block['configuration']
        assert configuration['chart_type'] in CHART_TYPES, uuid
        chart = PLATFORM / configuration['file_path']
        assert chart.is_file(), chart
        assert block['data_source'] in (
            {'type': 'chart_code'},
            {'type': 'pipeline_runs', 'pipeline_uuid': page_pipeline},
            {'type': 'pipeline_schedules', 'pipeline_uuid': page_pipeline},
        ), uuid


def test_every_training_pipeline_has_a_dashboard():
    pages = {path.parent.parent.name for path in LAYOUTS}
    assert {'monitoring', 'sklearn_training', 'xgboost_training'} <= pages


# Charts read from a real (embedded) MLflow store: records made here with MlflowClient and the
# project's own log functions; expected values worked out from what was logged.


def test_champion_history_lists_each_version_with_its_rmse_in_version_order_and_marks_the_champion(tracking_store):
    client = MlflowClient()
    client.create_registered_model(MODEL)
    rmse_tags = {1: '6.5', 2: '5.123456', 3: None, **{v: f'{v}.25' for v in range(4, 11)}}  # v3: no RMSE recorded
    for version, rmse in rmse_tags.items():
        created = client.create_model_version(
            MODEL, f'file:///models/{version}', tags={'validation_rmse': rmse} if rmse else {}
        )
        assert int(created.version) == version
    client.set_registered_model_alias(MODEL, 'champion', '10')
    labels, values = champion_history()
    assert labels == ['v1', 'v2', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9', 'v10 (champion)']  # 10 after 9, not after 1
    assert values == [6.5, 5.1235, 4.25, 5.25, 6.25, 7.25, 8.25, 9.25, 10.25]


def test_trial_rmse_bins_count_the_tuning_trials_of_the_experiment_only(tracking_store):
    client = MlflowClient()
    for family, rmses in (('linear_model.Lasso', [6.05, 6.1]), ('xgboost', [6.95])):
        parent = start_parent(client, tracking_store, family, {})
        for number, rmse in enumerate(rmses):
            log_trial(client, parent, Trial(number, {}, {'rmse': rmse, 'mse': rmse**2}, 0.1))
    final = client.create_run(tracking_store, tags={'stage': 'final'}).info.run_id  # a final model: no trial
    client.log_metric(final, 'validation_rmse', 20.0)
    elsewhere = client.create_experiment('another')
    other = client.create_run(elsewhere, tags={'stage': 'tuning'}).info.run_id  # another experiment's trial
    client.log_metric(other, 'validation_rmse', 1.0)
    labels, counts = trial_rmse_bins()
    # 6.05..6.95 spans 0.9: tenth-of-a-minute bins from 6.0-6.1 to 6.9-7.0
    assert labels == [f'{t / 10:.1f}–{(t + 1) / 10:.1f}' for t in range(60, 70)]
    assert counts == [1, 1, 0, 0, 0, 0, 0, 0, 0, 1]


def test_monitoring_by_month_shows_the_latest_versions_score_of_each_month(tracking_store):
    client = MlflowClient()
    experiment = monitoring_experiment(client, tracking_store)
    scores = [
        ('9', '2024-03', 6.123456, 37.5),
        ('9', '2024-02', 6.5, 42.25),
        ('10', '2024-03', 5.75, 33.0625),  # version 10 scored March after 9: its score is shown
        ('9', '2024-04', 7.0, 49.0),
    ]
    for version, month, rmse, mse in scores:
        trained = TrainedRange(MODEL, version, '2024-01', '2024-01', 'green', 'source', 'lpep_pickup_datetime')
        log_evaluation(client, experiment, trained, MonthEvaluation(month, {'rmse': rmse, 'mse': mse}), Thresholds())
    assert monitoring_by_month() == (['2024-02', '2024-03', '2024-04'], [6.5, 5.75, 7.0])
    assert monitoring_by_month('mse') == (['2024-02', '2024-03', '2024-04'], [42.25, 33.0625, 49.0])


def test_training_trials_per_run_counts_every_familys_trials_of_each_mage_run(tracking_store):
    client = MlflowClient()
    parents = [
        ('sklearn_training', 12, 'linear_model.Lasso', 1),
        ('sklearn_training', 7, 'linear_model.Lasso', 2),
        ('sklearn_training', 7, 'svm.LinearSVR', 1),
        ('xgboost_training', 9, 'xgboost', 2),
        (None, None, 'linear_model.Lasso', 4),
    ]  # trials logged outside Mage: no run to count them in
    for pipeline, run, family, trials in parents:
        mage = {'pipeline_uuid': pipeline, 'pipeline_run_id': run} if pipeline else {}
        parent = start_parent(client, tracking_store, family, mage)
        for number in range(trials):
            log_trial(client, parent, Trial(number, {}, {'rmse': 6.0, 'mse': 36.0}, 0.1))
    assert training_trials_per_run('sklearn_training') == (['#7', '#12'], [3, 1])  # run 7 before 12
    assert training_trials_per_run('xgboost_training') == (['#9'], [2])


def test_an_empty_store_gives_empty_charts(tracking_store):
    assert champion_history() == trial_rmse_bins() == monitoring_by_month() == ([], [])
    assert training_trials_per_run('sklearn_training') == ([], [])


def test_versions_say_what_they_were_trained_on_and_which_run_made_them_and_why(tracking_store):
    client = MlflowClient()
    client.create_registered_model(MODEL)
    made = [
        ({'pipeline_uuid': 'xgboost_training', 'pipeline_run_id': 3, 'trigger_name': 'headless runner'}, '2023-01'),
        (
            {
                'pipeline_uuid': 'xgboost_training',
                'pipeline_run_id': 9,
                'retraining_run_id': 8,
                'retraining_why': 'requested: monitoring run r1: 2 of 3 breached',
            },
            '2023-04',
        ),
    ]
    for number, (mage, end) in enumerate(made, start=1):
        parent = start_parent(client, tracking_store, 'xgboost', mage)
        client.set_tag(parent, 'data.start_month', '2023-01')
        client.set_tag(parent, 'data.end_month', end)
        client.create_model_version(MODEL, f'runs:/{parent}/model', parent, tags={'validation_rmse': f'5.{number}'})
        client.set_model_version_tag(MODEL, str(number), 'role', 'champion' if number == 2 else 'challenger')
    client.set_registered_model_alias(MODEL, 'champion', '2')
    columns, rows = versions_and_why()
    assert columns == ['version', 'trained on', 'family', 'validation RMSE', 'role', 'made by']
    assert rows == [
        [
            'v2 (champion)',
            '2023-01..2023-04',
            'XGBoost',
            5.2,
            'champion',
            'retraining #8: requested: monitoring run r1: 2 of 3 breached',
        ],
        ['v1', '2023-01..2023-01', 'XGBoost', 5.1, 'challenger', 'xgboost_training #3 (headless runner)'],
    ]


def test_alerts_by_month_name_the_breaches_and_the_retraining_started(tracking_store):
    client = MlflowClient()
    experiment = monitoring_experiment(client, tracking_store)
    trained = TrainedRange(MODEL, '4', '2023-01', '2023-02', 'green', 'source', 'lpep_pickup_datetime')
    within = {
        'rmse': 5.25,
        'rmse_increase': 0.0,
        'unseen_routes': 0.0,
        'trip_distance_psi': 0.0,
        'predictions_psi': 0.0,
    }
    drifted = {**within, 'rmse': 6.5, 'trip_distance_psi': 0.91234}
    ids = {}
    for month, metrics in (('2023-03', within), ('2023-04', drifted), ('2023-05', drifted)):
        score = MonthEvaluation(month, metrics, breaches(metrics, Thresholds()))
        ids[month] = log_evaluation(client, experiment, trained, score, Thresholds())
    record_retraining(client, ids['2023-05'], 17, '2023-03,2023-04,2023-05', 'why')
    columns, rows = alerts_by_month()
    assert columns == ['month', 'version', 'RMSE', 'breaches (alerts)', 'action']
    assert rows == [
        ['2023-05', 'v4', 6.5, 'trip_distance drifted: PSI 0.912', 'started retraining #17'],
        ['2023-04', 'v4', 6.5, 'trip_distance drifted: PSI 0.912', ''],
        ['2023-03', 'v4', 5.25, 'none', ''],
    ]
