"""Each chart block's code, executed as Mage's chart widget does (``exec`` with ``df_1``);
tests/unit_1_data_preparation/test_charts_ui.py sees them drawn in the editor."""

from pathlib import Path

import pytest
import yaml

from mlops.utils.data_preparation.ingest import ingest_files
from mlops.utils.data_preparation.steps import prepare_trips

PROJECT = Path(__file__).resolve().parents[2] / 'mlops' / 'unit_1_data_preparation'
WIDGETS = yaml.safe_load((PROJECT / 'pipelines' / 'data_preparation' / 'metadata.yaml').read_text())['widgets']


@pytest.fixture(scope='module')
def outputs(shared_data):
    raw = ingest_files('2024-01', '2024-02', source=str(shared_data))
    return {'ingest': raw, 'prepare': list(prepare_trips(raw, 'lpep_pickup_datetime', '2024-02-01', 'duration'))}


def run_chart(widget, outputs):
    scope = {'df_1': outputs[widget['upstream_blocks'][0]]}
    exec((PROJECT / 'charts' / f'{widget["uuid"]}.py').read_text(), scope)
    return scope


@pytest.mark.parametrize('widget', WIDGETS, ids=[w['uuid'] for w in WIDGETS])
def test_chart_code_gives_the_variables_its_configuration_names(widget, outputs):
    scope = run_chart(widget, outputs)
    config = widget['configuration']
    for key in ('x', 'y', 'index'):
        if key in config:
            assert len(scope[config[key]]) > 0, key
    source = scope['df_1'] if widget['upstream_blocks'][0] == 'ingest' else scope['df_1'][0]
    if config['chart_type'] == 'histogram':  # every trip up to 20 miles, nothing else
        assert len(scope['x']) == int((source['trip_distance'] <= 20).sum()) and scope['x'].max() <= 20
    if config['chart_type'] == 'bar chart':
        assert len(scope['x']) == len(scope['y'])
        # weeks Monday..Sunday, labelled by their Monday (pandas' weekly periods ending on Sunday)
        mondays = source['lpep_pickup_datetime'].dt.to_period('W-SUN').dt.start_time
        weeks = mondays.dt.month.astype(str) + '/' + mondays.dt.day.map('{:02d}'.format)
        expected = {
            'missing_values_for_ingest': lambda c: round(float(source[c].isna().mean()) * 100, 2),
            'unique_values_for_ingest': lambda c: int(source[c].nunique()),
            'pickups_over_time': lambda week: int((weeks == week).sum()),
        }[widget['uuid']]
        assert scope['y'] == [expected(column) for column in scope['x']]
    if config['chart_type'] == 'table':
        assert len(scope[config['y']]) == len(scope[config['index']])


@pytest.mark.parametrize('widget', WIDGETS, ids=[w['uuid'] for w in WIDGETS])
def test_chart_code_uses_no_decorator(widget):
    """Mage 0.9.80 runs a decorated widget (``@data_source``, ``@xy``) in the editor's kernel
    only to fail with "decorators has no attribute 'chart'": widgets set plain variables."""
    code = (PROJECT / 'charts' / f'{widget["uuid"]}.py').read_text()
    assert not any(line.lstrip().startswith('@') for line in code.splitlines())
