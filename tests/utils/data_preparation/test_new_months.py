"""New-month detection against real sources: a folder, a file:// URL and an HTTP server."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import List

import pytest
from mlflow.tracking import MlflowClient

from mlops.utils.data_preparation.months import add_months, months_between
from mlops.utils.data_preparation.new_months import new_months
from mlops.utils.errors import ConfigError, SourceError
from mlops.utils.tracking.trained_range import TrainedRange, champion_range
from tests.sources import months_folder


def months_in(source: Path, colour: str = 'green') -> List[str]:
    return sorted(
        f'{year.name}-{file.stem}' for year in (source / 'taxi' / colour).iterdir() for file in year.glob('*.parquet')
    )


def trained_until(end_month: str, source: str, start_month: str = '2023-01') -> TrainedRange:
    return TrainedRange(
        model='m',
        version='1',
        start_month=start_month,
        end_month=end_month,
        taxi_colour='green',
        data_source=source,
        split_on_feature='lpep_pickup_datetime',
    )


@pytest.fixture
def partial_source(tmp_path, shared_data) -> Path:
    """A source holding 2023-01..2023-03 of the shared months (links, not copies)."""
    source = months_folder(tmp_path / 'source', shared_data, ['2023-01', '2023-02', '2023-03'])
    return source


def test_month_arithmetic():
    assert add_months((2023, 12), 1) == (2024, 1) and add_months((2024, 1), -1) == (2023, 12)
    assert add_months((2024, 2), -13) == (2023, 1)
    assert months_between((2023, 11), (2024, 2)) == 4


@pytest.mark.parametrize('as_url', [False, True])
def test_a_folder_or_file_url_source(partial_source, as_url):
    source = partial_source.as_uri() if as_url else str(partial_source)
    available = months_in(partial_source)
    assert new_months(trained_until(available[-2], source)) == available[-1:]
    assert new_months(trained_until(available[-1], source)) == []
    # a month added at the source is found on the next check
    added = partial_source / 'taxi' / 'green' / '2023' / '04.parquet'
    added.write_bytes(b'')
    assert new_months(trained_until(available[-1], source)) == ['2023-04']


def test_an_http_source_is_asked_with_head(trip_server, shared_data):
    available = months_in(shared_data)
    before = dict(trip_server.requests)
    assert new_months(trained_until(available[-2], trip_server.base())) == available[-1:]
    assert new_months(trained_until(available[5], trip_server.base())) == available[6:]
    assert new_months(trained_until(available[-1], trip_server.base('404'))) == []
    asked = {path for path, count in trip_server.requests.items() if count != before.get(path)}
    assert asked and all(path.endswith('.parquet') for path in asked)


def test_a_source_that_cannot_answer_is_an_error_naming_it(trip_server, tmp_path):
    with pytest.raises(SourceError, match=r'HTTP 500') as failed:
        new_months(trained_until('2023-03', trip_server.base('500')))
    assert trip_server.base('500') in str(failed.value)
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(('127.0.0.1', 0))
        closed = f'http://127.0.0.1:{sock.getsockname()[1]}/data'
    with pytest.raises(SourceError, match='unreachable') as failed:
        new_months(trained_until('2023-03', closed))
    assert closed in str(failed.value)
    with pytest.raises(SourceError, match=str(tmp_path / 'nowhere')):
        new_months(trained_until('2023-03', str(tmp_path / 'nowhere')))


def test_the_champions_range_comes_from_its_run(tracking_store):
    client = MlflowClient()
    with pytest.raises(ConfigError, match="no 'champion' version of model 'test-model'"):
        champion_range(client, 'test-model')
    facts = {
        'data.start_month': '2023-01',
        'data.end_month': '2023-03',
        'data.taxi_colour': 'green',
        'data.data_source': '/somewhere',
        'data.split_on_feature': 'lpep_pickup_datetime',
    }
    run = client.create_run(tracking_store, tags=facts)
    client.create_registered_model('test-model')
    version = client.create_model_version('test-model', f'runs:/{run.info.run_id}/model', run.info.run_id)
    client.set_registered_model_alias('test-model', 'champion', version.version)
    assert champion_range(client, 'test-model') == TrainedRange(
        'test-model', str(version.version), '2023-01', '2023-03', 'green', '/somewhere', 'lpep_pickup_datetime'
    )
    bare = client.create_run(tracking_store)
    older = client.create_model_version('test-model', f'runs:/{bare.info.run_id}/model', bare.info.run_id)
    client.set_registered_model_alias('test-model', 'champion', older.version)
    with pytest.raises(ConfigError, match='no recorded start_month, end_month, taxi_colour, data_source'):
        champion_range(client, 'test-model')
