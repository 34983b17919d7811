"""The dashboard's chart values, shaped from model runs (expected values worked out by hand);
its layout names charts that exist."""
import pandas as pd
import pytest
import yaml

from mlops.utils.observability.dashboard import best_rmse_by_family, metric_by_training_run, model_families
from mlops.utils.paths import project_dir

PLATFORM = project_dir('unit_3_observability').parent
LAYOUTS = sorted((PLATFORM / 'presenters').glob('**/block_layout.yaml'))
CHART_TYPES = {'bar chart', 'histogram', 'line chart', 'pie chart', 'table'}  # what chart code can feed in 0.9.80


def models(*rows):
    """Final models as ``history.final_models`` gives them: (started, family tag as training logs
    it, rmse, mse, Mage pipeline run or None), each its own MLflow run."""
    frame = pd.DataFrame(rows, columns=['started', 'family', 'rmse', 'mse', 'pipeline_run_id'])
    frame['started'] = pd.to_datetime(frame['started'], utc=True)
    frame['run_id'] = [f'run-{i}' for i in range(len(frame))]
    return frame


def test_best_rmse_per_family_best_first_under_short_names():
    frame = models(('2026-01-01', 'xgboost', 5.1, 26.0, None), ('2026-01-02', 'linear_model.Lasso', 5.8, 33.6, None),
                   ('2026-01-03', 'xgboost', 4.9, 24.0, None),
                   ('2026-01-04', 'ensemble.ExtraTreesRegressor', 5.5, 30.25, None))
    assert best_rmse_by_family(frame) == (['XGBoost', 'ExtraTrees', 'Lasso'], [4.9, 5.5, 5.8])
    assert model_families(frame) == ['XGBoost', 'Lasso', 'XGBoost', 'ExtraTrees']


def test_one_row_per_training_run_newest_first_and_a_dash_where_a_family_was_not_trained():
    frame = models(('2026-01-02 09:30:10', 'linear_model.Lasso', 5.8, 33.64, '7'),  # one sklearn run: two families
                   ('2026-01-02 09:31:55', 'ensemble.RandomForestRegressor', 5.234, 27.39, '7'),
                   ('2026-01-01 18:00:00', 'xgboost', 5.1, 26.01, None),  # untagged: a run of its own
                   ('2026-01-03 07:05:00', 'xgboost', 4.9, 24.01, '9'))
    columns, rows = metric_by_training_run(frame, 'rmse')
    assert columns == ['Trained (UTC)', 'Lasso', 'RandomForest', 'XGBoost']
    assert rows == [['2026-01-03 07:05', '—', '—', 4.9],
                    ['2026-01-02 09:30', 5.8, 5.23, '—'],
                    ['2026-01-01 18:00', '—', '—', 5.1]]
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
        assert block['data_source'] in ({'type': 'chart_code'},
                                        {'type': 'pipeline_runs', 'pipeline_uuid': page_pipeline},
                                        {'type': 'pipeline_schedules', 'pipeline_uuid': page_pipeline}), uuid


def test_every_training_pipeline_has_a_dashboard():
    pages = {path.parent.parent.name for path in LAYOUTS}
    assert {'monitoring', 'sklearn_training', 'xgboost_training'} <= pages
