import pytest

from mlops.utils.data_preparation.sources import DEFAULT_SOURCE, month_location
from mlops.utils.errors import ConfigError
from mlops.utils.paths import REPO_ROOT


def test_default_is_the_upstream_mirror(monkeypatch):
    monkeypatch.delenv('MLOPS_DATA_SOURCE', raising=False)
    location = month_location(None, 'green', (2024, 1))
    assert location.url == f'{DEFAULT_SOURCE}/taxi/green/2024/01.parquet'


def test_environment_variable_overrides_default(monkeypatch):
    monkeypatch.setenv('MLOPS_DATA_SOURCE', 'http://127.0.0.1:9/mirror/')
    assert month_location('', 'yellow', (2023, 12)).url == 'http://127.0.0.1:9/mirror/taxi/yellow/2023/12.parquet'


def test_file_url_and_folders(tmp_path):
    assert month_location(f'file://{tmp_path}', 'green', (2024, 2)).path == tmp_path / 'taxi/green/2024/02.parquet'
    assert month_location(str(tmp_path), 'green', (2024, 2)).path == tmp_path / 'taxi/green/2024/02.parquet'


def test_relative_folder_resolves_from_repo_root():
    location = month_location('../shared/data', 'green', (2024, 1))
    assert location.path == (REPO_ROOT.parent / 'shared/data/taxi/green/2024/01.parquet').resolve()


def test_unknown_scheme_and_colour_are_errors():
    with pytest.raises(ConfigError, match='s3://bucket'):
        month_location('s3://bucket', 'green', (2024, 1))
    with pytest.raises(ConfigError, match="taxi_colour must be one of green, yellow, got 'blue'"):
        month_location(None, 'blue', (2024, 1))
