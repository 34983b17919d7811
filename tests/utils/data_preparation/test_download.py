"""Downloads against a real HTTP server on 127.0.0.1 (tests/conftest.py), faults included."""

import uuid

import pandas as pd
import pyarrow.parquet as pq
import pytest

from mlops.utils.data_preparation.download import build_session, cache_path_for, fetch, read_download
from mlops.utils.data_preparation.ingest import ingest_files
from mlops.utils.errors import DataError, SourceError
from tests.conftest import TripServer
from tests.utils.data_preparation.faults import damage_data_page, write_month

MONTH = '/taxi/green/2024/01.parquet'


def fast_session():
    return build_session(retries=3, backoff_factor=0.01)


def cached_files(cache_dir):
    return sorted(p.name for p in cache_dir.rglob('*') if p.is_file()) if cache_dir.exists() else []


def test_download_is_cached_and_reused(trip_server, shared_data, cache_dir):
    url = trip_server.base('ok') + MONTH
    path = fetch(url, 'green 2024-01', session=fast_session())
    assert path == cache_path_for(url)
    assert path.read_bytes() == (shared_data / MONTH.lstrip('/')).read_bytes()
    requests_before = trip_server.requests[f'/ok{MONTH}']
    assert fetch(url, 'green 2024-01', session=fast_session()) == path
    assert trip_server.requests[f'/ok{MONTH}'] == requests_before


def test_transient_503s_are_retried(trip_server, cache_dir):
    mode = f'flaky-{uuid.uuid4().hex[:8]}'  # a path no other test asks for
    path = fetch(trip_server.base(mode) + MONTH, 'green 2024-01', session=fast_session())
    assert pq.ParquetFile(path).metadata.num_rows > 0
    assert trip_server.requests[f'/{mode}{MONTH}'] == 3  # two 503s, then the file


@pytest.mark.parametrize('mode, status', [('404', 404), ('500', 500)])
def test_http_errors_name_month_url_and_status(trip_server, cache_dir, mode, status):
    url = trip_server.base(mode) + MONTH
    with pytest.raises(SourceError) as error:
        fetch(url, 'green 2024-01', session=fast_session())
    assert 'green 2024-01' in str(error.value) and url in str(error.value) and str(status) in str(error.value)
    assert cached_files(cache_dir) == []


@pytest.mark.parametrize('mode', ['truncated', 'html'])
def test_broken_files_never_enter_the_cache(trip_server, cache_dir, mode):
    url = trip_server.base(mode) + MONTH
    with pytest.raises(DataError) as error:
        fetch(url, 'green 2024-01', session=fast_session())
    assert 'green 2024-01' in str(error.value)
    assert cached_files(cache_dir) == []  # no half file, no temporary file


def test_unreachable_server_is_a_source_error(cache_dir):
    with pytest.raises(SourceError, match='green 2024-01: could not download http://127.0.0.1:9/'):
        fetch('http://127.0.0.1:9/x.parquet', 'green 2024-01', session=build_session(retries=1, backoff_factor=0.01))


def test_a_truncated_cached_copy_is_downloaded_again(trip_server, shared_data, cache_dir, capsys):
    url = trip_server.base('ok') + MONTH
    path = fetch(url, 'green 2024-01', session=fast_session())
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # the disk lost its end
    before = trip_server.requests[f'/ok{MONTH}']
    assert fetch(url, 'green 2024-01', session=fast_session()) == path
    assert path.read_bytes() == (shared_data / MONTH.lstrip('/')).read_bytes()
    assert trip_server.requests[f'/ok{MONTH}'] == before + 1
    assert f'WARNING: green 2024-01: the cached copy of {url}' in capsys.readouterr().out


def test_a_cached_copy_damaged_inside_is_found_when_read_and_downloaded_again(trip_server, shared_data, cache_dir):
    """The footer is intact (the row count reads), a data page is not: ingest reads the month
    from a fresh copy, and the next run from the cache again."""
    source = trip_server.base('ok')
    expected = ingest_files('2024-01', '2024-01', source=source)
    path = cache_path_for(source + MONTH)
    damage_data_page(path)
    assert pq.ParquetFile(path).metadata.num_rows == len(expected)
    before = trip_server.requests[f'/ok{MONTH}']
    pd.testing.assert_frame_equal(ingest_files('2024-01', '2024-01', source=source), expected)
    assert trip_server.requests[f'/ok{MONTH}'] == before + 1
    pd.testing.assert_frame_equal(ingest_files('2024-01', '2024-01', source=source), expected)
    assert trip_server.requests[f'/ok{MONTH}'] == before + 1
    assert path.read_bytes() == (shared_data / MONTH.lstrip('/')).read_bytes()


def test_a_source_that_serves_a_damaged_file_is_named_and_leaves_no_cache(shared_data, tmp_path, cache_dir):
    """Downloaded twice (the copy might have been damaged here), unreadable both times: a
    DataError naming the month and URL, and nothing kept for the next run."""
    served = tmp_path / 'served'
    damage_data_page(write_month(served, '2024-01', pq.read_table(shared_data / MONTH.lstrip('/'))))
    with TripServer(served) as server:
        url = server.base('ok') + MONTH
        with pytest.raises(DataError, match=f'green 2024-01 \\({url}\\) is not a readable parquet file'):
            read_download(url, 'green 2024-01', session=fast_session())
        assert server.requests[f'/ok{MONTH}'] == 2
    assert cached_files(cache_dir) == []
