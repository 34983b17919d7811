"""The dashboard's chart values, shaped from model runs; its layout names charts that exist."""
import pandas as pd
import pytest
import yaml

from mlops.utils.observability.dashboard import best_rmse_by_family, metric_over_time, model_families
from mlops.utils.paths import project_dir

PLATFORM = project_dir('unit_3_observability').parent
LAYOUTS = sorted((PLATFORM / 'presenters').glob('**/block_layout.yaml'))
CHART_TYPES = {'bar chart', 'histogram', 'line chart', 'pie chart', 'table'}  # what chart code can feed in 0.9.80


def models(*rows):
    frame = pd.DataFrame(rows, columns=['started', 'family', 'rmse', 'mse'])
    frame['started'] = pd.to_datetime(frame['started'], utc=True)
    return frame


def test_best_rmse_per_family_best_first():
    frame = models(('2026-01-01', 'XGBoost', 5.1, 26.0), ('2026-01-02', 'Lasso', 5.8, 33.6),
                   ('2026-01-03', 'XGBoost', 4.9, 24.0))
    assert best_rmse_by_family(frame) == (['XGBoost', 'Lasso'], [4.9, 5.8])
    assert model_families(frame) == ['XGBoost', 'Lasso', 'XGBoost']


def test_lines_per_family_carry_the_last_value_forward():
    frame = models(('2026-01-02', 'Lasso', 5.8, 33.6), ('2026-01-01', 'XGBoost', 5.1, 26.0),
                   ('2026-01-03', 'XGBoost', 4.9, 24.0))
    x, lines, legend = metric_over_time(frame, 'rmse')
    assert x == [1, 2, 3] and legend == ['Lasso', 'XGBoost']
    assert lines == [[None, 5.8, 5.8], [5.1, 5.1, 4.9]]  # training order: XGBoost, Lasso, XGBoost
    assert all(len(line) == len(x) for line in lines)


def test_no_models_no_values():
    empty = models()
    assert best_rmse_by_family(empty) == ([], []) and model_families(empty) == []
    assert metric_over_time(empty, 'mse') == ([], [], [])


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
