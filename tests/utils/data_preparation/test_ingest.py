import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops.utils.data_preparation.ingest import ingest_files
from mlops.utils.errors import ConfigError, DataError, SourceError
from tests.utils.data_preparation.faults import (
    as_zoned,
    damage_data_page,
    link_months,
    month_file,
    original,
    write_month,
)


def rows_in(shared_data, *months):
    return sum(pq.ParquetFile(shared_data / f'taxi/green/{m[:4]}/{m[5:]}.parquet').metadata.num_rows for m in months)


def test_local_folder_with_schema_drift(shared_data):
    """2023-01 stores ids as int64 and ehail_fee as null; 2023-02 as int32 and double."""
    df = ingest_files('2023-01', '2023-02', source=str(shared_data))
    assert len(df) == rows_in(shared_data, '2023-01', '2023-02')
    assert df.index.equals(pd.RangeIndex(len(df)))
    assert pd.api.types.is_integer_dtype(df['PULocationID'])
    assert pd.api.types.is_float_dtype(df['ehail_fee'])
    assert pd.api.types.is_datetime64_any_dtype(df['lpep_pickup_datetime'])


def test_file_url_and_http_give_the_same_frame(shared_data, trip_server, cache_dir):
    from_file = ingest_files('2024-01', '2024-02', source=f'file://{shared_data}')
    from_http = ingest_files('2024-01', '2024-02', source=trip_server.base('ok'))
    pd.testing.assert_frame_equal(from_file, from_http)
    assert len(from_file) == rows_in(shared_data, '2024-01', '2024-02')


def test_environment_variable_is_the_default_source(shared_data, monkeypatch):
    monkeypatch.setenv('MLOPS_DATA_SOURCE', str(shared_data))
    assert len(ingest_files('2024-02', '2024-02')) == rows_in(shared_data, '2024-02')


def test_missing_local_month_names_the_month(shared_data):
    with pytest.raises(SourceError, match='green 2022-12: no file at .*/taxi/green/2022/12.parquet'):
        ingest_files('2022-12', '2023-01', source=str(shared_data))


@pytest.mark.parametrize(
    'mode, message',
    [
        ('empty', 'green 2024-01 .* has no rows'),
        ('nocols', 'green 2024-01 .* lacks required columns: trip_distance'),
        ('404', 'green 2024-01: GET .* answered HTTP 404'),
    ],
)
def test_bad_months_over_http(trip_server, cache_dir, mode, message):
    with pytest.raises((DataError, SourceError), match=message):
        ingest_files('2024-01', '2024-01', source=trip_server.base(mode), backoff_factor=0.01)


def test_invalid_range_fails_before_any_download(trip_server, cache_dir):
    before = dict(trip_server.requests)
    with pytest.raises(ConfigError, match='end_month'):
        ingest_files('2024-02', '2024-01', source=trip_server.base('ok'))
    assert trip_server.requests == before


def test_yellow_trips_use_tpep_columns(shared_data, tmp_path):
    target = tmp_path / 'taxi/yellow/2024'
    target.mkdir(parents=True)
    green = pq.read_table(shared_data / 'taxi/green/2024/01.parquet')
    yellow = green.rename_columns([c.replace('lpep_', 'tpep_') for c in green.column_names])
    pq.write_table(yellow, target / '01.parquet')
    df = ingest_files('2024-01', '2024-01', colour='yellow', source=str(tmp_path))
    assert 'tpep_pickup_datetime' in df.columns and len(df) == green.num_rows
    with pytest.raises(DataError, match='lacks required columns: tpep_pickup_datetime, tpep_dropoff_datetime'):
        pq.write_table(green, target / '01.parquet')
        ingest_files('2024-01', '2024-01', colour='yellow', source=str(tmp_path))


def test_months_whose_column_types_clash_name_the_month_and_column(shared_data, tmp_path):
    link_months(tmp_path, shared_data, ['2024-01'])
    february = pq.read_table(month_file(shared_data, '2024-02'))
    ids = february.column_names.index('PULocationID')
    write_month(tmp_path, '2024-02', february.set_column(ids, 'PULocationID', february.column(ids).cast(pa.string())))
    january_type = pq.read_schema(month_file(shared_data, '2024-01')).field('PULocationID').type
    with pytest.raises(DataError) as error:
        ingest_files('2024-01', '2024-02', source=str(tmp_path))
    assert str(error.value) == (
        'months 2024-01..2024-02 cannot be read as one table: month 2024-02 stores column PULocationID as '
        f'string, month 2024-01 as {january_type}, and the two cannot be combined'
    )


def test_zone_aware_months_are_read_as_new_york_times_like_the_others(shared_data, tmp_path):
    """January stored with UTC times, February with New York ones (the same instants): the same
    frame as the upstream files give."""
    write_month(tmp_path, '2024-01', as_zoned(original(shared_data, '2024-01'), 'UTC'))
    write_month(tmp_path, '2024-02', as_zoned(original(shared_data, '2024-02'), 'America/New_York'))
    assert pq.read_schema(month_file(tmp_path, '2024-01')).field('lpep_pickup_datetime').type.tz == 'UTC'
    pd.testing.assert_frame_equal(
        ingest_files('2024-01', '2024-02', source=str(tmp_path)),
        ingest_files('2024-01', '2024-02', source=str(shared_data)),
    )


def test_each_row_says_its_month(shared_data):
    df = ingest_files('2024-01', '2024-02', source=str(shared_data))
    assert df['source_month'].astype(str).tolist() == ['2024-01'] * rows_in(shared_data, '2024-01') + [
        '2024-02'
    ] * rows_in(shared_data, '2024-02')


@pytest.mark.parametrize('source', [5, ['/data'], {'path': '/data'}])
def test_a_data_source_that_is_not_text_is_a_config_error(source):
    with pytest.raises(ConfigError, match=f'data_source must be text .* got {type(source).__name__}'):
        ingest_files('2024-01', '2024-01', source=source)


def test_a_damaged_local_month_names_the_month_and_file(shared_data, tmp_path):
    path = write_month(tmp_path, '2024-01', pq.read_table(month_file(shared_data, '2024-01')))
    damage_data_page(path)
    with pytest.raises(
        DataError, match=f'green 2024-01 \\({path}\\) is not a readable parquet file \\(damaged data\\)'
    ):
        ingest_files('2024-01', '2024-01', source=str(tmp_path))
